"""Scoring quantile forecasts: weighted interval score, coverage and relative WIS.

A forecast is a set of predictive quantiles at fixed levels, the format of the CDC/COVID-19
Forecast Hub (:data:`QUANTILES`, 23 levels). Quantiles lie on the last axis of an array; any
leading axes (forecasts, horizons, locations) are scored element by element. The score is the
weighted interval score (WIS) of Bracher, Ray, Gneiting & Reich, "Evaluating epidemic forecasts
in an interval format", PLoS Comput Biol 17(2): e1008618 (2021)::

    WIS = 1/(K + 1/2) * (1/2 |y - m| + sum_k alpha_k/2 * IS_alpha_k)
    IS_alpha = (u - l) + 2/alpha (l - y) 1{y < l} + 2/alpha (y - u) 1{y > u}

with median ``m`` and ``K`` central ``(1 - alpha_k)`` intervals ``[l, u]`` made of the
symmetric pairs of levels ``alpha_k/2`` and ``1 - alpha_k/2``. Lower is better; a point
forecast scores its absolute error.

Missing values are honest: a forecast with any NaN quantile, or a NaN observation, scores NaN,
and the summaries (:func:`relative_wis`, :func:`score_table`) skip and count it. Invalid input
(unsorted or asymmetric levels, decreasing quantiles) raises
:class:`~narcosim.errors.ParameterError` with one line saying what and where; nothing is sorted
silently.

Baseline forecasters in the same format are in :mod:`narcosim.analysis.baselines`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from narcosim.errors import ParameterError

QUANTILES: np.ndarray = np.array(
    [0.01, 0.025, *np.round(np.arange(0.05, 0.951, 0.05), 2).tolist(), 0.975, 0.99]
)
"""The 23 quantile levels of the CDC/COVID-19 Forecast Hub (0.01, 0.025, 0.05, ..., 0.99)."""
QUANTILES.setflags(write=False)

_TOL = 1e-9
BASELINE_MODEL = "persistence"
"""The model :func:`score_table` divides by for relative WIS."""
KEYS = ("model", "origin", "horizon", "drug", "location")
"""Columns that identify one forecast in a :func:`score_table` frame."""


class WISParts(NamedTuple):
    """WIS and its decomposition (Bracher et al. 2021, section 2.2); ``wis = sum of parts``.

    Attributes:
        wis: The weighted interval score.
        dispersion: ``1/(K+1/2) * sum_k alpha_k/2 (u_k - l_k)``, the width penalty.
        overprediction: ``1/(K+1/2) * (1/2 (m - y)^+ + sum_k (l_k - y)^+)``, observation below.
        underprediction: ``1/(K+1/2) * (1/2 (y - m)^+ + sum_k (y - u_k)^+)``, observation above.
    """

    wis: np.ndarray
    dispersion: np.ndarray
    overprediction: np.ndarray
    underprediction: np.ndarray


def quantile_column(level: float) -> str:
    """Name of the :func:`score_table` column holding quantile ``level``, e.g. ``"q0.025"``."""
    return f"q{float(level):g}"


def check_levels(levels: ArrayLike) -> np.ndarray:
    """Validate quantile levels for interval scoring and return them as a float array.

    Args:
        levels: 1-D levels, strictly increasing, each in (0, 1), an odd number of them,
            symmetric around a middle level of 0.5 (``levels[i] + levels[-1 - i] == 1``).

    Returns:
        The levels as a 1-D float array.

    Raises:
        ParameterError: If any of the above does not hold.
    """
    lv = np.asarray(levels, dtype=float)
    if lv.ndim != 1 or lv.size == 0:
        raise ParameterError(
            f"quantile levels must be a non-empty 1-D sequence, got shape {lv.shape}"
        )
    if not np.all(np.isfinite(lv)) or np.any((lv <= 0) | (lv >= 1)):
        raise ParameterError(
            f"quantile levels must lie strictly between 0 and 1, got {lv.tolist()}"
        )
    if np.any(np.diff(lv) <= 0):
        i = int(np.argmax(np.diff(lv) <= 0))
        raise ParameterError(
            f"quantile levels must be strictly increasing: level {lv[i + 1]:g} follows {lv[i]:g}"
        )
    bad = np.abs(lv + lv[::-1] - 1) > _TOL
    if lv.size % 2 == 0 or abs(lv[lv.size // 2] - 0.5) > _TOL or np.any(bad):
        i = int(np.argmax(bad)) if np.any(bad) else lv.size // 2
        raise ParameterError(
            "quantile levels must be symmetric around a median 0.5 "
            f"(level {lv[i]:g} has no partner {1 - lv[i]:g}), got {lv.tolist()}"
        )
    return lv


def _prepare(
    quantiles: ArrayLike, levels: ArrayLike, observed: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate, broadcast, and mark forecasts with a NaN quantile or observation as missing."""
    lv = check_levels(levels)
    q = np.asarray(quantiles, dtype=float)
    if q.ndim == 0 or q.shape[-1] != lv.size:
        raise ParameterError(
            f"quantiles must have {lv.size} values on the last axis (one per level), "
            f"got shape {q.shape}"
        )
    y = np.asarray(observed, dtype=float)
    try:
        y = np.broadcast_to(y, np.broadcast_shapes(y.shape, q.shape[:-1]))
        q = np.broadcast_to(q, (*y.shape, lv.size))
    except ValueError:
        raise ParameterError(
            f"observed shape {np.shape(observed)} does not match quantiles shape {q.shape}"
        ) from None
    if np.any(np.isinf(q)) or np.any(np.isinf(y)):
        raise ParameterError("quantiles and observations must be finite or NaN, not infinite")
    missing = np.isnan(q).any(axis=-1) | np.isnan(y)
    with np.errstate(invalid="ignore"):
        down = (np.diff(q, axis=-1) < 0) & ~missing[..., None]
    if np.any(down):
        *row, j = (int(i) for i in np.argwhere(down)[0])
        lo, hi = q[(*row, j)], q[(*row, j + 1)]
        raise ParameterError(
            f"quantiles must be non-decreasing in level: forecast {tuple(row)} has "
            f"q({lv[j + 1]:g}) = {hi:g} < q({lv[j]:g}) = {lo:g}"
        )
    return q, lv, y, missing


