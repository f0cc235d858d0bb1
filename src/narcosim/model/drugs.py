"""The drugs the supply model moves, and how the data sources name them."""

from __future__ import annotations

#: Drugs the supply model moves, in a fixed order (index = position).
SUPPLY_DRUGS: tuple[str, ...] = ("fentanyl", "methamphetamine", "cocaine")

#: CBP "Drug Type" for each modelled drug.
CBP_DRUG_TYPE: dict[str, str] = {
    "fentanyl": "Fentanyl",
    "methamphetamine": "Methamphetamine",
    "cocaine": "Cocaine",
}

#: One avoirdupois pound in kilograms (exact, by definition).
KG_PER_LB = 0.45359237
