"""The one activation table: numba cores against the sympy forms of the same rows.

The sympy forms (symbolic.activations.SYMPY_FORMS, also used by symbolic.neuron) are
differentiated exactly by sympy and evaluated with mpmath at 30 digits; the numba cores of
numeric.nn.activations must match them, derivatives included.
"""
import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from numeric.nn import activations as A
from symbolic import activations as table
from tests.support import examples

T = sp.Symbol("t", real=True)
SLOPE, ALPHA = 0.25, 1.5


def _exact(name, order):
    f = table.SYMPY_FORMS[name](T, slope=sp.Rational(1, 4), alpha=sp.Rational(3, 2))
    return sp.diff(f, T, order) if order else f


CORES = [A.activation, A.activation_derivative, A.activation_second_derivative]


@examples(30, deadline=None)
@given(st.sampled_from(table.ACTIVATIONS), st.floats(-30.0, 30.0), st.integers(0, 2))
def test_numba_cores_match_the_sympy_form_of_their_row(name, h, order):
    code, param = A.activation_code(name, SLOPE, ALPHA)
    got = CORES[order](h, code, param)
    # 30 digits plus those that 1 - tanh(h)^2 and s(h)(1 - s(h)) cancel (about 2|h|/ln 10):
    # at 30 digits the reference of sech^2(22) = 3.1124528964535e-19 kept only 11 of them
    dps = 30 + int(2 * abs(h))
    want = float(_exact(name, order).subs(T, sp.Float(h, dps)).evalf(dps))
    assert got == pytest.approx(want, rel=1e-13, abs=1e-300)


def test_codes_follow_the_table_order_and_refuse_other_names():
    assert A.ACTIVATIONS is table.ACTIVATIONS and A.NOISES is table.NOISES
    for code, name in enumerate(table.ACTIVATIONS):
        assert A.activation_code(name)[0] == code
    for bad in ("identity", "gelu", None):
        with pytest.raises(ValueError, match="activation must be one of"):
            A.activation_code(bad)


@pytest.mark.parametrize("name", table.ACTIVATIONS)
def test_ranges_are_attained_by_the_cores(name):
    """The declared range of each row contains the core's values and its ends are approached."""
    code, param = A.activation_code(name, SLOPE, ALPHA)
    lo, hi = table.activation_range(name, SLOPE, ALPHA)
    hs = np.linspace(-40.0, 40.0, 2001)
    vals = np.array([A.activation(h, code, param) for h in hs])
    assert vals.min() >= lo and vals.max() <= hi
    for end, v in ((lo, vals[0]), (hi, vals[-1])):
        if math.isfinite(end):
            assert v == pytest.approx(end, abs=1e-12)
        else:
            assert abs(v) >= 39.0 * min(1.0, SLOPE)
