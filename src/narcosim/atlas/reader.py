"""Strict CSV reading and per-cell validation shared by the atlas loaders.

Every problem becomes one :class:`~narcosim.errors.DataValidationError` line that
names the file, the 1-based data row (the header is not counted; line = row + 1)
and the column, e.g.
``cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv row 17 column
'Total Deaths': negative count -3``.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from narcosim.errors import DataValidationError

#: Largest whole number a float64 holds exactly: whole-number cells above it are refused
#: (``1e308`` would otherwise wrap to -9223372036854775808 in int64).
MAX_WHOLE = float(2**53)


def _fail(name: str, where: str, message: str) -> DataValidationError:
    text = f"{name} {where}: {message}" if where else f"{name}: {message}"
    return DataValidationError(" ".join(text.split()))


def read_text(path: Path, *, bom: bool = False) -> str:
    """Read a whole file as strict UTF-8 text.

    Args:
        path: The file.
        bom: Accept (and drop) a leading UTF-8 byte-order mark.

    Returns:
        The decoded text.

    Raises:
        DataValidationError: The file is missing, empty, not UTF-8 or holds NUL
            bytes (UTF-16 and other wide encodings).
    """
    name = path.name
    if not path.is_file():
        raise _fail(name, "", f"file not found in {path.parent}")
    raw = path.read_bytes()
    if not raw.strip():
        raise _fail(name, "", "empty file")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise _fail(name, "line 1", "UTF-16 byte-order mark; expected UTF-8 text")
    try:
        text = raw.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        byte = raw[error.start]
        raise _fail(name, f"line {line}",
                    f"not valid UTF-8 (byte 0x{byte:02x} at offset {error.start}); "
                    "re-save the file as UTF-8") from None
    if not bom and text.startswith("\ufeff"):
        text = text[1:]
    nul = text.find("\x00")
    if nul >= 0:
        line = text[:nul].count("\n") + 1
        raise _fail(name, f"line {line}", "NUL byte in text (UTF-16 or binary file?); "
                    "expected UTF-8")
    return text


def read_csv(path: Path, required: Sequence[str], *, bom: bool = False) -> pd.DataFrame:
    """Read a CSV file strictly into a DataFrame of strings.

    Checks the encoding, that the file is not empty, that every required
    column is in the header, and that every row has exactly as many fields as
    the header (a short row or an unterminated quote means a truncated file).

    Args:
        path: The CSV file.
        required: Columns that must be present.
        bom: Accept a UTF-8 byte-order mark (the cartel files carry one).

    Returns:
        All columns as ``str`` (blank cells are ``""``), with a RangeIndex whose
        value + 1 is the 1-based data row number.

    Raises:
        DataValidationError: One line naming the file, row or line and column.
    """
    name = path.name
    text = read_text(path, bom=bom)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as error:
        raise _fail(name, "line 1", f"malformed header ({error})") from None
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise _fail(name, "line 1", f"missing column '{missing[0]}' "
                    f"(header has: {', '.join(header)})")
    rows: list[list[str]] = []
    width = len(header)
    try:
        for fields in reader:
            if not fields:
                continue
            row = len(rows) + 1
            if len(fields) != width:
                col = header[min(len(fields), width - 1)]
                kind = "too few" if len(fields) < width else "too many"
                raise _fail(name, f"row {row} (line {reader.line_num}) column '{col}'",
                            f"{kind} fields: {len(fields)} of {width} (truncated or "
                            "malformed row)")
            rows.append(fields)
    except csv.Error as error:
        raise _fail(name, f"row {len(rows) + 1} (line {reader.line_num})",
                    f"malformed CSV ({error}); unterminated quote or truncated file") from None
    if not rows:
        raise _fail(name, "", "no data rows (header only)")
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame.attrs["file"] = name
    return frame


def fail_at(frame: pd.DataFrame, index: object, column: str, message: str) -> DataValidationError:
    """Build the one-line error for a cell.

    Args:
        frame: A frame returned by :func:`read_csv` (possibly filtered).
        index: The index label of the bad row.
        column: The column name as written in the file.
        message: What is wrong.

    Returns:
        The error, ready to raise.
    """
    row = int(index) + 1 if isinstance(index, (int, np.integer)) else index
    return _fail(frame.attrs.get("file", "?"), f"row {row} column '{column}'", message)


def numbers(frame: pd.DataFrame, column: str, *, blank_ok: bool = False,
            minimum: float | None = 0.0, maximum: float | None = None,
            integer: bool = False, what: str = "count") -> pd.Series:
    """Parse a column as numbers, failing on the first bad cell.

    Args:
        frame: A frame from :func:`read_csv`.
        column: The column to parse.
        blank_ok: Blank cells become NaN (e.g. values CDC withheld) instead of an error.
        minimum: Smallest allowed value (None: no bound). Counts default to 0.
        maximum: Largest allowed value (None: no bound, except that whole numbers stay
            within 2**53, so they convert to int64 exactly and never overflow).
        integer: Values must be whole numbers.
        what: Word used in messages ("count", "year", "latitude" ...).

    Returns:
        A float64 Series (NaN only where blank and ``blank_ok``).

    Raises:
        DataValidationError: Blank, non-numeric, non-whole or out-of-range value.
    """
    if integer:
        maximum = MAX_WHOLE if maximum is None else min(maximum, MAX_WHOLE)
    raw = frame[column].astype(str).str.strip()
    values = pd.to_numeric(raw.where(raw != "", None), errors="coerce").astype("float64")
    blank = raw == ""
    if not blank_ok and blank.any():
        raise fail_at(frame, blank.idxmax(), column, f"missing {what} (blank cell)")
    bad = values.isna() & ~blank
    bad |= np.isinf(values)
    if bad.any():
        i = bad.idxmax()
        raise fail_at(frame, i, column, f"non-numeric {what} {raw[i]!r}")
    if integer:
        frac = values.notna() & (values != np.floor(values))
        if frac.any():
            i = frac.idxmax()
            raise fail_at(frame, i, column, f"{what} {raw[i]!r} is not a whole number")
    if minimum is not None:
        low = values < minimum
        if low.any():
            i = low.idxmax()
            word = "negative" if minimum == 0 and values[i] < 0 else "out-of-range"
            raise fail_at(frame, i, column, f"{word} {what} {raw[i]} (minimum {minimum:g})")
    if maximum is not None:
        high = values > maximum
        if high.any():
            i = high.idxmax()
            raise fail_at(frame, i, column, f"out-of-range {what} {raw[i]} "
                          f"(maximum {maximum:g})")
    return values


def current_year() -> int:
    """Return the current calendar year: the latest year a data release can hold.

    Returns:
        The year of today's date (local time).
    """
    return datetime.date.today().year


def years(frame: pd.DataFrame, column: str, first: int) -> pd.Series:
    """Parse a calendar-year column: whole numbers from ``first`` to the current year.

    Releases grow each year, so no last year is fixed; a year after the current
    calendar year cannot be data and is refused.

    Args:
        frame: A frame from :func:`read_csv`.
        column: The year column.
        first: The earliest year the source can hold.

    Returns:
        An int64 Series.

    Raises:
        DataValidationError: Blank, non-numeric, non-whole, before ``first`` or in
            the future.
    """
    return numbers(frame, column, integer=True, minimum=first, maximum=current_year(),
                   what="year").astype("int64")


def duplicates(frame: pd.DataFrame, keys: pd.DataFrame, column: str, what: str) -> None:
    """Fail on the first row whose key repeats an earlier row's.

    Args:
        frame: A frame from :func:`read_csv`.
        keys: The key columns, aligned with ``frame``.
        column: File column named in the message.
        what: What the key identifies, e.g. "state-year".

    Raises:
        DataValidationError: On the first duplicate.
    """
    dup = keys.duplicated()
    if dup.any():
        i = dup.idxmax()
        shown = " ".join(str(v) for v in keys.loc[i])
        raise fail_at(frame, i, column, f"duplicate {what} row ({shown})")


def known(frame: pd.DataFrame, column: str, allowed: Iterable[str], what: str) -> pd.Series:
    """Check that every cell of a column is one of the allowed values.

    Args:
        frame: A frame from :func:`read_csv`.
        column: The column.
        allowed: The known values.
        what: Word for messages, e.g. "state".

    Returns:
        The stripped column.

    Raises:
        DataValidationError: On the first unknown value.
    """
    allowed = set(allowed)
    values = frame[column].astype(str).str.strip()
    unknown = ~values.isin(allowed)
    if unknown.any():
        i = unknown.idxmax()
        raise fail_at(frame, i, column, f"unknown {what} {values[i]!r}")
    return values


def nonblank(frame: pd.DataFrame, column: str, what: str = "value") -> pd.Series:
    """Return a stripped text column, failing on the first blank cell.

    Args:
        frame: A frame from :func:`read_csv`.
        column: The column.
        what: Word for messages.

    Returns:
        The stripped column.

    Raises:
        DataValidationError: On the first blank cell.
    """
    values = frame[column].astype(str).str.strip()
    blank = values == ""
    if blank.any():
        raise fail_at(frame, blank.idxmax(), column, f"missing {what} (blank cell)")
    return values


def require_rows(name: str, got: int, expected: int, what: str) -> None:
    """Fail when a file does not hold the expected number of some item.

    Args:
        name: File name.
        got: How many were found.
        expected: How many there must be.
        what: What was counted.

    Raises:
        DataValidationError: When ``got != expected``.
    """
    if got != expected:
        raise _fail(name, "", f"expected {expected} {what}, found {got}")