def wis_decomposition(quantiles: ArrayLike, levels: ArrayLike, observed: ArrayLike) -> WISParts:
    """Weighted interval score and its dispersion / over- / underprediction parts.

    Args:
        quantiles: Predictive quantiles, levels on the last axis, non-decreasing along it.
        levels: Quantile levels (see :func:`check_levels`), e.g. :data:`QUANTILES`.
        observed: Observations, broadcastable to ``quantiles.shape[:-1]``.

    Returns:
        :class:`WISParts` of arrays shaped like ``quantiles.shape[:-1]``; NaN where the forecast
        has a NaN quantile or the observation is NaN.

    Raises:
        ParameterError: On invalid levels, mismatched shapes, infinite values or decreasing
            quantiles.
    """
    q, lv, y, missing = _prepare(quantiles, levels, observed)
    k = lv.size // 2
    alpha = 2 * lv[:k]
    lower, upper, median = q[..., :k], q[..., ::-1][..., :k], q[..., k]
    yk = y[..., None]
    scale = 1.0 / (k + 0.5)
    dispersion = scale * np.sum(alpha / 2 * (upper - lower), axis=-1)
    over = scale * (0.5 * np.maximum(median - y, 0) + np.sum(np.maximum(lower - yk, 0), axis=-1))
    under = scale * (0.5 * np.maximum(y - median, 0) + np.sum(np.maximum(yk - upper, 0), axis=-1))
    parts = [np.where(missing, np.nan, a) for a in (dispersion, over, under)]
    return WISParts(parts[0] + parts[1] + parts[2], *parts)


