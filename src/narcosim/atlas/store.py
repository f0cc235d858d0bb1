"""The local DuckDB store of imported atlas tables.

``import_data`` validates every file first, then writes all tables into a
temporary DuckDB file next to the target and swaps it in with ``os.replace``, so
a failed import leaves the previous store byte-identical, and importing the same
folder twice gives identical tables. ``Atlas`` reads the store.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pandas as pd
import platformdirs

from narcosim.atlas.catalog import LOADERS, load_all
from narcosim.atlas.provenance import file_hashes, provenance_table
from narcosim.errors import DataValidationError, StoreError

STORE_FILENAME = "atlas.duckdb"
HOME_ENV = "NARCOSIM_HOME"
#: Bookkeeping tables written beside the data tables.
PROVENANCE_TABLE = "_provenance"
FILES_TABLE = "_files"
#: Bump when table layouts change, so old stores are detected.
SCHEMA_VERSION = 2

Progress = Callable[[str, int, int], None]


def default_store_path() -> Path:
    """Return where the store lives unless ``--store`` says otherwise.

    Returns:
        ``$NARCOSIM_HOME/atlas.duckdb`` when the variable is set, else
        ``atlas.duckdb`` in the per-user data folder (platformdirs).
    """
    home = os.environ.get(HOME_ENV)
    folder = Path(home) if home else Path(platformdirs.user_data_dir("narcosim", appauthor=False))
    return folder / STORE_FILENAME


def _check_source(source: Path) -> Path:
    source = Path(source)
    if not source.is_dir():
        raise DataValidationError(f"data folder {source} not found (or not a folder)")
    return source


def import_data(source: Path, store: Path | None = None,
                progress: Progress | None = None) -> dict[str, int]:
    """Validate a data folder and write every table into the store atomically.

    Args:
        source: Data folder laid out like ``shared/data``.
        store: Store file; :func:`default_store_path` when None.
        progress: Called as ``progress(step, done, total)``: once per table
            validated, then once per table written.

    Returns:
        Table name -> number of rows written.

    Raises:
        DataValidationError: A file failed validation (the store is untouched).
        StoreError: The store could not be written (the store is untouched).
    """
    source = _check_source(source)
    target = Path(store) if store is not None else default_store_path()
    total = 2 * len(LOADERS)

    def _validated(name: str, done: int, _: int) -> None:
        if progress is not None:
            progress(f"validated {name}", done, total)

    tables = load_all(source, _validated)
    hashes = file_hashes(source)
    prov = provenance_table(hashes)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"cannot create store folder {target.parent}: {error.strerror}") from None
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    counts: dict[str, int] = {}
    with store_lock(target):
        clean_leftovers(target)
        _write_store(target, temp, tables, prov, hashes, counts, progress, total)
    return counts


def _write_store(target: Path, temp: Path, tables: dict[str, pd.DataFrame],
                 prov: pd.DataFrame, hashes: pd.DataFrame, counts: dict[str, int],
                 progress: Progress | None, total: int) -> None:
    try:
        _remove(temp)
        con = duckdb.connect(str(temp))
        try:
            for i, (name, frame) in enumerate(tables.items(), start=len(LOADERS) + 1):
                _write(con, name, frame)
                counts[name] = len(frame)
                if progress is not None:
                    progress(f"wrote {name}", i, total)
            _write(con, PROVENANCE_TABLE, prov)
            _write(con, FILES_TABLE, hashes)
            con.execute(f"CREATE TABLE _meta AS SELECT {SCHEMA_VERSION} AS schema_version")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(temp, target)
    except (OSError, duckdb.Error) as error:
        raise StoreError(f"cannot write store {target}: {error}".splitlines()[0]) from None
    finally:
        _remove(temp)
        _remove(temp.with_name(temp.name + ".wal"))


@contextlib.contextmanager
def store_lock(target: Path) -> Iterator[None]:
    """Hold an exclusive lock on the store's folder while the store is replaced.

    The lock is an ``flock`` on the folder itself, so no lock file is left behind and
    a killed process releases it. A second import into the same folder waits
    for none: it fails at once in one line.

    Args:
        target: The store file.

    Raises:
        StoreError: Another process holds the lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks
        yield
        return
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"store {target} is being written by another "
                             "`narcosim atlas import`; try again when it has finished") from None
        yield
    finally:
        os.close(fd)


