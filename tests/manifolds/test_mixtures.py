"""EM as alternating e- and m-projections (manifolds.mixtures) against the textbook updates.

References: the EM updates of a Gaussian mixture (Bishop, Pattern Recognition and Machine
Learning, 2006, sec. 9.2.2, eqs. 9.23-9.27: responsibilities, then weighted means, variances
and mixing weights) and of a Poisson mixture (weighted means), written out here with numpy;
the monotone likelihood of EM (Dempster, Laird & Rubin, JRSS B 39, 1977, Theorem 1).
"""
import numpy as np
import pytest
from scipy.special import gammaln, logsumexp

from manifolds import Gamma, Normal, NotClosedFormError, Poisson
from manifolds.mixtures import em
from numeric.optim.gradient_methods import OptimizationStatus
from symbolic import DomainError


def textbook_gmm(x, w, mu, sd, steps):
    lls = []
    for _ in range(steps + 1):
        logs = np.log(w) - 0.5 * np.log(2 * np.pi * sd**2) - (x[:, None] - mu) ** 2 / (2 * sd**2)
        total = logsumexp(logs, axis=1, keepdims=True)
        lls.append(total.mean())
        r = np.exp(logs - total)
        nk = r.sum(axis=0)
        mu = (r * x[:, None]).sum(axis=0) / nk
        sd = np.sqrt((r * (x[:, None] - mu) ** 2).sum(axis=0) / nk)
        w = nk / len(x)
    return np.array(lls)


def textbook_poisson(x, w, lam, steps):
    lls = []
    for _ in range(steps + 1):
        logs = np.log(w) - lam + x[:, None] * np.log(lam) - gammaln(x[:, None] + 1)
        total = logsumexp(logs, axis=1, keepdims=True)
        lls.append(total.mean())
        if len(lls) > steps:
            break
        r = np.exp(logs - total)
        lam = (r * x[:, None]).sum(axis=0) / r.sum(axis=0)
        w = r.mean(axis=0)
    return np.array(lls), w, lam


def test_gaussian_mixture_equals_textbook_em():
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(-1.0, 0.7, 300), rng.normal(2.0, 1.3, 200)]
    w0, mu0, sd0 = np.array([0.4, 0.6]), np.array([-0.5, 0.5]), np.array([1.0, 2.0])
    fit = em(Normal(), x, w0, np.c_[mu0, sd0], max_steps=25, tol=0.0)
    assert fit.status == OptimizationStatus.MAX_STEPS and fit.steps == 25
    ref = textbook_gmm(x, w0, mu0, sd0, 25)
    np.testing.assert_allclose(fit.log_likelihood, ref, rtol=1e-12)
    assert np.all(np.diff(fit.log_likelihood) >= -1e-14)


def test_poisson_mixture_equals_textbook_em_and_converges():
    rng = np.random.default_rng(1)
    x = np.r_[rng.poisson(2.0, 400), rng.poisson(9.0, 300)].astype(float)
    fit = em(Poisson(), x, [0.5, 0.5], [[1.0], [5.0]], tol=1e-13)
    assert fit.status == OptimizationStatus.SUCCESS
    lls, w, lam = textbook_poisson(x, np.array([0.5, 0.5]), np.array([1.0, 5.0]), fit.steps)
    np.testing.assert_allclose(fit.log_likelihood, lls, rtol=1e-12)
    np.testing.assert_allclose(fit.points[:, 0], lam, rtol=1e-12)
    np.testing.assert_allclose(fit.weights, w, rtol=1e-12)
    # at the fixed point the weighted means are stationary: the m-step of the last e-step
    r = fit.responsibilities
    np.testing.assert_allclose((r * x[:, None]).sum(0) / r.sum(0), fit.points[:, 0], rtol=1e-5)


def test_bad_input():
    with pytest.raises(NotClosedFormError, match="inverse of its expectation map"):
        em(Gamma(), [1.0, 2.0], [0.5, 0.5], [[1.0, 1.0], [2.0, 1.0]])
    with pytest.raises(DomainError, match="weights must be > 0 and sum to 1"):
        em(Poisson(), [1.0, 2.0], [0.5, 0.6], [[1.0], [2.0]])
    with pytest.raises(DomainError, match="data must lie in"):
        em(Poisson(), [1.5, 2.0], [0.5, 0.5], [[1.0], [2.0]])
    with pytest.raises(DomainError, match="lam must be > 0"):
        em(Poisson(), [1.0, 2.0], [0.5, 0.5], [[-1.0], [2.0]])


def test_large_counts_do_not_overflow():
    """log(k!) for k beyond 170 (where k! overflows a double) through gammaln."""
    x = np.r_[np.full(20, 300.0), np.full(20, 400.0)]
    fit = Poisson().mixture_em(x, [0.5, 0.5], [[250.0], [450.0]])
    assert fit.status == OptimizationStatus.SUCCESS
    np.testing.assert_allclose(fit.points[:, 0], [300, 400], rtol=1e-5)
