"""Named axes pick and reduce exactly what the positional code did."""

from __future__ import annotations

import numpy as np
import pytest

from narcosim.core.axes import Axes
from narcosim.core.results import Results
from narcosim.core.time import Timeline


def test_axes_build_the_positional_index_and_sum():
    arr = np.random.default_rng(3).random((4, 5, 2))
    sims = Axes("year", "state", "damping")
    assert np.array_equal(sims.take(arr, year=slice(None, 3), damping=0), arr[:3, :, 0])
    assert np.array_equal(sims.sum(arr, "state"), arr.sum(axis=1))
    assert np.array_equal(sims.sum(arr, "year", "damping"), arr.sum(axis=(0, 2)))
    assert sims.drop("state") == ("year", "damping") and sims.of("damping") == 2
    with pytest.raises(KeyError, match="no axis 'drug'"):
        sims.of("drug")
    with pytest.raises(ValueError, match="repeat"):
        Axes("year", "year")


def test_results_select_by_label():
    timeline = Timeline("2020-01-01", "2020-03-31", 7)
    r = Results("trafficking", timeline)
    arr = r.define("seized_kg", {"drug": ("fentanyl", "cocaine"), "field_office": ("A", "B", "C"),
                                 "component": ("OFO", "USBP")})
    arr[:] = np.arange(arr.size).reshape(arr.shape)
    assert r.axes("seized_kg") == ("step", "drug", "field_office", "component")
    assert np.array_equal(r.sel("seized_kg", drug="fentanyl", component="OFO"), arr[:, 0, :, 0])
    assert np.array_equal(r.sel("seized_kg", component="USBP"), arr[..., 1])
    with pytest.raises(KeyError, match="no drug 'heroin'"):
        r.sel("seized_kg", drug="heroin")

