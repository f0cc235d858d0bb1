"""Small questions asked of an imported atlas: which years it holds, a drug's reports.

The model and calibration ask these instead of hard-coding years, so a newer
release imported with ``narcosim atlas import`` is picked up as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from narcosim.errors import StoreError

if TYPE_CHECKING:
    from narcosim.atlas.store import Atlas


def death_years(atlas: Atlas) -> tuple[int, ...]:
    """Return the calendar years of CDC VSRR overdose deaths in the store.

    Args:
        atlas: An opened store (:meth:`narcosim.atlas.store.Atlas.open`).

    Returns:
        The distinct years of the ``overdose_deaths`` table, ascending
        (e.g. ``(2015, ..., 2023)``).
    """
    return table_years(atlas.table("overdose_deaths"))


def nflis_years(atlas: Atlas) -> tuple[int, ...]:
    """Return the calendar years of NFLIS drug reports in the store.

    Args:
        atlas: An opened store.

    Returns:
        The distinct years of the ``nflis_reports`` table, ascending.
    """
    return table_years(atlas.table("nflis_reports"))


def nflis_reports(atlas: Atlas, drug: str) -> pd.DataFrame:
    """Return one drug's NFLIS reports by year and state.

    Args:
        atlas: An opened store.
        drug: A key of the ``nflis_reports`` table, e.g. 'fentanyl', 'heroin',
            'cocaine', 'methamphetamine', 'xylazine' (see :mod:`narcosim.atlas.nflis`).

    Returns:
        A frame indexed by year (rows) and state_abbr (columns) of reports (float);
        NaN where the state reported nothing at all that year.

    Raises:
        StoreError: Unknown drug key (the message lists the known ones).
    """
    table = atlas.table("nflis_reports")
    if drug not in set(table["drug"]):
        keys = ", ".join(sorted(set(table["drug"])))
        raise StoreError(f"no NFLIS drug '{drug}' in the atlas; drugs: {keys}")
    rows = table[table["drug"] == drug]
    return rows.pivot(index="year", columns="state_abbr", values="reports").sort_index()


def table_years(table: pd.DataFrame) -> tuple[int, ...]:
    """Return the distinct values of a table's ``year`` column, ascending."""
    return tuple(sorted(int(y) for y in table["year"].unique()))


__all__ = ["death_years", "nflis_reports", "nflis_years", "table_years"]
