"""Parsers shared by the commands' options."""

from __future__ import annotations

from narcosim.errors import ParameterError


def int_list(text: str, option: str) -> tuple[int, ...]:
    """Parse ``2015-2023`` (a range, ends included) or ``2015,2016`` into whole numbers.

    Raises:
        ParameterError: Neither form, in one line naming ``option``.
    """
    try:
        if "-" in text:
            first, last = (int(x) for x in text.split("-", 1))
            return tuple(range(first, last + 1))
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise ParameterError(f"{option} {text!r}: write a range like 2015-2023 or a list "
                             "like 2015,2016") from None
