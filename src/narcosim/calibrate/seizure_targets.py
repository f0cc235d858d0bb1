"""Calibration targets read from the real CBP seizure table.

CBP publishes southwest-border seizures by fiscal year, month, component (Office of Field
Operations at the ports, U.S. Border Patrol between and behind them), field office or Border
Patrol sector, and drug (CBP "Nationwide Drug Seizures", FY2019–FY2023 here). The model's
crossings are the 28 land ports, grouped by CBP field office; a Border Patrol sector is
assigned to the field office whose corridor it covers.
"""

from __future__ import annotations

import pandas as pd

from narcosim.model.drugs import CBP_DRUG_TYPE, KG_PER_LB

#: Field offices of the southwest border, in the model's order.
FIELD_OFFICES: tuple[str, ...] = (
    "SAN DIEGO FIELD OFFICE",
    "TUCSON FIELD OFFICE",
    "EL PASO FIELD OFFICE",
    "LAREDO FIELD OFFICE",
)

#: Border Patrol sector -> field office whose corridor it covers (CBP sector and field-office
#: maps: El Centro borders Calexico, Yuma borders San Luis, Big Bend borders Presidio, Del Rio and
#: Rio Grande Valley border the Laredo field office's Texas ports).
SECTOR_CORRIDOR: dict[str, str] = {
    "SAN DIEGO SECTOR": "SAN DIEGO FIELD OFFICE",
    "EL CENTRO SECTOR": "SAN DIEGO FIELD OFFICE",
    "YUMA SECTOR": "TUCSON FIELD OFFICE",
    "TUCSON SECTOR": "TUCSON FIELD OFFICE",
    "EL PASO SECTOR": "EL PASO FIELD OFFICE",
    "BIG BEND SECTOR": "EL PASO FIELD OFFICE",
    "DEL RIO SECTOR": "LAREDO FIELD OFFICE",
    "LAREDO SECTOR": "LAREDO FIELD OFFICE",
    "RIO GRANDE VALLEY SECTOR": "LAREDO FIELD OFFICE",
}

FISCAL_YEARS: tuple[int, ...] = (2019, 2020, 2021, 2022, 2023)


def southwest_seizures(seizures: pd.DataFrame) -> pd.DataFrame:
    """Southwest-border seizures of the modelled drugs, by fiscal year, component and corridor.

    Args:
        seizures: The atlas ``seizures`` table.

    Returns:
        Columns ``drug, fiscal_year, component, field_office, kg, events``; ``component`` is
        ``"OFO"`` or ``"USBP"``, ``field_office`` the corridor (a sector's field office).
    """
    by_type = {v: k for k, v in CBP_DRUG_TYPE.items()}
    sw = seizures[(seizures["region"] == "Southwest Border") & seizures["drug"].isin(by_type)]
    sw = sw.assign(
        drug=sw["drug"].map(by_type),
        field_office=sw["area"].map(lambda a: SECTOR_CORRIDOR.get(a, a)),
        kg=sw["pounds"] * KG_PER_LB,
    )
    unknown = sorted(set(sw["field_office"]) - set(FIELD_OFFICES))
    if unknown:
        raise ValueError(f"southwest-border areas with no corridor: {unknown}")
    out = (
        sw.groupby(["drug", "fiscal_year", "component", "field_office"], as_index=False)[
            ["kg", "events"]
        ]
        .sum()
        .sort_values(["drug", "fiscal_year", "component", "field_office"])
    )
    return out.reset_index(drop=True)


def totals_by_drug_year(sw: pd.DataFrame) -> pd.DataFrame:
    """Total southwest-border kilograms and events per drug and fiscal year (both components)."""
    return sw.groupby(["drug", "fiscal_year"], as_index=False)[["kg", "events"]].sum()


def ofo_shares(sw: pd.DataFrame) -> pd.DataFrame:
    """Each field office's share of the ports' (OFO) seizures, per drug and fiscal year."""
    ofo = sw[sw["component"] == "OFO"]
    g = ofo.groupby(["drug", "fiscal_year", "field_office"], as_index=False)["kg"].sum()
    g["share"] = g["kg"] / g.groupby(["drug", "fiscal_year"])["kg"].transform("sum")
    full = pd.MultiIndex.from_product(
        [sorted(g["drug"].unique()), sorted(g["fiscal_year"].unique()), FIELD_OFFICES],
        names=["drug", "fiscal_year", "field_office"],
    )
    return g.set_index(["drug", "fiscal_year", "field_office"]).reindex(full, fill_value=0.0)[
        ["share"]
    ].reset_index()
