"""Mixture families, exact (symbolic.mixture_family, MixtureFamily.finite).

References: the mixtures of the point masses of a finite set are the categorical family, whose
dual potential is the negative entropy, whose natural parameters log(p_i / p_0) are its
gradient, whose Fisher metric is its Hessian and whose KL is its Bregman divergence (Amari,
Information Geometry and Its Applications, 2016, sec. 2.4 and 4.2; Nielsen, "An elementary
introduction to information geometry", Entropy 22, 2020, sec. 3.2). For other finite mixtures
the identities that define a mixture family's dually flat structure are checked exactly at
random rational points: Hessian of phi = Fisher metric (the definition sum (dp_i dp_j) / p),
vanishing m-connection, Amari-Chentsov tensor = -(third derivatives of phi) (from Gamma^(-1) = 0
and Gamma^(0) = 1/2 d^3 phi), and the Bregman divergence of phi = KL by its defining sum.
"""
import time

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from manifolds import Categorical, MixtureFamily, Normal, NotClosedFormError
from symbolic import DeclarationError, DomainError
from symbolic.mixture_family import (
    MixtureFamilyModel,
    mixture_to_negative_entropy,
    potential_to_bregman,
    potential_to_hessian,
)
from symbolic.model import SampleSpace

# rational points inside the open simplex
POINTS = [(sp.Rational(1, 5), sp.Rational(3, 10)), (sp.Rational(1, 97), sp.Rational(90, 97)),
          (sp.Rational(2, 3), sp.Rational(1, 7)), (sp.Rational(1, 3), sp.Rational(1, 3))]


def same(a, b, coordinates):
    """Equal at every point of POINTS to 40 digits (logs of sums defeat simplify)."""
    return all(abs(sp.N((a - b).subs(dict(zip(coordinates, w, strict=True))), 50)) < 1e-40 for w in POINTS)


@pytest.fixture(scope="module")
def point_masses():
    # p_0 the mass at 3 (Categorical's p3 = 1 - p1 - p2), p_1 at 1, p_2 at 2
    return MixtureFamily.finite([[0, 0, 1], [1, 0, 0], [0, 1, 0]]), Categorical(3)


def test_point_masses_are_the_categorical_family(point_masses):
    M, C = point_masses
    at = dict(zip(C.coordinates, M.coordinates, strict=True))
    # Amari 2016, sec. 2.4: phi = sum p log p = F*(eta) with eta = p
    ws = M.coordinates
    assert same(M.negative_entropy(), C.dual_potential_at_coordinates().subs(at), ws)
    # its gradient: theta_i = log(p_i / p_k)
    for a, b in zip(M.dual_coordinates(), C.natural_parameters().subs(at), strict=True):
        assert same(a, b, ws)
    # its Hessian: the Fisher metric, diag(1/p_i) + 1/p_k
    phi = M.negative_entropy()
    assert sp.simplify(potential_to_hessian(phi, M.coordinates) - C.fisher_metric().subs(at)) == sp.zeros(2)
    assert sp.simplify(M.fisher_metric() - C.fisher_metric().subs(at)) == sp.zeros(2)
    # its Bregman divergence: KL
    second = dict(zip(C.model.second_point(), M.model.second_point(), strict=True))
    other = [(sp.Rational(1, 2), sp.Rational(1, 4)), (sp.Rational(1, 50), sp.Rational(1, 50))]
    for w2 in other:
        to = dict(zip(M.model.second_point(), w2, strict=True))
        assert same(M.canonical_divergence().subs(to), C.kl_divergence().subs(at).subs(second).subs(to), ws)


def test_point_masses_are_m_flat_not_e_flat(point_masses):
    M, _ = point_masses
    zero = sp.MutableDenseNDimArray.zeros(2, 2, 2)
    assert sp.simplify(sp.Array(M.christoffel(kind=1, alpha=-1)) - zero) == zero
    assert sp.simplify(sp.Array(M.christoffel(kind=1, alpha=1)) - zero) != zero


# three components on four points: an arbitrary m-flat 2-dimensional family
ROWS = [[sp.Rational(1, 2), sp.Rational(1, 4), sp.Rational(1, 8), sp.Rational(1, 8)],
        [sp.Rational(1, 10), sp.Rational(1, 5), sp.Rational(3, 10), sp.Rational(2, 5)],
        [sp.Rational(1, 4)] * 4]


