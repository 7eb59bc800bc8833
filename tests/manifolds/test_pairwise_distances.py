"""``M.numeric.pairwise_distances``: distance matrices against single-pair distances.

Independent checks: each entry equals :meth:`distance` of its pair (the same shooting, one
pair at a time in a batch of other pairs, so equal to the last bit: rows are independent);
a family with a closed form (Normal: Costa, Santos and Strapasson 2015, the hyperbolic
half-plane distance scaled by sqrt 2) matches shooting (``method="numerical"``), an independent route; the
matrix from X alone (upper triangle mirrored) matches the full matrix d(X, X), whose lower
triangle shoots from the other end (symmetry of a distance).
"""
import functools

import numpy as np
import pytest

from manifolds import Beta, Normal
from manifolds.numerics import PAIR_MESSAGES
from symbolic.errors import DomainError


@functools.lru_cache(maxsize=None)
def beta():
    return Beta().numeric


def test_each_entry_is_the_distance_of_its_pair():
    rng = np.random.default_rng(1)
    X = rng.uniform(0.5, 4.0, (12, 2))
    Y = rng.uniform(0.5, 4.0, (5, 2))
    r = beta().pairwise_distances(X, Y, chunk=7)
    i, j = np.indices((12, 5)).reshape(2, -1)
    assert r.ok and r.converged == 1.0 and r.pairs == 60
    assert np.array_equal(r.distances[i, j], beta().distance(X[i], Y[j]))


def test_the_symmetric_matrix_agrees_with_shooting_both_ways():
    rng = np.random.default_rng(2)
    X = rng.uniform(0.5, 4.0, (10, 2))
    s = beta().pairwise_distances(X, chunk=16)
    full = beta().pairwise_distances(X, X)
    assert s.pairs == 45 and s.ok and np.all(np.diag(s.distances) == 0.0)
    assert np.array_equal(s.distances, s.distances.T)
    # d(x, y) shot from x and d(y, x) shot from y agree to the shooting tolerance
    np.testing.assert_allclose(full.distances, s.distances, rtol=1e-8, atol=1e-12)


def test_a_closed_form_matrix_matches_shooting():
    rng = np.random.default_rng(3)
    X = np.column_stack([rng.uniform(-2, 2, 8), rng.uniform(0.5, 3.0, 8)])
    N = Normal().numeric
    closed = N.pairwise_distances(X)
    shot = N.pairwise_distances(X, method="numerical")
    assert closed.ok and shot.ok
    np.testing.assert_allclose(shot.distances, closed.distances, rtol=1e-8, atol=1e-12)


def test_bad_input_is_refused_naming_the_parameter():
    with pytest.raises(DomainError, match="a must be > 0"):
        beta().pairwise_distances([[1.0, 1.0], [-1.0, 2.0]])
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        beta().pairwise_distances([1.0, 1.0])
    with pytest.raises(ValueError, match="no closed-form"):
        beta().pairwise_distances([[1.0, 1.0]], method="closed_form")
    with pytest.raises(DomainError, match="tol"):
        beta().pairwise_distances([[1.0, 1.0]], tol=1e-300)


def test_every_status_code_has_a_message():
    from numeric.geodesics.shooting import ShootingStatus

    assert {int(s) for s in ShootingStatus} - {0} <= set(PAIR_MESSAGES)


@pytest.mark.slow
def test_a_family_with_a_shooting_chart_is_shot_in_it():
    # VonMises declares its natural chart for shooting: pairs with |mu - mu_2| > pi, which
    # have no geodesic in (mu, kappa), converge, and the matrix is symmetric to shooting
    # from either end (the lower triangle of d(X, X) shoots from the other point)
    from manifolds import VonMises

    K = VonMises().numeric
    X = np.array([[2.57, 0.82], [-3.5, 8.7], [0.3, 2.0], [-2.9, 1.1]])
    s = K.pairwise_distances(X)
    full = K.pairwise_distances(X, X)
    assert s.ok and full.ok, (s.message, full.message)
    np.testing.assert_allclose(full.distances, full.distances.T, rtol=1e-9)
    np.testing.assert_allclose(s.distances, full.distances, rtol=1e-9, atol=1e-300)
    # 1.77320572175191: mpmath at 20 and 30 digits (tests/numeric/geodesics/test_shooting.py)
    assert s.distances[0, 1] == pytest.approx(1.77320572175191, rel=1e-11)