def weighted_interval_score(
    quantiles: ArrayLike, levels: ArrayLike, observed: ArrayLike
) -> np.ndarray:
    """Weighted interval score (Bracher et al. 2021) of quantile forecasts; lower is better.

    Args:
        quantiles: Predictive quantiles, levels on the last axis, non-decreasing along it.
        levels: Quantile levels (see :func:`check_levels`), e.g. :data:`QUANTILES`.
        observed: Observations, broadcastable to ``quantiles.shape[:-1]``.

    Returns:
        WIS shaped like ``quantiles.shape[:-1]``, NaN for missing forecasts or observations.

    Raises:
        ParameterError: As :func:`wis_decomposition`.
    """
    return wis_decomposition(quantiles, levels, observed).wis


def interval_coverage(
    quantiles: ArrayLike, levels: ArrayLike, observed: ArrayLike, width: float
) -> np.ndarray:
    """Whether each observation lies in the forecast's central interval of ``width``.

    Args:
        quantiles: Predictive quantiles, levels on the last axis, non-decreasing along it.
        levels: Quantile levels; must include ``(1 - width)/2`` and ``(1 + width)/2``.
        observed: Observations, broadcastable to ``quantiles.shape[:-1]``.
        width: Nominal coverage of the central interval, e.g. 0.5 or 0.9.

    Returns:
        Boolean array, True where ``l <= y <= u`` (closed interval). Missing forecasts or
        observations give False; mask them with ``np.isnan(weighted_interval_score(...))``.

    Raises:
        ParameterError: On invalid input, or when the interval's levels are not among ``levels``.
    """
    q, lv, y, missing = _prepare(quantiles, levels, observed)
    if not 0 < width < 1:
        raise ParameterError(f"interval width must lie strictly between 0 and 1, got {width}")
    lo = np.flatnonzero(np.abs(lv - (1 - width) / 2) <= _TOL)
    hi = np.flatnonzero(np.abs(lv - (1 + width) / 2) <= _TOL)
    if lo.size == 0 or hi.size == 0:
        raise ParameterError(
            f"no {width:g} central interval: levels {(1 - width) / 2:g} and "
            f"{(1 + width) / 2:g} are not both among {lv.tolist()}"
        )
    with np.errstate(invalid="ignore"):
        inside = (q[..., lo[0]] <= y) & (y <= q[..., hi[0]])
    return inside & ~missing


def relative_wis(model_wis: ArrayLike, baseline_wis: ArrayLike) -> float:
    """Mean WIS of a model over mean WIS of the baseline on the same forecasts.

    The ratio of means over pairs (same target, origin, horizon) where both scores are finite;
    a pair with either score NaN is skipped. This is the hubs' relative WIS for one model against
    the baseline: the pairwise-tournament ratio of Cramer et al. (PNAS 2022) reduces to exactly
    this when two models are compared on their common forecasts. Below 1 beats the baseline.

    Args:
        model_wis: WIS of the model, one per forecast.
        baseline_wis: WIS of the baseline for the same forecasts, same shape.

    Returns:
        The ratio; NaN when no pair is complete or both means are 0, ``inf`` when only the
        baseline's mean is 0.

    Raises:
        ParameterError: If the shapes differ.
    """
    m, b = np.asarray(model_wis, dtype=float), np.asarray(baseline_wis, dtype=float)
    if m.shape != b.shape:
        raise ParameterError(f"model and baseline WIS shapes differ: {m.shape} vs {b.shape}")
    both = ~(np.isnan(m) | np.isnan(b))
    if not np.any(both):
        return float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.mean(m[both]) / np.mean(b[both]))


