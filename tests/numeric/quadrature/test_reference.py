"""The mpmath reference of the numeric route (numeric.quadrature.reference): its two rules
over the line against each other, the derivatives of its connection against finite
differences, its geodesics and log map against closed forms of the Normal family.

The geodesics of the mixture against the compiled route are in tests/manifolds/test_quadrature.py.
"""
import mpmath
import numpy as np
import pytest

from benchmarks.own_models import two_component_mixture
from manifolds import Normal
from numeric.quadrature.reference import ReferenceExpectations
from symbolic.integrands import model_to_score_jet


@pytest.fixture(scope="module")
def mixture_jet():
    return model_to_score_jet(two_component_mixture().model)


def test_rule_is_checked(mixture_jet):
    with pytest.raises(ValueError, match="rule must be one of"):
        ReferenceExpectations(mixture_jet, rule="simpson")


@pytest.mark.slow
def test_trapezoid_rule_agrees_with_mpmath_quad(mixture_jet):
    # the geodesics' rule (the trapezoidal rule after u = u0 + sigma sinh t, all moments in
    # one pass) against mpmath.quad's tanh-sinh, one moment at a time, at 20 digits
    point = [0.3, 1.2]
    fast = ReferenceExpectations(mixture_jet, dps=20, rule="trapezoid")
    quad = ReferenceExpectations(mixture_jet, dps=20, rule="tanh-sinh")
    for a, b in ((fast.metric(point), quad.metric(point)),
                 (fast.christoffel_first(point), quad.christoffel_first(point))):
        a, b = np.array(a, dtype=object).ravel(), np.array(b, dtype=object).ravel()
        scale = max(abs(v) for v in b)
        assert max(abs(u - v) for u, v in zip(a, b, strict=True)) <= mpmath.mpf(10) ** -18 * scale


def test_connection_jet_is_the_derivative_of_the_connection(mixture_jet):
    # dGamma^k_ij / dx_m from expectations of the third derivatives of the log-density
    # against central differences of Gamma (step 1e-5 at 25 digits: truncation 1e-10)
    ref = ReferenceExpectations(mixture_jet, dps=15)
    x = [mpmath.mpf("0.35"), mpmath.mpf("1.1")]
    n, step = 2, mpmath.mpf("1e-5")
    with mpmath.workdps(25):
        gamma, dgamma = ref.connection_jet(x)
        assert max(abs(a - b) for a, b in zip(gamma, ref.connection(x), strict=True)) < 1e-18
        for m in range(n):
            up, down = list(x), list(x)
            up[m] += step
            down[m] -= step
            diff = [(a - b) / (2 * step) for a, b in zip(ref.connection(up), ref.connection(down),
                                                          strict=True)]
            exact = [dgamma[c * n + m] for c in range(n ** 3)]
            scale = max(abs(v) for v in exact)
            assert max(abs(a - b) for a, b in zip(diff, exact, strict=True)) <= 1e-8 * scale


@pytest.mark.slow
def test_normal_distance_by_quadrature_newton_shooting():
    # the Fisher-Rao distance of N(mu, sigma) in closed form (Atkinson & Mitchell 1981,
    # Sankhya A 43, eq. 3.9): sqrt(2) acosh(1 + ((mu1 - mu2)^2 / 2 + (s1 - s2)^2) / (2 s1 s2));
    # shot from a guess good to 2 digits, so that Newton's iteration (its Jacobian from the
    # variational equations on quadratures of the third derivatives) takes several steps
    M = Normal()
    ref = ReferenceExpectations(model_to_score_jet(M.model), dps=8)
    x, y = [0.0, 1.0], [0.5, 1.3]
    guess = np.round(M.numeric.log(x, y), 2)
    d = ref.distance(x, y, guess=guess)
    assert ref.newton_steps >= 2
    (m1, s1), (m2, s2) = x, y
    with mpmath.workdps(30):
        exact = mpmath.sqrt(2) * mpmath.acosh(1 + ((m1 - m2) ** 2 / 2 + (s1 - s2) ** 2) / (2 * s1 * s2))
    assert abs(d - exact) <= 1e-8 * exact
