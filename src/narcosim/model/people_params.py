"""Parameters of the people who use drugs: sizes, care, tolerance, naloxone, overdose risk.

Each default cites its source; the overdose-risk parameters are fitted to CDC's deaths by
``narcosim calibrate deaths`` (their defaults here are the starting values of the fit, and the
default scenario uses the saved fit, ``fitted_people.json``).
"""

from __future__ import annotations

from narcosim.core.params import ParamSpec

FIT = "fitted: narcosim calibrate deaths (CDC VSRR 2015–2023); this is the fit's starting value"

PEOPLE_PARAMS: list[ParamSpec] = [
    # --- who uses what -------------------------------------------------------------------
    ParamSpec("n_opioid_use_disorder", 6.1e6, "", 0.0, 5e7,
              source="NSDUH 2022 (SAMHSA 2023): 6.1 million people aged 12+ had an opioid "
                     "use disorder in the past year",
              doc="People with opioid use disorder (held over the run)."),
    ParamSpec("n_methamphetamine", 2.7e6, "", 0.0, 5e7,
              source="NSDUH 2022, approximate: about 2.7 million past-year methamphetamine users",
              doc="People who used methamphetamine in the past year."),
    ParamSpec("n_cocaine", 5.0e6, "", 0.0, 5e7,
              source="NSDUH 2022, approximate: about 5 million past-year cocaine users",
              doc="People who used cocaine in the past year."),
    ParamSpec("meth_among_oud", 0.25, "", 0.0, 1.0, source=FIT,
              doc="Share of people with OUD who also use methamphetamine in 2015."),
    ParamSpec("meth_among_oud_growth", 0.026, "per year", 0.0, 0.1,
              source="Ellis, Kasper & Cicero, Drug Alcohol Depend 193 (2018): past-month "
                     "methamphetamine use among people entering opioid treatment rose from "
                     "18.8% (2011) to 34.2% (2017), about 2.6 points a year",
              doc="Yearly rise in the share of people with OUD who also use methamphetamine."),
    ParamSpec("cocaine_among_oud", 0.3, "", 0.0, 1.0,
              source="guess: as meth_among_oud, for cocaine",
              doc="Share of people with OUD who also use cocaine."),
    ParamSpec("prevalence_weight", 1.0, "", 0.0, 2.0, source=FIT,
              doc="Power of the mortality multiplier (NCHS 2013–2015 overdose death rate "
                  "relative to the nation's) applied to where people who use drugs live."),
    # --- care, prison, tolerance ---------------------------------------------------------
    ParamSpec("treatment_share", 0.251, "", 0.0, 1.0,
              source="MMWR 73(25) 2024: 25.1% of adults who needed OUD treatment received "
                     "medication in 2022",
              doc="Long-run share of people with OUD in treatment (MOUD)."),
    ParamSpec("treatment_weeks", 26.0, "weeks", 1.0, 520.0,
              source="guess: about six months' retention on MOUD",
              doc="Mean time in treatment."),
    ParamSpec("treatment_to_remission", 0.3, "", 0.0, 1.0,
              source="guess: share of treatment exits that end in remission",
              doc="Share of people leaving treatment who stop using."),
    ParamSpec("relapse_rate", "0.5 per year", "per year", 0.0, 52.0,
              source="guess: remission lasts about two years on average",
              doc="Rate of return to use from remission."),
    ParamSpec("incarceration_rate", "0.05 per year", "per year", 0.0, 52.0,
              source="guess: about one in twenty people who use drugs jailed or imprisoned a year",
              doc="Rate of incarceration of people actively using."),
    ParamSpec("incarceration_weeks", 26.0, "weeks", 1.0, 520.0,
              source="guess: mean jail or prison stay of half a year",
              doc="Mean time incarcerated."),
    ParamSpec("tolerance_loss_multiplier", 5.0, "", 1.0, 20.0,
              source="Merrall et al., Addiction 105(9) 2010: drug-related deaths 3–8 times "
                     "higher in the two weeks after release from prison (midpoint)",
              doc="Overdose-risk multiplier on returning to use after abstinence."),
    ParamSpec("tolerance_loss_weeks", 2.0, "weeks", 0.0, 52.0,
              source="Merrall et al., Addiction 105(9) 2010: the first two weeks after release",
              doc="How long the lost-tolerance risk lasts."),
    ParamSpec("moud_risk_multiplier", 0.4, "", 0.0, 1.0,
              source="guess informed by Sordo et al., BMJ 357 2017: mortality in methadone or "
                     "buprenorphine treatment is a fraction of that out of treatment",
              doc="Overdose-risk multiplier while in treatment."),
    ParamSpec("stimulant_quit_rate", "0.1 per year", "per year", 0.0, 52.0,
              source="guess: a tenth of people who use stimulants stop each year",
              doc="Rate at which stimulant-only users stop."),
    ParamSpec("initiation_elasticity", 0.1, "", 0.0, 2.0,
              source="guess: initiation rises weakly with local availability",
              doc="Elasticity of initiation (replacing those who leave) to availability."),
    ParamSpec("trends_until", 0.0, "", 0.0, 2100.0,
              source="status-quo assumption: the fitted linear trends (naloxone access, "
                     "methamphetamine co-use) are identified only over the fit years, so they "
                     "are held after them; calibration sets it to the end of the last fit "
                     "year; 0 = never held",
              doc="Year (decimal) after which naloxone access and co-use stay at their level."),
    # --- naloxone ------------------------------------------------------------------------
    ParamSpec("naloxone_access", 0.1, "", 0.0, 1.0,
              source="guess: share of people who use drugs whose overdoses happen where "
                     "naloxone was at hand in 2015, before the big expansions",
              doc="Share of people with naloxone access in 2015."),
    ParamSpec("naloxone_growth", 0.03, "per year", 0.0, 0.2, source=FIT,
              doc="Yearly rise in the naloxone-access share (distribution programmes, "
                  "pharmacy and over-the-counter naloxone)."),
    ParamSpec("naloxone_reversal", 0.9, "", 0.0, 1.0,
              source="guess: share of overdoses reversed when naloxone is at hand",
              doc="Probability an overdose is reversed given naloxone access."),
    # --- overdose risk (fitted) -------------------------------------------------------------
    ParamSpec("od_opioid", 0.0004, "per week", 0.0, 0.05, source=FIT,
              doc="Weekly fatal-overdose hazard of an opioid user from non-fentanyl opioids."),
    ParamSpec("fentanyl_elasticity", 0.8, "", 0.0, 3.0, source=FIT,
              doc="Elasticity of the fentanyl overdose hazard to local fentanyl supply (kg "
                  "sold per 100,000 people): halving supply multiplies the hazard by "
                  "0.5 ** elasticity. Identified from the deaths data with an interval "
                  "(narcosim calibrate --report)."),
    ParamSpec("od_fentanyl", 0.0016, "per week", 0.0, 0.05, source=FIT,
              doc="Weekly fatal-overdose hazard of an opioid user fully exposed to fentanyl "
                  "(before the potency term)."),
    ParamSpec("potency_gamma", 0.5, "", 0.0, 10.0, source=FIT,
              doc="Extra fentanyl hazard per unit share of pills with a lethal dose (DEA)."),
    ParamSpec("od_meth", 0.0002, "per week", 0.0, 0.05, source=FIT,
              doc="Weekly stimulant hazard of a methamphetamine user at availability 1 kg per "
                  "100,000 per week."),
    ParamSpec("od_cocaine", 0.0001, "per week", 0.0, 0.05, source=FIT,
              doc="Weekly stimulant hazard of a cocaine user at availability 0.3 kg per "
                  "100,000 per week."),
    ParamSpec("stimulant_elasticity", 0.5, "", 0.0, 3.0, source=FIT,
              doc="Elasticity of the stimulant hazard to availability."),
    ParamSpec("adulteration", 0.0005, "per week", 0.0, 0.05, source=FIT,
              doc="Weekly hazard from fentanyl in the stimulants of opioid-naive users, at full "
                  "fentanyl exposure."),
    ParamSpec("other_deaths", 5.0, "", 0.0, 100.0, source=FIT,
              doc="Overdose deaths from drugs outside the model (prescription opioids alone, "
                  "benzodiazepines…) per 100,000 people per year."),
]