@pytest.fixture(scope="module")
def four_points():
    M = MixtureFamily.finite(ROWS, values=[0, 1, 2, 5])
    phi = M.negative_entropy()
    ws = M.coordinates
    x = M.model.space.variables[0]
    p = [M.model.density.subs(x, v) for v in M.model.space.values]
    dp = [[sp.diff(q, c) for c in ws] for q in p]
    idx = [(i, j, k) for i in range(2) for j in range(2) for k in range(2)]
    return dict(
        M=M, phi=phi, p=p,
        hessian=potential_to_hessian(phi, ws),
        # the definition of the metric: sum over atoms of d_i p d_j p / p
        fisher=sp.Matrix(2, 2, lambda i, j: sum(d[i] * d[j] / q for d, q in zip(dp, p, strict=True))),
        # Gamma^(-1)_ij,k = sum d_i d_j p * d_k log p
        m_connection=[sum(sp.diff(q, ws[i], ws[j]) * d[k] / q for q, d in zip(p, dp, strict=True)) for i, j, k in idx],
        # T_ijk = sum d_i p d_j p d_k p / p^2 and minus the third derivatives of phi
        T=[sum(d[i] * d[j] * d[k] / q**2 for d, q in zip(dp, p, strict=True)) for i, j, k in idx],
        third=[-sp.diff(phi, ws[i], ws[j], ws[k]) for i, j, k in idx],
        bregman=potential_to_bregman(phi, ws, M.model.second_point()))


weights = st.tuples(st.integers(1, 30), st.integers(1, 30)).filter(lambda t: t[0] + t[1] < 32).map(
    lambda t: (sp.Rational(t[0], 32), sp.Rational(t[1], 32)))


@settings(max_examples=10)
@given(w=weights)
def test_hessian_of_phi_is_the_fisher_metric_and_t_is_minus_its_third_derivative(four_points, w):
    F = four_points
    at = dict(zip(F["M"].coordinates, w, strict=True))
    assert F["hessian"].subs(at) == F["fisher"].subs(at)
    assert all(c.subs(at) == 0 for c in F["m_connection"])
    assert [t.subs(at) for t in F["T"]] == [t.subs(at) for t in F["third"]]


@settings(max_examples=10)
@given(a=weights, b=weights)
def test_bregman_divergence_of_phi_is_kl(four_points, a, b):
    F = four_points
    M = F["M"]
    at = dict(zip(M.coordinates + M.model.second_point(), a + b, strict=True))
    pa = [q.subs(dict(zip(M.coordinates, a, strict=True))) for q in F["p"]]
    pb = [q.subs(dict(zip(M.coordinates, b, strict=True))) for q in F["p"]]
    kl = sum(u * sp.log(u / v) for u, v in zip(pa, pb, strict=True))     # the definition, exact
    assert abs(sp.N(F["bregman"].subs(at) - kl, 40)) < 1e-35


def test_a_mixture_of_two_distributions_on_three_points_by_the_generic_route():
    """One weight: the toolkit's generic Fisher metric (E[score^2]) equals phi''."""
    M = MixtureFamily.finite([[sp.Rational(1, 2), sp.Rational(1, 2), 0], [0, sp.Rational(1, 3), sp.Rational(2, 3)]])
    phi = M.negative_entropy()
    assert sp.simplify(potential_to_hessian(phi, M.coordinates) - M.fisher_metric()) == sp.zeros(1)


def test_gaussian_negative_entropy_is_not_closed_form_within_the_time_limit():
    M = MixtureFamily([(Normal(), [0, 1]), (Normal(), [3, 1])])
    start = time.perf_counter()
    with pytest.raises(NotClosedFormError, match="potential"):
        mixture_to_negative_entropy(M.model, timeout=2)
    assert time.perf_counter() - start < 10


def test_bad_declarations():
    x = sp.Symbol("x", integer=True)
    space = SampleSpace.finite(x, [0, 1])
    with pytest.raises(DeclarationError, match="at least two"):
        MixtureFamilyModel("one", [sp.KroneckerDelta(x, 0)], space)
    with pytest.raises(DeclarationError, match="fixed"):
        MixtureFamilyModel("moving", [sp.KroneckerDelta(x, 0), sp.Symbol("w1", positive=True) * x], space)
    with pytest.raises(DomainError, match="row 1"):
        MixtureFamily.finite([[1, 0], [sp.Rational(1, 2), sp.Rational(1, 3)]])
    with pytest.raises(ValueError, match="shape"):
        MixtureFamily.finite([[1, 0], [1]])
    with pytest.raises(DeclarationError, match="share one sample space"):
        from manifolds import Exponential
        MixtureFamily([(Normal(), [0, 1]), (Exponential(), [1.0])])
    with pytest.raises(TypeError, match="pair"):
        MixtureFamily([(Normal(), [0, 1]), Normal()])
    with pytest.raises(DomainError, match="sigma"):
        MixtureFamily([(Normal(), [0, 1]), (Normal(), [0, -1])])
