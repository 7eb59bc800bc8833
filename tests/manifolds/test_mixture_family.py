"""Mixture families by quadrature (manifolds.mixtures.MixtureFamily.potential and the numeric route).

A Gaussian mixture family has no closed-form negative entropy (Nielsen & Hadjeres, "Monte Carlo
information-geometric structures", 2019, the dually flat case; Nielsen & Nock, "On the
geometry of mixtures of prescribed distributions", ICASSP 2018), so its Legendre pair is
checked against independent computations and the identities of a mixture family (Amari,
Information Geometry and Its Applications, 2016, sec. 2.4 and 4.2; Nielsen, "An elementary
introduction to information geometry", 2020, sec. 3.2):

- phi, eta and KL against mpmath quadrature at 20 digits of their defining integrals;
- eta = grad phi by central differences;
- Hessian of phi (differences of eta) = the Fisher metric of the quadrature engine
  (numeric.quadrature, E[score^2]) = mpmath's integral of (p_1 - p_0)^2 / p;
- the m-connection (alpha = -1) of the engine vanishes in w, the e-connection does not, and
  T = -d^3 phi;
- for components far apart the entropy splits: -phi -> -sum w_i log w_i + sum w_i h_i with
  the Gaussian entropy h = log(2 pi e sigma^2) / 2 (Cover & Thomas, Elements of Information
  Theory, 2nd ed. 2006, Theorem 8.4.1; the exact identity of disjoint supports, their eq. 2.139
  grouping rule).
"""
import functools
import math

import mpmath
import numpy as np
import pytest

from manifolds import MixtureFamily, Normal, Poisson
from symbolic import DomainError

PAIR = [(Normal(), [0, 1]), (Normal(), [3, 1])]


@pytest.fixture(scope="module")
def gauss():
    return MixtureFamily(PAIR)


@functools.lru_cache
def mp_gauss(w, dps=18):
    """phi, eta, g of 0.5-free weights w of N(0, 1), N(3, 1) by mpmath quadrature."""
    with mpmath.workdps(dps):
        p0 = lambda x: mpmath.npdf(x, 0, 1)            # noqa: E731
        p1 = lambda x: mpmath.npdf(x, 3, 1)            # noqa: E731
        w = mpmath.mpf(w)
        p = lambda x: (1 - w) * p0(x) + w * p1(x)      # noqa: E731
        cuts = [-mpmath.inf, 0, 3, mpmath.inf]
        phi = mpmath.quad(lambda x: p(x) * mpmath.log(p(x)), cuts)
        eta = mpmath.quad(lambda x: (p1(x) - p0(x)) * mpmath.log(p(x)), cuts)
        g = mpmath.quad(lambda x: (p1(x) - p0(x)) ** 2 / p(x), cuts)
        return float(phi), float(eta), float(g)


@pytest.mark.parametrize("w", [0.05, 0.5, 0.9])
def test_gaussian_potential_and_dual_against_mpmath(gauss, w):
    P = gauss.potential([w])
    phi, eta, _ = mp_gauss(w)
    assert abs(P.value - phi) <= 1e-11 * abs(phi)
    assert abs(P.gradient[0] - eta) <= 1e-11 * (1 + abs(eta))
    assert np.all(P.error < 1e-9)


def test_gaussian_dual_is_the_gradient_and_hessian_is_the_fisher_information(gauss):
    h = 2e-5      # truncation h^2 phi'''/6 and rounding 1e-13/h both below 1e-7
    for w in (0.5, 0.9):         # points of the mpmath test above (its values are cached)
        up, down = gauss.potential([w + h]), gauss.potential([w - h])
        centre = gauss.potential([w])
        assert abs((up.value - down.value) / (2 * h) - centre.gradient[0]) < 1e-7
        hess = (up.gradient[0] - down.gradient[0]) / (2 * h)
        assert abs(hess - mp_gauss(w)[2]) < 1e-6 * mp_gauss(w)[2]


