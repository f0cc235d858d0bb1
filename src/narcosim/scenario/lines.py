"""Where each key of a TOML file stands: a small scanner, since ``tomllib`` gives no positions.

:func:`key_lines` maps every key path of a (valid) TOML text to the line it is written on.
Paths use the same shape as the parsed data: table and key names as strings, positions in
arrays (including ``[[arrays of tables]]``) as integers, so a validation error located at
``("interventions", 0, "target", "states", 1)`` finds its line directly, or through its
nearest written ancestor (:func:`line_of`). Table headers, dotted keys, quoted keys, inline
tables, arrays over several lines, comments and all four kinds of strings are handled; the
scanner assumes the text already parsed with ``tomllib`` and never raises on odd input.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

Path = tuple[str | int, ...]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class _Scanner:
    """One pass over the text, recording the line of every key path."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Path, int] = {}
        self.arrays: dict[Path, int] = {}  # array-of-tables path -> its last index

    # ----------------------------------------------------------------- characters
    def peek(self, n: int = 1) -> str:
        return self.text[self.pos:self.pos + n]

    def advance(self, n: int = 1) -> None:
        chunk = self.text[self.pos:self.pos + n]
        self.line += chunk.count("\n")
        self.pos += len(chunk)

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def skip_spaces(self) -> None:
        while self.peek() in (" ", "\t") and not self.at_end():
            self.advance()

    def skip_comment(self) -> None:
        if self.peek() == "#":
            while not self.at_end() and self.peek() != "\n":
                self.advance()

    def skip_blank(self) -> None:
        """Skip spaces, newlines and comments (inside arrays)."""
        while not self.at_end():
            ch = self.peek()
            if ch in (" ", "\t", "\r", "\n"):
                self.advance()
            elif ch == "#":
                self.skip_comment()
            else:
                return

    def skip_line(self) -> None:
        while not self.at_end() and self.peek() != "\n":
            self.advance()
        self.advance()

    # ----------------------------------------------------------------- strings and keys
    def read_string(self) -> str:
        """Read a string of any of the four kinds at the cursor; return its text."""
        for quote in ('"""', "'''"):
            if self.peek(3) == quote:
                self.advance(3)
                start = self.pos
                while not self.at_end():
                    if self.peek() == "\\" and quote == '"""':
                        self.advance(2)
                    elif self.peek(3) == quote:
                        while self.peek(4) == quote + quote[0]:  # up to two quotes inside
                            self.advance()
                        body = self.text[start:self.pos]
                        self.advance(3)
                        return body
                    else:
                        self.advance()
                return self.text[start:]
        quote = self.peek()
        self.advance()
        start = self.pos
        while not self.at_end() and self.peek() not in (quote, "\n"):
            self.advance(2 if quote == '"' and self.peek() == "\\" else 1)
        raw = self.text[start:self.pos]
        self.advance()
        if quote == '"':
            try:
                return str(json.loads(f'"{raw}"'))
            except ValueError:
                return raw
        return raw

    def read_key(self) -> tuple[str, ...]:
        """Read a (dotted) key; the cursor stops on what follows it."""
        parts: list[str] = []
        while not self.at_end():
            self.skip_spaces()
            ch = self.peek()
            if ch in ('"', "'"):
                parts.append(self.read_string())
            else:
                start = self.pos
                while not self.at_end() and self.peek() in _BARE:
                    self.advance()
                if self.pos == start:
                    break
                parts.append(self.text[start:self.pos])
            self.skip_spaces()
            if self.peek() != ".":
                break
            self.advance()
        return tuple(parts)

    # ----------------------------------------------------------------- structure
    def concrete(self, keys: Sequence[str]) -> Path:
        """A table path with the current index of every array of tables it passes through."""
        path: Path = ()
        for key in keys:
            path = (*path, key)
            if path in self.arrays:
                path = (*path, self.arrays[path])
        return path

    def record(self, path: Path, line: int) -> None:
        self.lines.setdefault(path, line)

    def header(self) -> Path:
        """Read a ``[table]`` or ``[[array]]`` header; return the new current table."""
        line = self.line
        double = self.peek(2) == "[["
        self.advance(2 if double else 1)
        keys = self.read_key()
        self.skip_line()
        if not double:
            path = self.concrete(keys)
            self.record(path, line)
            return path
        parent = self.concrete(keys[:-1])
        array = (*parent, keys[-1]) if keys else parent
        index = self.arrays.get(array, -1) + 1
        self.arrays[array] = index
        self.record(array, line)
        self.record((*array, index), line)
        return (*array, index)

    def value(self, path: Path) -> None:
        """Read one value at the cursor, recording the lines of nested keys and items."""
        self.skip_spaces()
        ch = self.peek()
        if ch in ('"', "'"):
            self.read_string()
        elif ch == "[":
            self.advance()
            index = 0
            while not self.at_end():
                self.skip_blank()
                if self.peek() == "]":
                    self.advance()
                    return
                start = self.pos
                self.record((*path, index), self.line)
                self.value((*path, index))
                self.skip_blank()
                if self.peek() == ",":
                    self.advance()
                    index += 1
                elif self.pos == start:
                    self.advance()
        elif ch == "{":
            self.advance()
            while not self.at_end():
                self.skip_spaces()
                if self.peek() == "}":
                    self.advance()
                    return
                start = self.pos
                self.pair(path)
                self.skip_spaces()
                if self.peek() == "," or self.pos == start:
                    self.advance()
        else:
            while not self.at_end() and self.peek() not in (",", "]", "}", "#", "\n"):
                self.advance()

    def pair(self, table: Path) -> None:
        """Read ``key = value`` under ``table``."""
        line = self.line
        keys = self.read_key()
        path = (*table, *keys)
        self.record(path, line)
        self.skip_spaces()
        if self.peek() == "=":
            self.advance()
            self.value(path)

    def scan(self) -> dict[Path, int]:
        table: Path = ()
        while not self.at_end():
            self.skip_blank()
            if self.at_end():
                break
            start = self.pos
            if self.peek() == "[":
                table = self.header()
            else:
                self.pair(table)
                self.skip_spaces()
                self.skip_comment()
            if self.pos == start:  # never stall on input the scanner does not understand
                self.skip_line()
        return self.lines


def key_lines(text: str) -> dict[Path, int]:
    """Line (1-based) of every key path in a TOML text.

    Args:
        text: TOML text that ``tomllib`` accepts.

    Returns:
        Path -> line, e.g. ``("interventions", 0, "end") -> 14``. An array of tables maps
        both its path and each item's path (with the index) to the item's header line; the
        array's own path maps to its first header.
    """
    return _Scanner(text).scan()


def line_of(lines: Mapping[Path, int], path: Sequence[str | int]) -> int:
    """Line of ``path`` or of its nearest ancestor that is written in the file (1 if none)."""
    path = tuple(path)
    for n in range(len(path), 0, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return 1


def dotted(path: Sequence[str | int]) -> str:
    """A key path as users write it: ``interventions[0].target.states[1]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            shown = part if part and set(part) <= _BARE else json.dumps(part)
            out += f".{shown}" if out else shown
    return out
