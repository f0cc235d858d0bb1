"""The atlas tables: name -> loader, in the order they are validated and stored."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from narcosim.atlas.cartels import (
    load_cartel_alliances,
    load_cartel_groups,
    load_cartel_rivalries,
    load_cartel_trends,
)
from narcosim.atlas.deaths import load_fentanyl_monthly, load_nchs_deaths, load_overdose_deaths
from narcosim.atlas.geometry import load_geometry
from narcosim.atlas.indicators import (
    load_buprenorphine_dispensing,
    load_naloxone_dispensing,
    load_nsduh_oud,
    load_teds_admissions,
)
from narcosim.atlas.nflis import load_nflis_reports
from narcosim.atlas.places import load_cities, load_crossings, load_hubs, load_ports
from narcosim.atlas.population import load_population
from narcosim.atlas.references import check_references
from narcosim.atlas.schema import check_table
from narcosim.atlas.seizures import load_seizures
from narcosim.atlas.states import load_states

Loader = Callable[[Path], pd.DataFrame]

#: Every atlas table and its loader. Keys match ``provenance.TABLE_PROVENANCE``.
LOADERS: dict[str, Loader] = {
    "states": load_states,
    "overdose_deaths": load_overdose_deaths,
    "fentanyl_monthly": load_fentanyl_monthly,
    "nchs_deaths": load_nchs_deaths,
    "population": load_population,
    "seizures": load_seizures,
    "ports": load_ports,
    "crossings": load_crossings,
    "cities": load_cities,
    "hubs": load_hubs,
    "cartel_groups": load_cartel_groups,
    "cartel_alliances": load_cartel_alliances,
    "cartel_rivalries": load_cartel_rivalries,
    "cartel_trends": load_cartel_trends,
    "geometry": load_geometry,
    "nflis_reports": load_nflis_reports,
    "nsduh_oud": load_nsduh_oud,
    "naloxone_dispensing": load_naloxone_dispensing,
    "buprenorphine_dispensing": load_buprenorphine_dispensing,
    "teds_admissions": load_teds_admissions,
}


def load_all(source: Path,
             progress: Callable[[str, int, int], None] | None = None) -> dict[str, pd.DataFrame]:
    """Load and validate every table from a data folder.

    Args:
        source: Data folder laid out like ``shared/data``.
        progress: Called as ``progress(table, done, total)`` after each table.

    Returns:
        Table name -> DataFrame.

    Every table is held to its declaration in :mod:`narcosim.atlas.schema` (types,
    bounds, key, grid), then the tables are checked against each other
    (:func:`narcosim.atlas.references.check_references`), so that a folder that
    loads gives a store a model run can use.

    Raises:
        DataValidationError: The first problem found, as one line.
    """
    tables: dict[str, pd.DataFrame] = {}
    for i, (name, loader) in enumerate(LOADERS.items(), start=1):
        tables[name] = loader(Path(source))
        check_table(name, tables[name])
        if progress is not None:
            progress(name, i, len(LOADERS))
    check_references(tables)
    return tables
