"""Fentanyl potency: the DEA's laboratory series on counterfeit pills.

DEA laboratory testing of seized fentanyl pills (as reported; DESIGN.md section 3): the share
of pills with a potentially lethal dose (2 mg or more) was about 4 in 10 in 2021, 6 in 10 in
2022, 7 in 10 in 2023 and 5 in 10 in 2024; the average pill held about 2.4 mg. Years before
2021 hold the 2021 share and years after 2024 hold 2024's (stated assumptions: the DEA series
as reported starts in 2021).
"""

from __future__ import annotations

import numpy as np

#: Share of DEA-tested fentanyl pills with >= 2 mg, by year (DEA lab testing, as reported).
LETHAL_PILL_SHARE: dict[int, float] = {2021: 0.4, 2022: 0.6, 2023: 0.7, 2024: 0.5}


def lethal_share(years: np.ndarray) -> np.ndarray:
    """Share of pills with a potentially lethal dose for each (possibly fractional) year.

    Linear between the mid-points of the reported years, held flat outside them.
    """
    known = sorted(LETHAL_PILL_SHARE)
    x = np.array(known, dtype=float) + 0.5
    y = np.array([LETHAL_PILL_SHARE[k] for k in known])
    return np.interp(np.asarray(years, dtype=float), x, y)
