"""Integrity of downloads: HTTPS only unless asked, and every file checked by sha256.

A release is pinned (:attr:`narcosim.atlas.publishers.Release.sha256`, for files at a
fixed version or commit) or, for the publishers' live exports that change as they are
revised (CDC, Census, CBP, BTS), recorded in ``releases/manifest.json`` on first fetch
and checked every time the cached file is reused.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from narcosim.atlas.publishers import Release
from narcosim.errors import NarcosimError


class IntegrityError(NarcosimError):
    """A release's bytes differ from its pinned or recorded sha256, or plain HTTP was refused.

    Never covered by the ``--from`` fallback: a file that is not what it should be stops
    the download.
    """


class HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but never from HTTPS to plain HTTP."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int,
                         msg: str, headers: Message, newurl: str
                         ) -> urllib.request.Request | None:
        """Refuse a redirect from HTTPS to another scheme; otherwise as urllib does.

        Raises:
            urllib.error.URLError: A redirect from HTTPS to plain HTTP.
        """
        if urlsplit(req.full_url).scheme == "https" and urlsplit(newurl).scheme != "https":
            raise urllib.error.URLError(f"redirected to plain HTTP ({newurl}), refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def check_secure(url: str, insecure: bool = False, option: str = "--mirror") -> None:
    """Refuse a URL that is not HTTPS unless ``insecure`` was asked for explicitly.

    Args:
        url: The URL (a mirror or a release).
        insecure: The user passed ``--insecure``.
        option: Named in the message.

    Raises:
        IntegrityError: A plain-HTTP (or other non-HTTPS) URL without ``insecure``.
    """
    if urlsplit(url).scheme != "https" and not insecure:
        raise IntegrityError(f"{option} {url}: not HTTPS, so the files could be altered in "
                             "transit; use an https:// address, or pass --insecure to accept "
                             "that (every file is still checked against its sha256)")


def pinned_sha256(release: Release) -> str | None:
    """The pinned digest of the release file itself (``""`` member), if any."""
    return dict(release.sha256).get("")


def check_digest(release: Release, path: Path, digest: str, expected: str, how: str) -> None:
    """Refuse (and remove) a release whose sha256 is not the expected one.

    Args:
        release: The release.
        path: Its file under ``DIR/releases``.
        digest: The file's sha256.
        expected: The pinned or recorded sha256.
        how: ``pinned`` or where the record comes from, for the message.

    Raises:
        IntegrityError: The digests differ (the file is removed first).
    """
    if digest != expected:
        path.unlink(missing_ok=True)
        raise IntegrityError(f"{release.filename}: sha256 {digest[:12]}… is not the {how} "
                             f"{expected[:12]}…; the file changed or was altered, so it was "
                             "removed (rerun to fetch it again)")