def _quantile_columns(frame: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """The frame's quantile columns (``q<level>``), ordered by level, and their levels."""
    found: list[tuple[float, str]] = []
    for col in frame.columns:
        if isinstance(col, str) and col.startswith("q"):
            try:
                found.append((float(col[1:]), col))
            except ValueError:
                continue
    if not found:
        raise ParameterError("score table has no quantile columns (named like 'q0.5', 'q0.025')")
    found.sort()
    return [c for _, c in found], check_levels([lv for lv, _ in found])


def score_table(
    frame: pd.DataFrame, by: Sequence[str] = ("model", "drug", "location_kind")
) -> pd.DataFrame:
    """Score a tidy table of quantile forecasts: mean WIS, relative WIS, coverage, counts.

    Layout: one row per forecast, with columns ``model``, ``origin`` (the last year of data the
    forecast saw), ``horizon`` (years ahead), ``drug``, ``location`` (``"US"`` or a state postal
    code), ``observed`` and one float column per quantile level named by
    :func:`quantile_column` (``q0.01``, ``q0.025``, ..., ``q0.99`` for :data:`QUANTILES`). An
    optional ``location_kind`` column is used as is; without it, ``"US"`` is ``national`` and
    anything else ``state``. Plain scalar columns, so the table round-trips through parquet.

    Args:
        frame: The forecasts, one row per (model, origin, horizon, drug, location).
        by: Columns to summarise over; add ``"horizon"`` for per-horizon scores.

    Returns:
        One row per group of ``by`` with ``n`` (forecasts scored), ``n_missing`` (skipped for a
        NaN quantile or observation), ``mean_wis``, ``relative_wis`` (against the
        ``persistence`` model's forecasts of the same origin, horizon, drug and location, see
        :func:`relative_wis`; NaN without any), ``coverage_50`` and ``coverage_90`` (share of
        scored forecasts whose central interval holds the observation; NaN if the levels lack
        that interval).

    Raises:
        ParameterError: On missing columns, duplicate forecasts or invalid quantiles.
    """
    missing_cols = [c for c in (*KEYS, "observed") if c not in frame.columns]
    if missing_cols:
        raise ParameterError(f"score table lacks column(s) {missing_cols}")
    cols, levels = _quantile_columns(frame)
    dup = frame.duplicated(list(KEYS))
    if dup.any():
        row = frame.loc[dup, list(KEYS)].iloc[0].tolist()
        raise ParameterError(
            f"score table has duplicate forecasts for {dict(zip(KEYS, row, strict=True))}"
        )
    df = frame[list(KEYS)].copy()
    if "location_kind" in frame.columns:
        df["location_kind"] = frame["location_kind"]
    else:
        df["location_kind"] = np.where(frame["location"] == "US", "national", "state")
    unknown = [c for c in by if c not in df.columns]
    if unknown:
        raise ParameterError(f"cannot group scores by {unknown}: not forecast key columns")
    q = frame[cols].to_numpy(dtype=float)
    y = frame["observed"].to_numpy(dtype=float)
    df["wis"] = weighted_interval_score(q, levels, y)
    for width in (0.5, 0.9):
        name = f"coverage_{round(width * 100)}"
        try:
            df[name] = interval_coverage(q, levels, y, width).astype(float)
        except ParameterError:
            df[name] = np.nan
        df.loc[df["wis"].isna(), name] = np.nan
    base = df.loc[df["model"] == BASELINE_MODEL, [*KEYS[1:], "wis"]]
    df = df.merge(base.rename(columns={"wis": "base_wis"}), on=list(KEYS[1:]), how="left")
    rows = []
    for key, g in df.groupby(list(by), dropna=False, sort=True):
        scored = g["wis"].notna()
        rows.append(
            {
                **dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)),
                "n": int(scored.sum()),
                "n_missing": int((~scored).sum()),
                "mean_wis": float(g["wis"].mean()) if scored.any() else float("nan"),
                "relative_wis": relative_wis(g["wis"].to_numpy(), g["base_wis"].to_numpy()),
                "coverage_50": float(g["coverage_50"].mean()),
                "coverage_90": float(g["coverage_90"].mean()),
            }
        )
    return pd.DataFrame(rows)
