"""Parameters of the people who use drugs: sizes, care, tolerance, naloxone, overdose risk.

Each default cites its source and each uncertain parameter carries a prior range (``prior``,
cited or marked ``guess:`` with a reason), the range ``narcosim sensitivity`` samples. The
overdose-risk parameters are fitted to CDC's deaths by ``narcosim calibrate``; their defaults
here ARE the packaged fit (``fitted_people.json``, read when this module is imported), so a
People module built from Python with no parameters runs exactly as the default scenario does.
Without a packaged fit they fall back to the calibration's starting values (``FIT_START``).
"""

from __future__ import annotations

from narcosim.core.params import ParamSpec
from narcosim.model.fitted_people import DEFAULT_PEOPLE_FIT, FittedPeople

_FIT = FittedPeople.load()
#: The calibration's starting values of the fitted parameters (the defaults before a fit).
FIT_START: dict[str, float] = {
    "meth_among_oud": 0.25, "cocaine_among_oud": 0.3, "prevalence_weight": 1.0,
    "meth_among_oud_growth": 0.026, "naloxone_growth": 0.03, "od_opioid": 0.0004,
    "fentanyl_elasticity": 0.8, "od_fentanyl": 0.0016, "potency_gamma": 0.5, "od_meth": 0.0002,
    "od_cocaine": 0.0001, "meth_elasticity": 0.5, "cocaine_elasticity": 0.5,
    "adulteration": 0.0005,
    "other_deaths": 5.0, "trends_until": 0.0,
}
#: The calibration's search ranges of the shape parameters (calibrate/deaths.py SEARCH_SPACE;
#: tests/test_params_priors.py checks they agree): their prior ranges.
FIT_RANGES: dict[str, tuple[float, float]] = {
    "fentanyl_elasticity": (0.1, 2.0), "naloxone_growth": (0.0, 0.1),
    "meth_among_oud": (0.05, 0.5), "meth_among_oud_growth": (0.0, 0.06),
    "cocaine_among_oud": (0.05, 0.6), "potency_gamma": (0.0, 3.0),
    "meth_elasticity": (0.0, 2.0), "cocaine_elasticity": (0.0, 2.0),
    "prevalence_weight": (0.0, 1.5),
}
#: The linearly solved coefficients' prior: the fit divided or multiplied by this factor.
LINEAR_FACTOR = 2.0
_CMD = _FIT.meta.get("command", "narcosim calibrate")
FIT = (f"fitted: {_CMD} ({DEFAULT_PEOPLE_FIT}), CDC VSRR deaths as targets"
       if _FIT.pars else "fitted: no packaged fit, so the calibration's starting value")
SEARCHED = "the calibration's search range (calibrate/deaths.py SEARCH_SPACE)"
SOLVED = (f"the fit divided or multiplied by {LINEAR_FACTOR:g} (solved exactly given the shape "
          "parameters; a documented range around the fit, clipped to the bounds; from zero to "
          "the starting value if the fit is zero)")


def fitted(name: str) -> float:
    """The packaged fit's value of ``name``, or the calibration's starting value."""
    return float(_FIT.pars.get(name, FIT_START[name]))


def searched(name: str) -> tuple[float, float]:
    """Prior of a searched shape parameter: the search range (widened to hold the fit)."""
    low, high = FIT_RANGES[name]
    value = fitted(name)
    return min(low, value), max(high, value)


def solved(name: str, high: float) -> tuple[float, float]:
    """Prior of a linearly solved coefficient: the fit / and x ``LINEAR_FACTOR``.

    A fit at zero (non-negative least squares can put a coefficient there) ranges from zero
    to the calibration's starting value instead, so the range is never a single point.
    """
    value = fitted(name)
    if value <= 0:
        return 0.0, min(FIT_START[name], high)
    return value / LINEAR_FACTOR, min(value * LINEAR_FACTOR, high)


