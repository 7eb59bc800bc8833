"""Closed-form distances declared in the catalog agree with shooting and behave as distances.

Each family that declares ``closed_forms["distance"]`` is checked at random points against
the numerical route (the log map by shooting, ``sqrt(g_x(v, v))``), an independent
computation; the metric axioms (symmetry, zero on the diagonal, triangle inequality) are
identities every distance satisfies.
"""
import functools

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given
from hypothesis import strategies as st

import manifolds.numerics
from manifolds import CATALOG, Gamma, Normal, Poisson
from numeric.geodesics.distances import ClosedFormDistance, exponential_distance, location_scale_distance
from symbolic.errors import DomainError
from tests.catalog_points import build
from tests.support import examples

DECLARING = [(name, make, args) for name, make, args in CATALOG
             if "distance" in make(*args).model.closed_forms]


@functools.lru_cache(maxsize=None)
def numeric(name):
    return build(name).numeric


def test_the_catalog_declares_the_known_closed_forms():
    assert {name for name, _, _ in DECLARING} == {
        "Bernoulli", "Binomial", "Geometric", "Poisson", "Exponential", "NormalMean", "Normal",
        "Categorical(3)", "InverseGaussian", "LogNormal", "Cauchy", "StudentT", "Laplace"}


def points(name, count):
    """``count`` points of the family's typical range that satisfy its constraints."""
    params = numeric(name).manifold.parameters
    point = st.tuples(*[st.floats(*p.typical) for p in params])
    return st.lists(point, min_size=count, max_size=count)


def inside(K, pts):
    try:
        K.validate(pts)
    except DomainError:
        return False
    return True


@pytest.mark.parametrize("name", [name for name, _, _ in DECLARING])
def test_closed_form_is_the_shooting_distance_and_a_distance(name):
    K = numeric(name)
    assert K.closed_form_distance is not None

    @examples(3)
    @given(points(name, 3))
    def check(pts):
        assume(inside(K, pts))
        x, y, z = (np.array(p) for p in pts)
        d = K.distance
        d_xy = float(d(x, y))
        np.testing.assert_allclose(float(d(x, y, method="numerical")), d_xy, rtol=1e-8, atol=1e-12)
        assert float(d(y, x)) == pytest.approx(d_xy, rel=1e-12, abs=1e-15)
        assert float(d(x, x)) == 0.0
        assert float(d(x, z)) <= d_xy + float(d(y, z)) + 1e-12

    check()


def test_family_without_declaration_is_shot(monkeypatch):
    K = Gamma().numeric
    assert "distance" not in K.manifold.model.closed_forms and K.closed_form_distance is None
    calls = []
    shoot = manifolds.numerics.shoot
    monkeypatch.setattr(manifolds.numerics, "shoot", lambda *a, **k: calls.append(1) or shoot(*a, **k))
    x, y = np.array([1.5, 2.0]), np.array([3.0, 1.2])
    d = float(K.distance(x, y))
    assert calls
    # independent of the log map: the geodesic with that initial velocity reaches y
    v = K.log(x, y)
    np.testing.assert_allclose(K.exp(x, v), y, rtol=1e-9)
    assert d == pytest.approx(float(np.sqrt(v @ K.metric(x) @ v)), rel=1e-12)
    with pytest.raises(ValueError, match="no closed-form distance"):
        K.distance(x, y, method="closed_form")


def test_reparametrised_chart_does_not_inherit_the_closed_form():
    M = Normal()
    mu, sigma = M.coordinates
    s = sp.Symbol("s", real=True)
    R = M.reparametrize({mu: mu, sigma: sp.exp(s)}, [mu, s]).numeric
    assert R.closed_form_distance is None
    x, y = np.array([0.2, -0.3]), np.array([1.1, 0.4])
    # the distance is a property of the two distributions, whatever the chart
    expected = float(M.numeric.distance([0.2, np.exp(-0.3)], [1.1, np.exp(0.4)]))
    assert float(R.distance(x, y)) == pytest.approx(expected, rel=1e-8)


def test_natural_chart_does_not_inherit_the_closed_form():
    P = Poisson()
    N = P.in_chart("natural").numeric
    assert N.closed_form_distance is None
    theta = np.array([[np.log(0.5)], [np.log(4.0)]])
    expected = float(P.numeric.distance([0.5], [4.0]))  # 2 |sqrt(0.5) - sqrt(4)|
    assert expected == pytest.approx(2 * (2 - np.sqrt(0.5)), rel=1e-15)
    assert float(N.distance(theta[0], theta[1])) == pytest.approx(expected, rel=1e-8)


def test_wrong_declaration_is_refused():
    # the formula of another metric: copied onto a chart, or a typo in the catalog
    M = Poisson()
    M.model.closed_forms["distance"] = ClosedFormDistance(exponential_distance)
    with pytest.raises(ValueError, match=r"Poisson declares the closed-form distance .*exponential_distance"):
        M.numeric.distance([1.0], [2.0])
    # the numerical route does not depend on the declaration
    assert float(M.numeric.distance([1.0], [4.0], method="numerical")) == pytest.approx(2.0, rel=1e-8)


def test_declared_constants_are_bound():
    # StudentT() keeps nu symbolic, bound to 4.5 by with_constants: A = (nu+1)/(nu+3), B = 2nu/(nu+3)
    K = numeric("StudentT")
    x, y = np.array([0.3, 0.8]), np.array([-0.5, 1.4])
    nu = 4.5
    expected = location_scale_distance(x, y, A=(nu + 1) / (nu + 3), B=2 * nu / (nu + 3))
    assert float(K.distance(x, y)) == pytest.approx(float(expected), rel=1e-15)
    with pytest.raises(ValueError, match="argument A = .* is not a number"):
        K.manifold.model.closed_forms["distance"].bind()


def test_declaration_needs_a_distance_with_its_metric():
    with pytest.raises(TypeError, match="function must be a distance"):
        ClosedFormDistance(np.hypot)


def test_closed_form_route_checks_the_options_it_cannot_use():
    N = numeric("Normal")
    x, y = [0.0, 1.0], [1.0, 2.0]
    # the options of log are accepted (the closed form meets any admissible tol) and the
    # value is the numerical route's, to that route's tolerance
    d = N.distance(x, y, tol=1e-12, rtol=1e-13, throw=True, max_rounds=50)
    assert d == pytest.approx(N.distance(x, y, method="numerical", tol=1e-12), rel=1e-10)
    with pytest.raises(TypeError, match=r"\['tolerance'\]"):
        N.distance(x, y, tolerance=1e-6)
    with pytest.raises(ValueError, match="method='numerical'"):
        N.distance(x, y, full_output=True)
    with pytest.raises(DomainError, match="tol"):
        N.distance(x, y, tol=1e-300)
    with pytest.raises(DomainError, match="tol"):
        N.distance(x, y, tol=-1.0)
