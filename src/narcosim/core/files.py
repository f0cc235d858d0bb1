"""Atomic file writes, and reading a file packaged with narcosim or named by the user.

An atomic write goes to a temporary file beside the target, renamed into place. A reader (or
a resumed job) sees either the old file or the complete new one, never a half written one:
the content goes to ``.<name>.tmp-<pid>`` in the same folder, and
:func:`os.replace` swaps it in. On failure the temporary file is removed and an
:class:`OSError` becomes a one-line :class:`~narcosim.errors.StoreError`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from narcosim.errors import ParameterError, StoreError


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



def read_packaged_or_path(path: Path | str | None, package: str, name: str,
                          what: str) -> tuple[bytes, str] | None:
    """The bytes of a user's file, or of the one packaged as ``package/name``.

    The fitted parameters (supply fit, people fit, posterior sample) are packaged beside
    :mod:`narcosim.model` and may be replaced by a file the user names.

    Args:
        path: The user's file, or None for the packaged one.
        package: The package that holds the packaged file.
        name: The packaged file's name.
        what: What the file is, for the error (``"fit"``, ``"posterior"``).

    Returns:
        ``(content, where)``, ``where`` naming the file for messages; None when ``path`` is
        None and nothing is packaged under ``name``.

    Raises:
        ParameterError: The user's file cannot be read.
    """
    if path is None:
        res = resources.files(package).joinpath(name)
        return (res.read_bytes(), name) if res.is_file() else None
    try:
        return Path(path).read_bytes(), str(path)
    except OSError as error:
        raise ParameterError(f"cannot read {what} {path}: {error.strerror}") from None
