"""Helpers shared by the bad-input and fuzz tests: data copies, hashes, in-process CLI calls."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from narcosim.cli import main


def copy_data(src: Path, dst: Path) -> Path:
    """Copy the data folder with writable permissions (the originals are read-only)."""
    for path in src.rglob("*"):
        if path.is_file():
            target = dst / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return dst


def sha(path: Path) -> str:
    """sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def folder_state(folder: Path) -> dict[str, str]:
    """Every file under a folder -> its sha256 (what 'unchanged' means for a folder)."""
    return {str(p.relative_to(folder)): sha(p) for p in sorted(Path(folder).rglob("*"))
            if p.is_file()}


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``narcosim ARGV`` in this process; return (exit code, stdout, stderr).

    Anything but SystemExit escaping ``main`` (a traceback) fails the test.
    """
    capsys.readouterr()
    try:
        main(argv)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_refused(code: int, out: str, err: str, *fragments: str) -> str:
    """A refusal: exit 2, one line on stderr starting 'error: ', no traceback."""
    assert "Traceback" not in out + err, err
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def read_rows(path: Path) -> tuple[bool, list[list[str]]]:
    """A CSV file's rows (header first) and whether it starts with a byte-order mark."""
    import csv
    import io

    text = Path(path).read_text(encoding="utf-8")
    bom = text.startswith("\ufeff")
    return bom, list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def write_rows(path: Path, rows: list[list[str]], bom: bool = False) -> None:
    """Write rows as CSV (LF line ends), with a byte-order mark when asked."""
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    Path(path).write_text(("\ufeff" if bom else "") + buffer.getvalue(), encoding="utf-8")


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell: ``row`` is the 1-based data row (the header is not counted)."""
    bom, rows = read_rows(path)
    rows[row][rows[0].index(column)] = value
    write_rows(path, rows, bom)


def replace_all(path: Path, old: str, new: str) -> None:
    """Replace text everywhere in a file; the text must be there."""
    text = Path(path).read_text(encoding="utf-8")
    assert old in text, (path, old)
    Path(path).write_text(text.replace(old, new), encoding="utf-8")
