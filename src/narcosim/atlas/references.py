"""Checks across atlas tables: what one table names, another must hold.

Each loader checks its own file; :func:`check_references` checks that the tables
agree with each other the way a model run uses them (the world is built from
states, population, ports and hubs; seizures are read by the ports' field offices).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from narcosim.atlas.schema import STATE_FIPS, TABLES
from narcosim.errors import DataValidationError


def _require(table: str, column: str, values: Iterable[object], known: Iterable[object],
             what: str) -> None:
    missing = sorted({str(v) for v in values} - {str(k) for k in known})
    if missing:
        raise DataValidationError(f"{TABLES[table].file} (table {table}): column {column!r} "
                                  f"names {missing[0]!r}, which is not {what}")


def check_references(tables: Mapping[str, pd.DataFrame]) -> None:
    """Check the loaded tables against each other.

    Args:
        tables: Table name -> frame, as :func:`narcosim.atlas.catalog.load_all` loads them.

    Raises:
        DataValidationError: One line naming the table, column and value that has no
            counterpart: a state's FIPS code and USPS code that do not belong
            together, a port, hub or state unknown to the table that should hold it,
            or a port field office with no seizure rows.
    """
    states = tables["states"]
    for fips, abbr in zip(states["state_fips"], states["state_abbr"], strict=True):
        if STATE_FIPS.get(str(fips)) != str(abbr):
            raise DataValidationError(
                f"{TABLES['states'].file} (table states): FIPS {fips!r} is "
                f"{STATE_FIPS.get(str(fips))!r}, not {abbr!r}")
    abbrs = list(states["state_abbr"])
    ports = tables["ports"]
    _require("crossings", "port_code", tables["crossings"]["port_code"], ports["port_code"],
             "a port in the ports table")
    _require("hubs", "state_abbr", tables["hubs"]["state_abbr"], abbrs, "a state")
    _require("population", "state_abbr", abbrs, tables["population"]["state_abbr"],
             "in the population table")
    seizures = tables["seizures"]
    ofo = seizures.loc[seizures["component"] == "OFO", "area"]
    _require("ports", "field_office", ports["field_office"], ofo,
             "an OFO area in the seizures table")