def test_gaussian_canonical_divergence_is_kl(gauss):
    with mpmath.workdps(18):
        def kl(a, b):
            pa = lambda x: (1 - a) * mpmath.npdf(x, 0, 1) + a * mpmath.npdf(x, 3, 1)   # noqa: E731
            pb = lambda x: (1 - b) * mpmath.npdf(x, 0, 1) + b * mpmath.npdf(x, 3, 1)   # noqa: E731
            return float(mpmath.quad(lambda x: pa(x) * mpmath.log(pa(x) / pb(x)), [-mpmath.inf, 0, 3, mpmath.inf]))

        for a, b in [(0.2, 0.7)]:
            ref = kl(a, b)
            assert abs(gauss.canonical_divergence_at([a], [b]) - ref) <= 1e-10 * ref + 1e-13
    assert gauss.canonical_divergence_at([0.3], [0.3]) == 0.0


def test_far_apart_components_split_the_entropy():
    M = MixtureFamily([(Normal(), [0, 1]), (Normal(), [60, 2])])
    for w in (0.1, 0.5):
        h0, h1 = 0.5 * math.log(2 * math.pi * math.e), 0.5 * math.log(2 * math.pi * math.e * 4)
        expected = (1 - w) * math.log(1 - w) + w * math.log(w) - (1 - w) * h0 - w * h1
        assert abs(M.potential([w]).value - expected) < 1e-12


@pytest.mark.slow
def test_gaussian_engine_metric_and_flat_m_connection(gauss):
    """The quadrature engine's E[score^2] is phi''; its m-connection vanishes, and T = -phi'''."""
    K = gauss.numeric_geometry("numeric")
    h = 1e-3
    for w in (0.9,):             # not 0.5, where T vanishes by symmetry
        _, _, g = mp_gauss(w)
        assert abs(K.metric([w])[0, 0] - g) < 1e-11 * g
        assert abs(K.christoffel([w], alpha=-1.0)[0, 0, 0]) < 1e-11 * g
        assert abs(K.christoffel([w], alpha=1.0)[0, 0, 0]) > 0.1
        eta = [gauss.potential([w + s * h]).gradient[0] for s in (-1, 0, 1)]
        third = (eta[2] - 2 * eta[1] + eta[0]) / h**2
        T = K.amari_chentsov([w])[0, 0, 0]
        assert abs(T + third) < 1e-4 * abs(T)


def test_poisson_mixture_of_three_components():
    M = MixtureFamily([(Poisson(), [1.0]), (Poisson(), [4.0]), (Poisson(), [9.5])])
    w = np.array([0.3, 0.45])
    with mpmath.workdps(25):
        lams = [mpmath.mpf(1), mpmath.mpf(4), mpmath.mpf("9.5")]
        comps = [lambda n, lam=lam: mpmath.exp(-lam + n * mpmath.log(lam) - mpmath.loggamma(n + 1)) for lam in lams]
        c = [1 - mpmath.mpf(w[0]) - mpmath.mpf(w[1]), mpmath.mpf(w[0]), mpmath.mpf(w[1])]
        p = lambda n: sum(ci * f(n) for ci, f in zip(c, comps, strict=True))    # noqa: E731
        phi = float(mpmath.nsum(lambda n: p(n) * mpmath.log(p(n)), [0, mpmath.inf]))
        eta = [float(mpmath.nsum(lambda n, i=i: (comps[i](n) - comps[0](n)) * mpmath.log(p(n)), [0, mpmath.inf]))
               for i in (1, 2)]
    P = M.potential(w)
    assert abs(P.value - phi) < 1e-12 * abs(phi)
    assert np.allclose(P.gradient, eta, rtol=1e-12, atol=1e-13)
    h = 1e-5
    for i in range(2):
        e = np.eye(2)[i] * h
        assert abs((M.potential(w + e).value - M.potential(w - e).value) / (2 * h) - P.gradient[i]) < 1e-8


def test_bad_points_are_refused(gauss):
    with pytest.raises(DomainError, match="w1"):
        gauss.potential([1.5])
    with pytest.raises(DomainError, match="tol"):
        gauss.potential([0.5], tol=0)
    M = MixtureFamily.finite([[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    with pytest.raises(DomainError, match="w0"):
        M.potential([0.6, 0.6])