def clean_leftovers(target: Path) -> list[Path]:
    """Remove temporary stores that a killed import left beside the store.

    Call only while holding :func:`store_lock`: every live import holds it while its
    temporary file exists, so any temporary file found then is a leftover.

    Args:
        target: The store file.

    Returns:
        The files removed.
    """
    removed = []
    for path in target.parent.glob(f".{target.name}.*.tmp*"):
        if path.suffix in (".tmp", ".wal") and path.is_file():
            _remove(path)
            removed.append(path)
    return removed


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _write(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    con.register("_frame", frame)
    try:
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _frame')
    finally:
        con.unregister("_frame")


class Atlas:
    """A read-only view of an imported atlas store.

    Attributes:
        path: The store file.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Atlas({str(self.path)!r}, tables={len(self.tables())})"

    @classmethod
    def open(cls, store: Path | None = None) -> Atlas:
        """Open a store, checking that it exists and is an atlas store.

        Args:
            store: Store file; :func:`default_store_path` when None.

        Returns:
            The atlas.

        Raises:
            StoreError: No store there, or the file is not a narcosim atlas store.
        """
        path = Path(store) if store is not None else default_store_path()
        if not path.is_file():
            raise StoreError(f"no atlas store at {path}; run `narcosim atlas import DIR` first")
        atlas = cls(path)
        names = atlas._names()
        missing = [n for n in (*LOADERS, PROVENANCE_TABLE, FILES_TABLE) if n not in names]
        if missing:
            raise StoreError(f"{path} is not a complete narcosim atlas store (no table "
                             f"'{missing[0]}'); run `narcosim atlas import DIR` again")
        return atlas

    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as error:
            raise StoreError(f"cannot open atlas store {self.path}: "
                             f"{str(error).splitlines()[0]}") from None

    def _names(self) -> list[str]:
        con = self._connect()
        try:
            rows = con.execute("SELECT table_name FROM information_schema.tables "
                               "ORDER BY table_name").fetchall()
        except duckdb.Error as error:
            raise self._broken(error) from None
        finally:
            con.close()
        return [r[0] for r in rows]

    def _read(self, name: str) -> pd.DataFrame:
        con = self._connect()
        try:
            return con.execute(f'SELECT * FROM "{name}"').df()
        except duckdb.Error as error:
            raise self._broken(error) from None
        finally:
            con.close()

    def _broken(self, error: Exception) -> StoreError:
        return StoreError(f"atlas store {self.path} is damaged ({str(error).splitlines()[0]}); "
                          "run `narcosim atlas import DIR` again")

    def tables(self) -> list[str]:
        """Return the data tables in the store, in catalog order.

        Returns:
            Table names (bookkeeping tables excluded).
        """
        names = set(self._names())
        return [n for n in LOADERS if n in names]

    def table(self, name: str) -> pd.DataFrame:
        """Read one table.

        Args:
            name: A name from :meth:`tables`.

        Returns:
            The table as stored.

        Raises:
            StoreError: Unknown table.
        """
        if name not in LOADERS:
            raise StoreError(f"unknown atlas table '{name}'; tables: {', '.join(LOADERS)}")
        return self._read(name)

    def provenance(self) -> pd.DataFrame:
        """Return provenance, one row per table, with the sha256 of each imported file.

        Returns:
            Columns ``table, publisher, source, licence, trimming, files, sha256``.
        """
        return self._read(PROVENANCE_TABLE)

    def files(self) -> pd.DataFrame:
        """Return the imported files with their sha256 and size.

        Returns:
            Columns ``file, sha256, bytes``.
        """
        return self._read(FILES_TABLE)