PEOPLE_PARAMS: list[ParamSpec] = [
    # --- who uses what -------------------------------------------------------------------
    ParamSpec("n_opioid_use_disorder", 6.1e6, "people", 0.0, 5e7,
              source="NSDUH 2022 (SAMHSA 2023): 6.1 million people aged 12+ had an opioid "
                     "use disorder in the past year",
              doc="People with opioid use disorder (held over the run).",
              prior=(5.0e6, 9.0e6),
              prior_source="guess: NSDUH 2021-2023 put it at 5.6-6.1 million; a household "
                           "survey misses people who are homeless, in jail or in care, so up "
                           "to about 1.5 times that"),
    ParamSpec("n_methamphetamine", 1.7e6, "people", 0.0, 5e7,
              source="NSDUH 2015 (SAMHSA 2016, SMA 16-4984): about 1.7 million people aged 12+ "
                     "(0.6%) used methamphetamine in the past year; the 2019 report (PEP20-07-"
                     "01-001) gives 2.0 million and calls 2015 similar",
              doc="People who used methamphetamine in the past year, in 2015 (the start).",
              prior=(1.4e6, 2.6e6),
              prior_source="guess: NSDUH's 2015-2019 figures (1.4-2.0 million) and its "
                           "under-coverage of people who use most heavily"),
    ParamSpec("meth_users_growth", 0.127, "per year", 0.0, 0.5,
              source="Han et al., JAMA Psychiatry 78(12) 2021, NSDUH 2015-2019: frequent "
                     "methamphetamine use (100+ days a year) rose 66% in four years, "
                     "ln(1.66)/4 = 0.127 a year",
              doc="Yearly growth of the people who use methamphetamine only (on top of "
                  "replacing those who leave), over the years it was measured.",
              prior=(0.089, 0.18),
              prior_source="Han et al. 2021, 2015-2019: past-year use +43% (0.089 a year) to "
                           "use disorder without injection +105% (0.18 a year)"),
    ParamSpec("meth_users_growth_until", 2020.0, "calendar_year", 2015.0, 2100.0,
              source="Han et al. 2021 measured the growth over 2015-2019; after it the people "
                     "who use methamphetamine only are held (guess: NSDUH's 2021-2023 "
                     "estimates, 2.5-2.7 million, are flat but not comparable with earlier "
                     "years after its 2020 change of method)",
              doc="Year (decimal) after which the methamphetamine-only population stops "
                  "growing.",
              prior=(2020.0, 2023.0),
              prior_source="guess: growth stopping when it was last measured (2019) up to "
                           "NSDUH's flat 2021-2023"),
    ParamSpec("n_cocaine", 5.0e6, "people", 0.0, 5e7,
              source="NSDUH 2022, approximate: about 5 million past-year cocaine users",
              doc="People who used cocaine in the past year.",
              prior=(4.0e6, 7.0e6),
              prior_source="guess: NSDUH's yearly figures and its under-coverage"),
    ParamSpec("meth_among_oud", fitted("meth_among_oud"), "fraction", 0.0, 1.0, source=FIT,
              doc="Share of people with OUD who also use methamphetamine in 2015.",
              prior=searched("meth_among_oud"), prior_source=SEARCHED),
    ParamSpec("meth_among_oud_growth", fitted("meth_among_oud_growth"), "per year", 0.0, 0.1,
              source=f"{FIT}; cited prior: Ellis, Kasper & Cicero, Drug Alcohol Depend 193 "
                     "(2018): past-month methamphetamine use among people entering opioid "
                     "treatment rose from 18.8% (2011) to 34.2% (2017), about 2.6 points a year",
              doc="Yearly rise in the share of people with OUD who also use methamphetamine.",
              prior=searched("meth_among_oud_growth"),
              prior_source=f"{SEARCHED}, which holds Ellis et al.'s 0.026"),
    ParamSpec("cocaine_among_oud", fitted("cocaine_among_oud"), "fraction", 0.0, 1.0, source=FIT,
              doc="Share of people with OUD who also use cocaine.",
              prior=searched("cocaine_among_oud"), prior_source=SEARCHED),
    ParamSpec("prevalence_weight", fitted("prevalence_weight"), "dimensionless", 0.0, 2.0,
              source=FIT,
              doc="Power of the mortality multiplier (NCHS 2013–2015 overdose death rate "
                  "relative to the nation's) applied to where people who use drugs live.",
              prior=searched("prevalence_weight"), prior_source=SEARCHED),
    # --- care, prison, tolerance ---------------------------------------------------------
    ParamSpec("treatment_share", 0.251, "fraction", 0.0, 1.0,
              source="MMWR 73(25) 2024: 25.1% of adults who needed OUD treatment received "
                     "medication in 2022",
              doc="Long-run share of people with OUD in treatment (MOUD).",
              prior=(0.15, 0.35),
              prior_source="guess: the MMWR figure is for one year and for adults who say "
                           "they needed treatment; ten points either way"),
    ParamSpec("treatment_weeks", 26.0, "weeks", 1.0, 520.0,
              source="guess: about six months' retention on MOUD",
              doc="Mean time in treatment.",
              prior=(12.0, 52.0), prior_source="guess: three months to a year on MOUD"),
    ParamSpec("treatment_to_remission", 0.3, "fraction", 0.0, 1.0,
              source="guess: share of treatment exits that end in remission",
              doc="Share of people leaving treatment who stop using.",
              prior=(0.1, 0.5), prior_source="guess: a tenth to a half of exits"),
    ParamSpec("relapse_rate", "0.5 per year", "per year", 0.0, 52.0,
              source="guess: remission lasts about two years on average",
              doc="Rate of return to use from remission.",
              prior=(0.2, 1.0), prior_source="guess: remission lasting one to five years"),
    ParamSpec("incarceration_rate", "0.05 per year", "per year", 0.0, 52.0,
              source="guess: about one in twenty people who use drugs jailed or imprisoned a year",
              doc="Rate of incarceration of people actively using.",
              prior=(0.02, 0.15), prior_source="guess: one in fifty to one in seven a year"),
    ParamSpec("incarceration_weeks", 26.0, "weeks", 1.0, 520.0,
              source="guess: mean jail or prison stay of half a year",
              doc="Mean time incarcerated.",
              prior=(8.0, 78.0),
              prior_source="guess: short jail stays to a year and a half in prison"),
    ParamSpec("tolerance_loss_multiplier", 5.0, "ratio", 1.0, 20.0,
              source="Merrall et al., Addiction 105(9) 2010: drug-related deaths 3–8 times "
                     "higher in the two weeks after release from prison (midpoint)",
              doc="Overdose-risk multiplier on returning to use after abstinence.",
              prior=(3.0, 8.0), prior_source="Merrall et al., Addiction 105(9) 2010: 3–8"),
    ParamSpec("tolerance_loss_weeks", 2.0, "weeks", 0.0, 52.0,
              source="Merrall et al., Addiction 105(9) 2010: the first two weeks after release",
              doc="How long the lost-tolerance risk lasts.",
              prior=(1.0, 4.0),
              prior_source="guess: Merrall et al. find the excess highest in the first two "
                           "weeks and still raised after them; one to four weeks"),
    ParamSpec("moud_risk_multiplier", 0.4, "ratio", 0.0, 1.0,
              source="guess informed by Sordo et al., BMJ 357 2017: mortality in methadone or "
                     "buprenorphine treatment is a fraction of that out of treatment",
              doc="Overdose-risk multiplier while in treatment.",
              prior=(0.2, 0.6),
              prior_source="guess informed by Sordo et al., BMJ 357 2017: all-cause mortality "
                           "in treatment about a third (methadone) to a half (buprenorphine) "
                           "of that out of it; overdose falls more"),
    ParamSpec("stimulant_quit_rate", "0.1 per year", "per year", 0.0, 52.0,
              source="guess: a tenth of people who use stimulants stop each year",
              doc="Rate at which stimulant-only users stop.",
              prior=(0.05, 0.3), prior_source="guess: a twentieth to nearly a third a year"),
    ParamSpec("initiation_elasticity", 0.1, "dimensionless", 0.0, 2.0,
              source="guess: initiation rises weakly with local availability",
              doc="Elasticity of initiation (replacing those who leave) to availability.",
              prior=(0.0, 0.2),
              prior_source="guess: from none to twice the default; higher values make the "
                           "best-supplied states grow without bound (initiation replaces "
                           "leavers times relative availability ** elasticity), so the "
                           "runs stop being about the real epidemic"),
    ParamSpec("trends_until", fitted("trends_until"), "calendar_year", 0.0, 2100.0,
              source=f"{FIT}: status-quo assumption, the fitted linear trends (naloxone "
                     "access, methamphetamine co-use) are identified only over the fit years, "
                     "so they are held after them; calibration sets it to the end of the last "
                     "fit year; 0 = never held",
              doc="Year (decimal) after which naloxone access and co-use stay at their level."),
    # --- naloxone ------------------------------------------------------------------------
    ParamSpec("naloxone_access", 0.1, "fraction", 0.0, 1.0,
              source="guess: share of people who use drugs whose overdoses happen where "
                     "naloxone was at hand in 2015, before the big expansions",
              doc="Share of people with naloxone access in 2015.",
              prior=(0.02, 0.3), prior_source="guess: from rare to common before 2016"),
    ParamSpec("naloxone_growth", fitted("naloxone_growth"), "per year", 0.0, 0.2, source=FIT,
              doc="Yearly rise in the naloxone-access share (distribution programmes, "
                  "pharmacy and over-the-counter naloxone).",
              prior=searched("naloxone_growth"), prior_source=SEARCHED),
    ParamSpec("naloxone_reversal", 0.9, "probability", 0.0, 1.0,
              source="guess: share of overdoses reversed when naloxone is at hand",
              doc="Probability an overdose is reversed given naloxone access.",
              prior=(0.75, 0.98),
              prior_source="guess: naloxone given in time reverses most opioid overdoses; "
                           "late or too small doses against fentanyl fail"),
    # --- overdose risk (fitted) -------------------------------------------------------------
    ParamSpec("od_opioid", fitted("od_opioid"), "per week", 0.0, 0.05, source=FIT,
              doc="Weekly fatal-overdose hazard of an opioid user from non-fentanyl opioids.",
              prior=solved("od_opioid", 0.05), prior_source=SOLVED),
    ParamSpec("fentanyl_elasticity", fitted("fentanyl_elasticity"), "dimensionless", 0.0, 3.0,
              source=FIT,
              doc="Elasticity of the fentanyl overdose hazard to local fentanyl supply (kg "
                  "sold per 100,000 people): halving supply multiplies the hazard by "
                  "0.5 ** elasticity. Identified from the deaths data with an interval "
                  "(narcosim calibrate --report).",
              prior=searched("fentanyl_elasticity"), prior_source=SEARCHED),
    ParamSpec("od_fentanyl", fitted("od_fentanyl"), "per week", 0.0, 0.05, source=FIT,
              doc="Weekly fatal-overdose hazard of an opioid user fully exposed to fentanyl "
                  "(before the potency term).",
              prior=solved("od_fentanyl", 0.05), prior_source=SOLVED),
    ParamSpec("potency_gamma", fitted("potency_gamma"), "dimensionless", 0.0, 10.0, source=FIT,
              doc="Extra fentanyl hazard per unit share of pills with a lethal dose (DEA).",
              prior=searched("potency_gamma"), prior_source=SEARCHED),
    ParamSpec("od_meth", fitted("od_meth"), "per week", 0.0, 0.05, source=FIT,
              doc="Weekly stimulant hazard of a methamphetamine user at availability 1 kg per "
                  "100,000 per week.",
              prior=solved("od_meth", 0.05), prior_source=SOLVED),
    ParamSpec("od_cocaine", fitted("od_cocaine"), "per week", 0.0, 0.05, source=FIT,
              doc="Weekly stimulant hazard of a cocaine user at availability 0.3 kg per "
                  "100,000 per week.",
              prior=solved("od_cocaine", 0.05), prior_source=SOLVED),
    ParamSpec("meth_elasticity", fitted("meth_elasticity"), "dimensionless", 0.0, 3.0,
              source=FIT, doc="Elasticity of the methamphetamine hazard to its availability "
                              "(fitted apart from cocaine's: no reason the two drugs' "
                              "dose-response should match).",
              prior=searched("meth_elasticity"), prior_source=SEARCHED),
    ParamSpec("cocaine_elasticity", fitted("cocaine_elasticity"), "dimensionless", 0.0, 3.0,
              source=FIT, doc="Elasticity of the cocaine hazard to its availability.",
              prior=searched("cocaine_elasticity"), prior_source=SEARCHED),
    ParamSpec("adulteration", fitted("adulteration"), "per week", 0.0, 0.05, source=FIT,
              doc="Weekly hazard from fentanyl in the stimulants of opioid-naive users, at full "
                  "fentanyl exposure.",
              prior=solved("adulteration", 0.05), prior_source=SOLVED),
    ParamSpec("other_deaths", fitted("other_deaths"), "deaths per 100,000 people per year",
              0.0, 100.0, source=FIT,
              doc="Overdose deaths from drugs outside the model (prescription opioids alone, "
                  "benzodiazepines…) per 100,000 people per year.",
              prior=solved("other_deaths", 100.0), prior_source=SOLVED),
]
