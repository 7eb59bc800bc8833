"""Boundaries found by the fuzz suite (tests/fuzz): iteration counts near float64's limits,
finite differences of functions that are not finite, natural gradients that overflow.

Independent checks: the iteration counts against mpmath at 50 digits; the difference
quotient against the exact gradient of a polynomial; the overflowing natural gradient
against the exact quotient (which exceeds float64's largest number).
"""
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numeric.optim import gradient_methods as gm
from numeric.optim import landscape
from numeric.optim.linalg import precondition
from symbolic.errors import DomainError
from tests.support import examples


def _mp_count(log_base_numerator, tol, factor):
    """ceil(ln tol / (factor * ln q)) at 50 digits, q given as an mpmath number."""
    with mpmath.workdps(50):
        return int(mpmath.ceil(mpmath.log(tol) / (factor * mpmath.log(log_base_numerator))))


@examples(20)
@given(exponent=st.floats(0.01, 15.0), tol=st.sampled_from([1e-3, 1e-8, 1e-12]),
       form=st.sampled_from(["tight", "eq12"]))
def test_gd_iteration_bound_against_mpmath(exponent, tol, form):
    kappa = 10.0**exponent
    with mpmath.workdps(50):
        k = mpmath.mpf(kappa)
        exact = _mp_count((k - 1) / (k + 1), mpmath.mpf(tol), 2 if form == "tight" else 1)
    got = landscape.gd_iteration_bound(kappa, tol, form=form)
    # a ratio within rounding of an integer may ceil either way
    assert abs(got - exact) <= 1 + 1e-12 * exact


@examples(20)
@given(step=st.one_of(st.floats(1e-14, 1.9999), st.sampled_from([1e-14, 2 - 2e-14])),
       tol=st.sampled_from([1e-3, 1e-8]))
def test_ngd_iterations_against_mpmath(step, tol):
    if step == 1.0:
        assert landscape.ngd_iterations(step, tol) == 1
        return
    with mpmath.workdps(50):
        exact = _mp_count(abs(1 - mpmath.mpf(step)), mpmath.mpf(tol), 2)
    got = landscape.ngd_iterations(step, tol)
    assert abs(got - exact) <= 1 + 1e-12 * exact


@pytest.mark.parametrize("call, name", [
    (lambda: landscape.gd_iteration_bound(1e300, 1e-8), "kappa"),
    (lambda: landscape.gd_iteration_bound(1e17, 1e-8), "kappa"),
    (lambda: landscape.ngd_iterations(1e-300, 1e-8), "step_size"),
])
def test_counts_beyond_2_53_are_refused(call, name):
    with pytest.raises(DomainError, match=rf"{name} = .* more than 2\*\*53"):
        call()


@pytest.mark.parametrize("fn", [landscape.numerical_gradient, landscape.numerical_hessian])
def test_non_finite_function_values_are_refused(fn):
    with pytest.raises(DomainError, match="fun must be finite near x, got fun.* = nan"):
        fn(lambda z: math.nan, [0.5, 1.0])
    # z**2 at 1e200 overflows: the difference would be inf - inf
    with pytest.raises(DomainError, match="fun must be finite near x, got fun.* = inf"), \
            np.errstate(over="ignore"):
        fn(lambda z: float(np.sum(np.asarray(z) ** 2)), [1e200])


def test_difference_of_huge_finite_values_overflow_is_refused():
    # fun(x +- h) = +-1e308: the difference 2e308 overflows, the gradient 1e308/h too
    with pytest.raises(DomainError, match="gradient of fun at x overflows"):
        landscape.numerical_gradient(lambda z: 1e308 * float(np.sign(z[0])), [0.0], step=1e-3)


def test_step_below_the_spacing_of_x_is_refused():
    with pytest.raises(DomainError, match=r"step is below the float64 spacing of x\[0\]"):
        landscape.numerical_gradient(lambda z: float(z[0]), [1e20], step=1e-6)


@examples(15)
@given(x=st.floats(-1e6, 1e6), step=st.sampled_from([None, 1e-3, 0.37]))
def test_gradient_of_quadratic_is_exact_with_the_rounded_step(x, step):
    # the central difference of a quadratic is exact for any step; dividing by the step
    # actually taken (x + h) - (x - h) keeps it exact up to rounding of the values
    got = landscape.numerical_gradient(lambda z: 3.0 * z[0] ** 2 - 2.0 * z[0], [x], step=step)
    exact = 6.0 * x - 2.0
    scale = 3.0 * x * x / (step if step is not None else np.finfo(float).eps ** (1 / 3) * max(1.0, abs(x)))
    assert abs(got[0] - exact) <= 1e-9 * abs(exact) + 1e-12 * scale + 1e-9


@pytest.mark.parametrize("damping", [-1.0, -math.inf, math.inf, math.nan])
@pytest.mark.parametrize("metric", [None, "junk", [[1.0]]])
def test_damping_is_checked_first(metric, damping):
    for fn in (gm.natural_gradient, precondition):
        if metric is None and fn is precondition:
            continue
        with pytest.raises(DomainError, match="damping must be"):
            fn(metric, "not a gradient", damping=damping)


def test_overflowing_natural_gradient_is_refused():
    # exact value 7.8e299 / 1e-300 = 7.8e599, beyond float64's 1.8e308
    assert mpmath.mpf("7.8e299") / mpmath.mpf("1e-300") > mpmath.mpf(np.finfo(float).max)
    for method in ("solve", "pinv"):
        with pytest.raises(DomainError, match="natural gradient .* overflows float64"):
            gm.natural_gradient([[1e-300]], [7.8e299], method=method)
    # just inside the range the quotient is returned, and is the exact one to rounding
    got = gm.natural_gradient([[1e-300]], [1e-10])
    assert got[0] == pytest.approx(1e290, rel=1e-15)


def test_descent_reports_an_overflowing_direction_as_a_status():
    # the optimisers keep their contract: a failed status, not an exception
    path = gm.metric_descent(lambda x: np.array([[1e-300]]), lambda x: np.array([7.8e299]), [1.0], 0.1, 3)
    assert path.status == gm.OptimizationStatus.NON_FINITE
    assert "natural gradient" in path.message
