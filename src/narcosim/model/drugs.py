"""The drugs the supply model moves, and how the data sources name them."""

from __future__ import annotations

#: Drugs the supply model moves, in a fixed order (index = position).
SUPPLY_DRUGS: tuple[str, ...] = ("fentanyl", "methamphetamine", "cocaine")

#: Drugs made in Mexico from precursor chemicals, which precursor control can act on. Fentanyl
#: is synthesised from NPP, 4-AP and ANPP (and their designer variants) and methamphetamine by
#: the P2P method (or from ephedrine/pseudoephedrine), chemicals the cartels import, mostly
#: from China and India (INCB, "Precursors and chemicals frequently used in the illicit
#: manufacture of narcotic drugs and psychotropic substances", 2023 report; DEA National Drug
#: Threat Assessment 2024). Cocaine is not: the cartels buy it from South American producers,
#: who refine it there from coca with their own chemicals (DEA NDTA 2024).
PRECURSOR_DRUGS: tuple[str, ...] = ("fentanyl", "methamphetamine")

#: CBP "Drug Type" for each modelled drug.
CBP_DRUG_TYPE: dict[str, str] = {
    "fentanyl": "Fentanyl",
    "methamphetamine": "Methamphetamine",
    "cocaine": "Cocaine",
}

#: One avoirdupois pound in kilograms (exact, by definition).
KG_PER_LB = 0.45359237
