"""Boundaries found by the fuzz suite (tests/fuzz) at the manifold layer: a complex loss,
a Binomial whose sample space cannot be listed, a log-map tolerance below float64's reach.

Independent checks: the accepted Binomial(10**6) has the closed-form Fisher information
n / (p (1 - p)); the refused tolerances are compared with float64's epsilon.
"""
import numpy as np
import pytest
import sympy as sp

from manifolds import Binomial, Normal, Poisson
from manifolds.catalog import MAX_BINOMIAL_N
from manifolds.numerics import MIN_LOG_TOL
from manifolds.optim import mirror_descent, natural_gradient_descent
from symbolic.errors import DomainError


@pytest.mark.parametrize("loss", ["sqrt(-1)", "mu + sqrt(-4)*sigma", sp.I * sp.Symbol("mu", real=True)])
def test_complex_loss_is_refused_naming_loss(loss):
    with pytest.raises(DomainError, match="loss must be a real expression"):
        natural_gradient_descent(Normal(), loss, [0.0, 1.0], lr=0.1, steps=2)


def test_complex_loss_in_expectation_parameters_is_refused():
    with pytest.raises(DomainError, match="loss must be a real expression in the expectation parameters"):
        mirror_descent(Poisson(), "eta1 * sqrt(-1)", [1.0], lr=0.1, steps=2)


def test_i_squared_is_real_and_accepted():
    # sympy evaluates sqrt(-1)**2 to -1: no imaginary unit is left, the loss is real
    path = natural_gradient_descent(Normal(), "sqrt(-1)**2 * (-(mu - 1)**2)", [0.0, 1.0], lr=0.1, steps=2)
    assert path.ok


@pytest.mark.parametrize("n", ["1e308", "9**9", MAX_BINOMIAL_N + 1, 2**2000, "9**9111"])
def test_binomial_n_beyond_the_listed_sample_space_is_refused(n):
    with pytest.raises(DomainError, match=rf"n must be an integer <= {MAX_BINOMIAL_N}"):
        Binomial(n)


def test_binomial_at_the_bound_works():
    M = Binomial(MAX_BINOMIAL_N)
    p = M.parameters[0].symbol
    assert sp.simplify(M.fisher_metric()[0, 0] - MAX_BINOMIAL_N / (p * (1 - p))) == 0


@pytest.mark.parametrize("tol", [1e-300, 1e-16, 0.5 * MIN_LOG_TOL])
def test_log_tol_below_float64_reach_is_refused(tol):
    # the bound is a few epsilons: a relative residual below eps is not representable
    assert 2 * np.finfo(float).eps < MIN_LOG_TOL < 10 * np.finfo(float).eps
    with pytest.raises(DomainError, match=r"tol must be >= 1e-15"):
        Normal().numeric.log([0.0, 1.0], [0.0, 2.0], tol=tol)


def test_log_at_the_tol_bound_meets_the_closed_form():
    K = Normal().numeric
    x, y = np.array([0.0, 1.0]), np.array([1.0, 2.0])
    r = K.log(x, y, tol=MIN_LOG_TOL, full_output=True, throw=False)
    if r.ok:   # may honestly fail to reach 1e-15; a success must be right
        d = np.sqrt(r.v @ K.metric(x) @ r.v)
        assert d == pytest.approx(K.closed_form_distance(x, y), rel=1e-9)
    else:
        assert "tol" in r.message


@pytest.mark.parametrize("y, word", [([0.0, -2.0], "sigma"), ([np.nan, 1.0], "y"),
                                     ([0.0, 1.0, 2.0], "y"), ("1", "y")])
def test_public_closed_form_distance_checks_its_points(y, word):
    # it gave NaN (with a numpy warning) outside the domain; the bare formula stays reachable
    # as .unchecked, and agrees with the checked one inside: sqrt(2) log 2 for sigma 1 -> 2
    # (the Normal family's half-plane, Atkinson & Mitchell 1981)
    f = Normal().numeric.closed_form_distance
    with pytest.raises((DomainError, ValueError, TypeError), match=word):
        f([0.0, 1.0], y)
    assert float(f([0.0, 1.0], [0.0, 2.0])) == pytest.approx(np.sqrt(2) * np.log(2), rel=1e-14)
    assert f.unchecked([0.0, 1.0], [0.0, 2.0]) == f([0.0, 1.0], [0.0, 2.0])


@pytest.mark.parametrize("nu", [3, "7/2", 50, 51, 1000, "2001/2", "9**9", 10**12])
def test_student_t_of_any_size_constructs_at_once_and_normalises(nu):
    # StudentT("9**9") hung in sympy's factorial (loggamma of an integer); from nu ~ 340 the
    # density kernel did not compile (gamma(nu/2) printed as inf). Reference: the t density
    # by mpmath at 40 digits, log Gamma((nu+1)/2) - log Gamma(nu/2) - log(nu pi)/2 - log(s)
    # - (nu+1)/2 log(1 + u^2/nu)
    import time

    import mpmath as mp

    from manifolds import StudentT

    start = time.perf_counter()
    K = StudentT(nu=nu).numeric
    assert time.perf_counter() - start < 30.0
    n = {"7/2": sp.Rational(7, 2), "2001/2": sp.Rational(2001, 2), "9**9": sp.Integer(9**9)}.get(
        nu, sp.Integer(nu) if not isinstance(nu, str) else None)
    with mp.workdps(40):
        v = mp.mpf(n.p) / n.q
        u = (mp.mpf("1.3") - mp.mpf("0.5")) / 2
        exact = (mp.loggamma((v + 1) / 2) - mp.loggamma(v / 2) - mp.log(v * mp.pi) / 2 - mp.log(2)
                 - (v + 1) / 2 * mp.log(1 + u * u / v))
    assert float(K.log_density([0.5, 2.0], 1.3)) == pytest.approx(float(exact), rel=2e-15)
