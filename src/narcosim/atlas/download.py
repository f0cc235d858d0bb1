"""Download the official releases from their publishers, convert them, then import them.

:func:`download_releases` streams each release of
:data:`narcosim.atlas.publishers.RELEASES` into ``DIR/releases/`` under a
temporary ``.part`` name and renames it only when complete, so a broken download
never looks complete and a rerun fetches only what is missing.
:func:`download_atlas` then converts the publishers' layouts into ``DIR``
(:mod:`narcosim.atlas.convert`) and imports ``DIR`` into the store.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.progress import Progress

from narcosim.atlas.convert import convert_all
from narcosim.atlas.publishers import RELEASES, Release, resolve_url
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


class DownloadError(NarcosimError):
    """A release could not be fetched: network error, HTTP error or a short body."""


@dataclass
class DownloadResult:
    """What :func:`download_releases` and :func:`download_atlas` did.

    Attributes:
        fetched: Release keys downloaded in this run.
        skipped: Release keys already complete in ``DIR/releases`` (not fetched again).
        converted: Files written into DIR, relative to it.
        counts: Rows per table imported into the store (empty if not imported).
        store: The store file written, if any.
    """

    fetched: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    store: Path | None = None


def _fetch(url: str, target: Path, progress: Progress | None, label: str,
           timeout: float) -> tuple[int, str]:
    """Stream ``url`` to ``target`` via ``target.part``; return (bytes, sha256)."""
    part = target.with_name(target.name + ".part")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    digest = hashlib.sha256()
    size = 0
    task = None
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, \
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
                      timeout: float = TIMEOUT_S) -> DownloadResult:
    """Fetch every release into ``dest/releases``, skipping those already complete.

    Args:
        dest: Folder to download into (created if needed).
        mirror: ``http://host:port`` replacing every publisher's scheme and host;
            ``$NARCOSIM_MIRROR`` when None.
        progress: A rich progress display; one bar per download.
        releases: The releases to fetch (all of them by default).
        timeout: Seconds a connection may stay silent.

    Returns:
        The keys fetched and skipped.

    Raises:
        DownloadError: A network or HTTP error (one line naming the URL).
        ParameterError: A malformed mirror URL.
    """
    mirror = mirror if mirror is not None else os.environ.get(MIRROR_ENV) or None
    folder = Path(dest) / RELEASES_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"cannot create {folder}: {error.strerror}") from None
    manifest = _read_manifest(folder)
    result = DownloadResult()
    for release in releases:
        target = folder / release.filename
        if target.is_file():
            result.skipped.append(release.key)
            continue
        url = resolve_url(release.url, mirror)
        size, sha256 = _fetch(url, target, progress, release.filename, timeout)
        manifest[release.filename] = {
            "url": release.url, "fetched_from": url, "bytes": size, "sha256": sha256,
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds")}
        _write_manifest(folder, manifest)
        result.fetched.append(release.key)
    return result


def download_atlas(dest: Path, store: Path | None = None, mirror: str | None = None,
                   progress: Progress | None = None,
                   import_progress: Callable[[str, int, int], None] | None = None,
                   do_import: bool = True) -> DownloadResult:
    """Download every release, convert it into ``dest`` and import ``dest`` into the store.

    Args:
        dest: Folder for the releases (``dest/releases``) and the converted data files.
        store: Store file; the default store when None.
        mirror: See :func:`download_releases`.
        progress: A rich progress display for the downloads.
        import_progress: Passed to :func:`narcosim.atlas.store.import_data`.
        do_import: False to stop after converting.

    Returns:
        What was fetched, skipped, converted and imported.
    """
    result = download_releases(dest, mirror, progress)
    result.converted = convert_all(Path(dest) / RELEASES_DIR, Path(dest))
    if do_import:
        result.store = Path(store) if store is not None else default_store_path()
        result.counts = import_data(Path(dest), result.store, progress=import_progress)
    return result
