"""The threat atlas: real public data, validated loaders, provenance and the local store.

Floor 1: imports nothing from other narcosim packages except :mod:`narcosim.errors`.
Each loader ``load_<table>(source)`` reads raw files from a data folder laid out
like ``shared/data`` and validates them on read; :mod:`narcosim.atlas.store` keeps
the imported tables in a local DuckDB file.
"""

from narcosim.atlas.cartels import (
    load_cartel_alliances,
    load_cartel_groups,
    load_cartel_rivalries,
    load_cartel_trends,
)
from narcosim.atlas.catalog import LOADERS, load_all
from narcosim.atlas.deaths import (
    DRUG_KEYS,
    load_fentanyl_monthly,
    load_nchs_deaths,
    load_overdose_deaths,
)
from narcosim.atlas.geometry import load_geometry
from narcosim.atlas.indicators import (
    load_buprenorphine_dispensing,
    load_naloxone_dispensing,
    load_nsduh_oud,
    load_teds_admissions,
)
from narcosim.atlas.nflis import load_nflis_reports
from narcosim.atlas.places import (
    PORT_FIELD_OFFICES,
    load_cities,
    load_crossings,
    load_hubs,
    load_ports,
)
from narcosim.atlas.population import load_population
from narcosim.atlas.provenance import TABLE_PROVENANCE, Provenance
from narcosim.atlas.query import death_years, nflis_reports, nflis_years
from narcosim.atlas.seizures import load_seizures
from narcosim.atlas.states import load_states
from narcosim.atlas.store import Atlas, default_store_path, import_data

__all__ = [
    "DRUG_KEYS",
    "LOADERS",
    "PORT_FIELD_OFFICES",
    "TABLE_PROVENANCE",
    "Atlas",
    "Provenance",
    "death_years",
    "default_store_path",
    "import_data",
    "load_all",
    "load_buprenorphine_dispensing",
    "load_cartel_alliances",
    "load_cartel_groups",
    "load_cartel_rivalries",
    "load_cartel_trends",
    "load_cities",
    "load_crossings",
    "load_fentanyl_monthly",
    "load_geometry",
    "load_hubs",
    "load_naloxone_dispensing",
    "load_nchs_deaths",
    "load_nflis_reports",
    "load_nsduh_oud",
    "load_overdose_deaths",
    "load_population",
    "load_ports",
    "load_seizures",
    "load_states",
    "load_teds_admissions",
    "nflis_reports",
    "nflis_years",
]
