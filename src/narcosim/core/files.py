"""Atomic file writes: a temporary file beside the target, renamed into place.

A reader (or a resumed job) sees either the old file or the complete new one, never a half
written one: the content goes to ``.<name>.tmp-<pid>`` in the same folder, and
:func:`os.replace` swaps it in. On failure the temporary file is removed and an
:class:`OSError` becomes a one-line :class:`~narcosim.errors.StoreError`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from narcosim.errors import StoreError


def temp_path(path: Path) -> Path:
    """The temporary file an atomic write of ``path`` goes through."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def atomic_write(path: Path | str, write: Callable[[Path], Any], *, fsync: bool = False) -> Path:
    """Write ``path`` atomically: ``write(temporary path)``, then rename it into place.

    Args:
        path: The file to write (its folder is created).
        write: Writes the whole content to the path it is given.
        fsync: Flush the temporary file to disk before the rename (files a resumed job
            trusts).

    Returns:
        ``path``.

    Raises:
        StoreError: The file cannot be written (nothing is left behind).
    """
    path = Path(path)
    tmp = temp_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        if fsync:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: Path | str, text: str) -> Path:
    """Write UTF-8 text to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_bytes_atomic(path: Path | str, data: bytes) -> Path:
    """Write bytes to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))

