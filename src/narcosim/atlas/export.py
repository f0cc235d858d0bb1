"""Write the stored atlas tables out as Parquet or CSV files."""

from __future__ import annotations

from pathlib import Path

from narcosim.atlas.store import Atlas
from narcosim.errors import ParameterError, StoreError

FORMATS = ("parquet", "csv")


def export_tables(out: Path, fmt: str = "parquet", store: Path | None = None) -> list[Path]:
    """Write every table of the store to ``out/<table>.<fmt>``, plus ``_provenance``.

    Args:
        out: Output folder (created if needed).
        fmt: 'parquet' or 'csv'.
        store: Store file; the default store when None.

    Returns:
        The files written.

    Raises:
        ParameterError: Unknown format.
        StoreError: No store, or the folder cannot be written.
    """
    if fmt not in FORMATS:
        raise ParameterError(f"--format '{fmt}': expected one of {', '.join(FORMATS)}")
    atlas = Atlas.open(store)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"cannot create export folder {out}: {error.strerror}") from None
    frames = {name: atlas.table(name) for name in atlas.tables()}
    frames["_provenance"] = atlas.provenance()
    frames["_files"] = atlas.files()
    written = []
    for name, frame in frames.items():
        path = out / f"{name}.{fmt}"
        try:
            if fmt == "parquet":
                frame.to_parquet(path, index=False)
            else:
                frame.to_csv(path, index=False)
        except OSError as error:
            raise StoreError(f"cannot write {path}: {error.strerror}") from None
        written.append(path)
    return written
