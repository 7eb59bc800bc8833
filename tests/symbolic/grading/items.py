"""The grading suite: exercises with answers and the verdict a grader must give.

Each item names a catalog family, a quantity (the names of ``StatisticalManifold.check``), an
answer as a student would write it, the verdict (``correct``, ``incorrect``, ``undecided`` or
``malformed``) and its source. Correct answers are the textbook closed forms, written in every
chart (coordinates, natural ``theta``, expectation ``eta``, a mix) and every natural shape (a
flat list, a row, a column, a scalar for a one-entry quantity). Wrong answers are the mistakes
that happen (a sign, a factor, a swapped convention, the reverse KL), and the ones a grader
must not let through: close, localised, tiny and non-smooth differences. An ``undecided``
item says why (``why``).

Sources (chapter or section; every formula below was re-derived by hand for the item, and the
correct ones agree with the toolkit's derivation, which is independent of this table):

- [A16] S. Amari, *Information Geometry and Its Applications*, Springer 2016: ch. 2
  (exponential families: natural and expectation parameters, the potentials psi and phi,
  the KL divergence as a Bregman divergence), ch. 3 (the Fisher metric; the simplex of
  discrete distributions as a piece of a sphere), ch. 6 (dual alpha-connections).
- [AN00] S. Amari, H. Nagaoka, *Methods of Information Geometry*, AMS 2000: sec. 2.2-2.3
  (Fisher metric, alpha-connections and the cubic form T of the normal family), sec. 2.6 and
  ch. 3 (exponential families as dually flat spaces, the potentials and the canonical
  divergence).
- [N20] F. Nielsen, *An Elementary Introduction to Information Geometry*, Entropy 22 (2020)
  1100: sec. 3-4 (Fisher-Rao metric, the Cauchy and normal location-scale families as
  hyperbolic planes, exponential families and their Legendre-dual potentials; Bregman
  divergences and the KL).
- [CU14] O. Calin, C. Udriste, *Geometric Modeling in Probability and Statistics*, Springer
  2014: ch. 1 (examples of statistical models: normal, lognormal, Poisson, geometric, binomial,
  gamma, beta, exponential, inverse Gaussian, Dirichlet, von Mises) and their Fisher metrics and
  curvatures.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

A16, AN00, N20, CU14 = "Amari 2016", "Amari & Nagaoka 2000", "Nielsen 2020", "Calin & Udriste 2014"


@dataclass(frozen=True)
class Item:
    family: str
    quantity: str
    answer: object
    verdict: str
    source: str
    options: dict = field(default_factory=dict)
    why: str = ""


_mu, _sigma = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
_G = lambda extra: sp.Matrix([[1 / _sigma**2 + extra, 0], [0, 2 / _sigma**2]])  # noqa: E731

BERN_METRIC = "1/(p*(1-p))"
NORMAL_METRIC = "Matrix([[1/sigma**2, 0], [0, 2/sigma**2]])"
NORMAL_GAMMA2 = "[[[0, -1/sigma], [-1/sigma, 0]], [[1/(2*sigma), 0], [0, -1/sigma]]]"
NORMAL_T = "[[[0, 2/sigma**3], [2/sigma**3, 0]], [[2/sigma**3, 0], [0, 8/sigma**3]]]"
GAMMA_METRIC = "[[polygamma(1, a), -1/b], [-1/b, a/b**2]]"
BETA_METRIC = ("[[trigamma(a) - trigamma(a + b), -trigamma(a + b)],"
               " [-trigamma(a + b), trigamma(b) - trigamma(a + b)]]")
A0 = "polygamma(1, a1 + a2 + a3)"
DIRICHLET_METRIC = (f"[[polygamma(1, a1) - {A0}, -{A0}, -{A0}], [-{A0}, polygamma(1, a2) - {A0}, -{A0}],"
                    f" [-{A0}, -{A0}, polygamma(1, a3) - {A0}]]")
CAT_METRIC = "[[1/p1 + 1/(1-p1-p2), 1/(1-p1-p2)], [1/(1-p1-p2), 1/p2 + 1/(1-p1-p2)]]"
VM_A = "besseli(1, kappa)/besseli(0, kappa)"
VM_METRIC = f"[[kappa*{VM_A}, 0], [0, 1 - {VM_A}/kappa - ({VM_A})**2]]"
MVN_DET = "(sigma11*sigma22 - sigma21**2)"
MVN_DUAL = "-log((eta3 - eta1**2)*(eta5 - eta2**2) - (eta4 - eta1*eta2)**2)/2 - 1 - log(2*pi)"

ITEMS = [
    # -- Bernoulli(p): g = 1/(p(1-p)), theta = logit p, F = log(1 + e^theta), F* = negative entropy
    Item("Bernoulli", "fisher_metric", BERN_METRIC, "correct", f"{A16} ch. 3; {N20} sec. 3"),
    Item("Bernoulli", "fisher_metric", "[[1/(p - p**2)]]", "correct", f"{A16} ch. 3"),
    Item("Bernoulli", "fisher_metric", "1/p + 1/(1-p)", "correct", f"{A16} ch. 3 (partial fractions)"),
    Item("Bernoulli", "fisher_metric", "1/p**2 + 1/(1-p)**2", "incorrect", f"{A16} ch. 3 (E[l'^2] squared termwise)"),
    Item("Bernoulli", "fisher_metric", "1/(p*(1-p)) + Max(0, p - 0.999)", "incorrect",
         f"{A16} ch. 3 (non-smooth, nonzero only within 1e-3 of the boundary)"),
    Item("Bernoulli", "natural_parameters", "log(p/(1-p))", "correct", f"{A16} sec. 2.2"),
    Item("Bernoulli", "natural_parameters", "log(p) - log(1-p)", "correct", f"{A16} sec. 2.2"),
    Item("Bernoulli", "natural_parameters", "log((1-p)/p)", "incorrect", f"{A16} sec. 2.2 (sign)"),
    Item("Bernoulli", "log_partition", "log(1 + exp(theta1))", "correct", f"{A16} sec. 2.2; {N20} sec. 4"),
    Item("Bernoulli", "log_partition", "-log(1 - p)", "correct", f"{A16} sec. 2.2 (in the coordinate)"),
    Item("Bernoulli", "log_partition", "log(1 + exp(-theta1))", "incorrect", f"{A16} sec. 2.2"),
    Item("Bernoulli", "expectation_parameters", "p", "correct", f"{A16} sec. 2.2"),
    Item("Bernoulli", "expectation_parameters", "exp(theta1)/(1 + exp(theta1))", "correct", f"{A16} sec. 2.2 (eta = F'(theta))"),
    Item("Bernoulli", "expectation_parameters", "[1/(1 + exp(-theta1))]", "correct", f"{A16} sec. 2.2"),
    Item("Bernoulli", "dual_potential", "eta1*log(eta1) + (1-eta1)*log(1-eta1)", "correct", f"{A16} sec. 2.2; {N20} sec. 4"),
    Item("Bernoulli", "dual_potential", "p*log(p) + (1-p)*log(1-p)", "correct", f"{A16} sec. 2.2 (in the coordinate)"),
    Item("Bernoulli", "dual_potential", "eta1*log(eta1) - (1-eta1)*log(1-eta1)", "incorrect", f"{A16} sec. 2.2 (sign)"),
    Item("Bernoulli", "dual_potential", "eta1*log(eta1) + (1-eta1)*log(1-eta1) + 10**-30", "incorrect", "tiny constant"),
    Item("Bernoulli", "kl_divergence", "p*log(p/p_2) + (1-p)*log((1-p)/(1-p_2))", "correct", f"{N20} sec. 4; {A16} ch. 1"),
    Item("Bernoulli", "kl_divergence", "p_2*log(p_2/p) + (1-p_2)*log((1-p_2)/(1-p))", "incorrect", f"{N20} sec. 4 (the reverse KL)"),
    Item("Bernoulli", "amari_chentsov", "(1 - 2*p)/(p**2*(1-p)**2)", "correct", f"{AN00} sec. 2.3 (T = E[l'^3], a scalar for a 1-D tensor)"),
    Item("Bernoulli", "amari_chentsov", "[[[1/p**2 - 1/(1-p)**2]]]", "correct", f"{AN00} sec. 2.3"),
    Item("Bernoulli", "amari_chentsov", "(2*p - 1)/(p**2*(1-p)**2)", "incorrect", f"{AN00} sec. 2.3 (sign)"),
    # -- Binomial(n = 10, p)
    Item("Binomial", "fisher_metric", "10/(p*(1-p))", "correct", f"{CU14} ch. 1"),
    Item("Binomial", "fisher_metric", "n/(p*(1-p))", "correct", f"{CU14} ch. 1 (the constant n)"),
    Item("Binomial", "fisher_metric", "1/(p*(1-p))", "incorrect", f"{CU14} ch. 1 (n forgotten)"),
    Item("Binomial", "log_partition", "10*log(1 + exp(theta1))", "correct", f"{A16} sec. 2.2"),
    Item("Binomial", "log_partition", "log(1 + exp(theta1))", "incorrect", f"{A16} sec. 2.2 (n forgotten)"),
    Item("Binomial", "expectation_parameters", "10*p", "correct", f"{A16} sec. 2.2"),
    Item("Binomial", "expectation_parameters", "[n*p]", "correct", f"{A16} sec. 2.2"),
    Item("Binomial", "expectation_parameters", "10*p*(1-p)", "incorrect", f"{A16} sec. 2.2 (the variance)"),
    # -- Geometric(p), counting failures: P(k) = p (1-p)^k
    Item("Geometric", "fisher_metric", "1/(p**2*(1-p))", "correct", f"{CU14} ch. 1"),
    Item("Geometric", "fisher_metric", "1/(p*(1-p))", "incorrect", f"{CU14} ch. 1 (Bernoulli's metric)"),
    Item("Geometric", "natural_parameters", "log(1 - p)", "correct", f"{A16} sec. 2.2"),
    Item("Geometric", "log_partition", "-log(1 - exp(theta1))", "correct", f"{A16} sec. 2.2"),
    Item("Geometric", "log_partition", "-log(p)", "correct", f"{A16} sec. 2.2 (in the coordinate)"),
    Item("Geometric", "expectation_parameters", "(1 - p)/p", "correct", f"{CU14} ch. 1 (mean number of failures)"),
    Item("Geometric", "expectation_parameters", "1/p - 1", "correct", f"{CU14} ch. 1"),
    Item("Geometric", "expectation_parameters", "exp(theta1)/(1 - exp(theta1))", "correct", f"{A16} sec. 2.2"),
    Item("Geometric", "expectation_parameters", "1/p", "incorrect", f"{CU14} ch. 1 (the trials convention)"),
    Item("Geometric", "dual_potential", "eta1*log(eta1) - (1 + eta1)*log(1 + eta1)", "correct", f"{A16} sec. 2.2"),
    Item("Geometric", "dual_potential", "eta1*log(eta1) - eta1*log(1 + eta1)", "incorrect", f"{A16} sec. 2.2"),
    # -- Poisson(lam)
    Item("Poisson", "fisher_metric", "1/lam", "correct", f"{CU14} ch. 1; {A16} ch. 3"),
    Item("Poisson", "fisher_metric", "Matrix([[1/lam]])", "correct", f"{CU14} ch. 1"),
    Item("Poisson", "fisher_metric", "1/lam**2", "incorrect", f"{CU14} ch. 1"),
    Item("Poisson", "fisher_metric", "1/lam + 10**-25", "incorrect", "tiny constant"),
    Item("Poisson", "fisher_metric", "1/lam + lam*10**-22", "incorrect", "tiny, growing with lam"),
    Item("Poisson", "fisher_metric", "exp(theta1)", "incorrect",
         f"{A16} sec. 2.2 (e^theta = lam is the metric of the natural chart, not of lam)"),
    Item("Poisson", "fisher_metric", "oo", "incorrect", "an infinite answer"),
    Item("Poisson", "fisher_metric", "1/(lam - lam)", "incorrect", "an undefined answer (zoo)"),
    Item("Poisson", "log_partition", "exp(theta1)", "correct", f"{A16} sec. 2.2; {N20} sec. 4"),
    Item("Poisson", "log_partition", "lam", "correct", f"{A16} sec. 2.2 (in the coordinate)"),
    Item("Poisson", "log_partition", "exp(theta1) - 1", "incorrect", f"{A16} sec. 2.2 (constant)"),
    Item("Poisson", "expectation_parameters", "lam", "correct", f"{A16} sec. 2.2"),
    Item("Poisson", "expectation_parameters", "exp(theta1)", "correct", f"{A16} sec. 2.2"),
    Item("Poisson", "dual_potential", "eta1*log(eta1) - eta1", "correct", f"{A16} sec. 2.2; {N20} sec. 4"),
    Item("Poisson", "dual_potential", "lam*log(lam) - lam", "correct", f"{A16} sec. 2.2 (in the coordinate)"),
    Item("Poisson", "dual_potential", "eta1*log(eta1)", "incorrect", f"{A16} sec. 2.2"),
    Item("Poisson", "kl_divergence", "lam*log(lam/lam_2) - lam + lam_2", "correct", f"{N20} sec. 4"),
    Item("Poisson", "kl_divergence", "lam*log(lam/lam_2)", "incorrect", f"{N20} sec. 4"),
    Item("Poisson", "kl_divergence", "lam_2*log(lam_2/lam) - lam_2 + lam", "incorrect", f"{N20} sec. 4 (the reverse KL)"),
    Item("Poisson", "amari_chentsov", "1/lam**2", "correct", f"{AN00} sec. 2.3 (third central moment lam)"),
    Item("Poisson", "amari_chentsov", "[[[lam**-2]]]", "correct", f"{AN00} sec. 2.3"),
    Item("Poisson", "amari_chentsov", "2/lam**2", "incorrect", f"{AN00} sec. 2.3"),
    # -- Exponential(lam), rate
    Item("Exponential", "fisher_metric", "1/lam**2", "correct", f"{CU14} ch. 1"),
    Item("Exponential", "fisher_metric", "theta1**-2", "correct", f"{CU14} ch. 1 (theta = -lam)"),
    Item("Exponential", "fisher_metric", "1/lam", "incorrect", f"{CU14} ch. 1"),
    Item("Exponential", "log_partition", "log(-1/theta1)", "correct", f"{A16} sec. 2.2"),
    Item("Exponential", "log_partition", "-log(-theta1)", "correct", f"{A16} sec. 2.2"),
    Item("Exponential", "log_partition", "-log(lam)", "correct", f"{A16} sec. 2.2 (in the coordinate)"),
    Item("Exponential", "log_partition", "log(-theta1)", "incorrect", f"{A16} sec. 2.2 (sign)"),
    Item("Exponential", "expectation_parameters", "1/lam", "correct", f"{A16} sec. 2.2"),
    Item("Exponential", "expectation_parameters", "-1/theta1", "correct", f"{A16} sec. 2.2"),
    Item("Exponential", "expectation_parameters", "lam", "incorrect", f"{A16} sec. 2.2 (rate for mean)"),
    Item("Exponential", "dual_potential", "-1 - log(eta1)", "correct", f"{A16} sec. 2.2"),
    Item("Exponential", "dual_potential", "-1 + log(lam)", "correct", f"{A16} sec. 2.2 (in the coordinate)"),
    Item("Exponential", "dual_potential", "-log(eta1)", "incorrect", f"{A16} sec. 2.2 (constant)"),
    Item("Exponential", "kl_divergence", "log(lam/lam_2) + lam_2/lam - 1", "correct", f"{N20} sec. 4"),
    Item("Exponential", "kl_divergence", "log(lam_2/lam) + lam/lam_2 - 1", "incorrect", f"{N20} sec. 4 (the reverse KL)"),
    Item("Exponential", "amari_chentsov", "-2/lam**3", "correct", f"{AN00} sec. 2.3"),
    Item("Exponential", "amari_chentsov", "2/lam**3", "incorrect", f"{AN00} sec. 2.3 (sign)"),
    # -- NormalMean(mu), sigma = 1.3 known
    Item("NormalMean", "fisher_metric", "1/sigma**2", "correct", f"{CU14} ch. 1"),
    Item("NormalMean", "fisher_metric", "100/169", "correct", f"{CU14} ch. 1 (sigma = 1.3)"),
    Item("NormalMean", "fisher_metric", "1/1.69", "correct", f"{CU14} ch. 1 (a decimal is the number it writes)"),
    Item("NormalMean", "fisher_metric", "1", "incorrect", f"{CU14} ch. 1"),
    Item("NormalMean", "log_partition", "sigma**2*theta1**2/2", "correct", f"{A16} sec. 2.2"),
    Item("NormalMean", "log_partition", "1.69*theta1**2/2", "correct", f"{A16} sec. 2.2"),
    Item("NormalMean", "log_partition", "mu**2/(2*sigma**2)", "correct", f"{A16} sec. 2.2 (in the coordinate)"),
    Item("NormalMean", "log_partition", "theta1**2/2", "incorrect", f"{A16} sec. 2.2 (sigma forgotten)"),
    # -- Normal(mu, sigma)
    Item("Normal", "fisher_metric", NORMAL_METRIC, "correct", f"{AN00} sec. 2.2; {N20} sec. 3"),
    Item("Normal", "fisher_metric", "diag(sigma**-2, 2*sigma**-2)", "correct", f"{AN00} sec. 2.2"),
    Item("Normal", "fisher_metric", "Max(1/sigma**2, 1/(2*sigma**2))*Matrix([[1, 0], [0, 2]])", "correct",
         "non-smooth form of a smooth answer: Max(a, a/2) = a for a > 0 (no switching point in the domain)"),
    Item("Normal", "fisher_metric", "[[1/sigma**2, 0], [0, 1/sigma**2]]", "incorrect", f"{AN00} sec. 2.2 (the 2 forgotten)"),
    Item("Normal", "fisher_metric", _G(sp.Piecewise((0, _sigma < 3), (1, True))), "incorrect", "localised, non-smooth"),
    Item("Normal", "fisher_metric", _G(sp.Max(0, _sigma - 3)), "incorrect", "localised, non-smooth"),
    Item("Normal", "fisher_metric", "Matrix([[1/sigma**2 + Max(0, sigma - 3), 0], [0, 2/sigma**2]])", "incorrect", "localised, non-smooth"),
    Item("Normal", "fisher_metric", _G(sp.exp(-100 * _sigma)), "incorrect", "tiny except near sigma = 0"),
    Item("Normal", "fisher_metric", _G(sp.Integer(10) ** -25), "incorrect", "tiny constant"),
    Item("Normal", "fisher_metric", _G(_mu * sp.Integer(10) ** -22), "incorrect", "tiny"),
    Item("Normal", "fisher_metric", _G(sp.exp(-10**6 * (_sigma - 5) ** 2)), "incorrect", "a narrow bump at sigma = 5"),
    Item("Normal", "fisher_metric", _G(sp.Heaviside(_sigma - 10**9)), "incorrect",
         "non-smooth, switching beyond the sampled scales (found at its switching point)"),
    Item("Normal", "fisher_metric", _G(sp.Abs(_mu - 1) - (_mu - 1)), "incorrect", "non-smooth, zero for mu > 1"),
    Item("Normal", "fisher_metric", _G(sp.Piecewise((5, sp.Eq(_sigma, _mu**2 + 1)), (0, True))), "incorrect",
         "wrong only on the curve sigma = mu^2 + 1 (evaluated exactly on it)"),
    Item("Normal", "fisher_metric", _G(sp.Piecewise((0, _sigma < sp.pi), (0, _sigma > sp.pi), (7, True))), "incorrect",
         "wrong only at sigma = pi"),
    Item("Normal", "fisher_metric", _G(sp.Piecewise((0, _sigma < sp.pi), (0, True))), "correct",
         "a Piecewise whose pieces agree"),
    Item("Normal", "fisher_metric", "Matrix([[1/sigma**2 + floor(1/(1 + sigma**2)), 0], [0, 2/sigma**2]])", "correct",
         "non-smooth form of a smooth answer: sympy proves 0 < 1/(1 + sigma^2) < 1, so the floor is 0"),
    Item("Normal", "fisher_metric", "Matrix([[1/sigma**2 + floor(1/(2 + sin(mu))), 0], [0, 2/sigma**2]])", "undecided",
         "wrong only on the null set mu = -pi/2 + 2 k pi, where 1/(2 + sin(mu)) = 1",
         why="floor() switches wherever its argument crosses an integer; those points are not located, "
             "so a difference that vanishes at every sampled point is not enough for 'correct' (and here "
             "the answer is indeed wrong at mu = -pi/2)"),
    Item("Normal", "fisher_metric", "1/s**2", "malformed", "unknown symbol"),
    Item("Normal", "fisher_metric", "Matrix([[1/sigma**2, 0], [0, 2/sigma**2]]", "malformed", "unbalanced brackets"),
    Item("Normal", "fisher_metric", "[[1/sigma**2, 0, 0]]", "malformed", "wrong shape"),
    Item("Normal", "fisher_metric", "1/sigma^2", "malformed", "^ for a power"),
    Item("Normal", "christoffel", NORMAL_GAMMA2, "correct", f"{AN00} sec. 2.3 (Levi-Civita, [k, i, j] = Gamma^k_ij)"),
    Item("Normal", "christoffel", "[[[0, 1/(2*sigma)], [1/(2*sigma), 0]], [[-1/sigma, 0], [0, -1/sigma]]]", "incorrect",
         f"{AN00} sec. 2.3 (upper index last)"),
    Item("Normal", "amari_chentsov", NORMAL_T, "correct", f"{AN00} sec. 2.3 (T_112 = 2/sigma^3, T_222 = 8/sigma^3)"),
    Item("Normal", "amari_chentsov", "[[[0, 2/sigma**3], [2/sigma**3, 0]], [[2/sigma**3, 0], [0, 4/sigma**3]]]", "incorrect",
         f"{AN00} sec. 2.3"),
    Item("Normal", "scalar_curvature", "-1", "correct", f"{N20} sec. 3 (hyperbolic plane); {AN00} sec. 2.3"),
    Item("Normal", "scalar_curvature", "-1/2", "incorrect", f"{N20} sec. 3 (the Gaussian curvature)"),
    Item("Normal", "gaussian_curvature", "-1/2", "correct", f"{N20} sec. 3; {CU14} ch. 1"),
    Item("Normal", "scalar_curvature", "0", "correct", f"{AN00} sec. 2.3 (alpha = +-1: flat)", {"alpha": 1}),
    Item("Normal", "scalar_curvature", "-1", "incorrect", f"{AN00} sec. 2.3", {"alpha": 1}),
    Item("Normal", "scalar_curvature", "0", "correct", f"{AN00} sec. 2.3", {"alpha": -1}),
    Item("Normal", "scalar_curvature", "-3/4", "correct", f"{AN00} sec. 2.3 (-(1 - alpha^2))", {"alpha": "1/2"}),
    Item("Normal", "scalar_curvature", "-1", "incorrect", f"{AN00} sec. 2.3", {"alpha": "1/2"}),
    Item("Normal", "scalar_curvature", "alpha**2 - 1", "correct", f"{AN00} sec. 2.3 (symbolic alpha)"),
    Item("Normal", "scalar_curvature", "-(1 - alpha)*(1 + alpha)", "correct", f"{AN00} sec. 2.3", {"alpha": "alpha"}),
    Item("Normal", "scalar_curvature", "alpha - 1", "incorrect", f"{AN00} sec. 2.3"),
    Item("Normal", "natural_parameters", "[mu/sigma**2, -1/(2*sigma**2)]", "correct", f"{A16} sec. 2.2 (flat list)"),
    Item("Normal", "natural_parameters", "Matrix([[mu/sigma**2, -1/(2*sigma**2)]])", "correct", f"{A16} sec. 2.2 (row)"),
    Item("Normal", "natural_parameters", "[[mu/sigma**2], [-1/(2*sigma**2)]]", "correct", f"{A16} sec. 2.2 (column)"),
    Item("Normal", "natural_parameters", "[mu/sigma**2, 1/(2*sigma**2)]", "incorrect", f"{A16} sec. 2.2 (sign)"),
    Item("Normal", "log_partition", "-theta1**2/(4*theta2) + log(pi/(-theta2))/2", "correct", f"{A16} sec. 2.2; {N20} sec. 4"),
    Item("Normal", "log_partition", "mu**2/(2*sigma**2) + log(sqrt(2*pi)*sigma)", "correct", f"{A16} sec. 2.2 (coordinates)"),
    Item("Normal", "log_partition", "mu**2/(2*sigma**2) + log(pi/(-theta2))/2", "correct", f"{A16} sec. 2.2 (a mix of charts)"),
    Item("Normal", "log_partition", "-theta1**2/(4*theta2) + log(pi/(-theta2))", "incorrect", f"{A16} sec. 2.2 (factor 1/2)"),
    Item("Normal", "expectation_parameters", "[mu, mu**2 + sigma**2]", "correct", f"{A16} sec. 2.2 (E[x], E[x^2])"),
    Item("Normal", "expectation_parameters", "[-theta1/(2*theta2), theta1**2/(4*theta2**2) - 1/(2*theta2)]", "correct",
         f"{A16} sec. 2.2 (grad F in theta)"),
    Item("Normal", "expectation_parameters", "[mu, sigma**2]", "incorrect", f"{A16} sec. 2.2 (variance for E[x^2])"),
    Item("Normal", "dual_potential", "-log(eta2 - eta1**2)/2 - (1 + log(2*pi))/2", "correct", f"{A16} sec. 2.2; {N20} sec. 4"),
    Item("Normal", "dual_potential", "-log(sigma) - (1 + log(2*pi))/2", "correct", f"{A16} sec. 2.2 (negative entropy)"),
    Item("Normal", "dual_potential", "-log(eta2 - eta1**2)/2", "incorrect", f"{A16} sec. 2.2 (constant)"),
    Item("Normal", "kl_divergence", "log(sigma_2/sigma) + (sigma**2 + (mu - mu_2)**2)/(2*sigma_2**2) - 1/2", "correct",
         f"{N20} sec. 4"),
    Item("Normal", "kl_divergence", "log(sigma/sigma_2) + (sigma_2**2 + (mu - mu_2)**2)/(2*sigma**2) - 1/2", "incorrect",
         f"{N20} sec. 4 (the reverse KL)"),
    Item("Normal", "kl_divergence", "log(sigma_2/sigma) + (sigma**2 + (mu - mu_2)**2)/(2*sigma_2**2)", "incorrect",
         f"{N20} sec. 4 (the 1/2)"),
    Item("Normal", "inverse_metric", "diag(sigma**2, sigma**2/2)", "correct", f"{AN00} sec. 2.2 (Cramer-Rao bound)"),
    Item("Normal", "inverse_metric", "diag(sigma**2, 2*sigma**2)", "incorrect", f"{AN00} sec. 2.2"),
    # -- Gamma(a, b), shape and rate
    Item("Gamma", "fisher_metric", GAMMA_METRIC, "correct", f"{CU14} ch. 1"),
    Item("Gamma", "fisher_metric", "[[trigamma(a), -1/b], [-1/b, a/b**2]]", "correct", f"{CU14} ch. 1"),
    Item("Gamma", "fisher_metric", "[[polygamma(1, a + 1) + 1/a**2, -1/b], [-1/b, a/b**2]]", "correct",
         f"{CU14} ch. 1 (the recurrence psi1(a) = psi1(a+1) + 1/a^2)"),
    Item("Gamma", "fisher_metric", "[[polygamma(1, a), 1/b], [1/b, a/b**2]]", "incorrect", f"{CU14} ch. 1 (sign)"),
    Item("Gamma", "fisher_metric", "[[polygamma(1, a), -1/b], [-1/b, 1/b**2]]", "incorrect", f"{CU14} ch. 1"),
    Item("Gamma", "fisher_metric", "[[digamma(a), -1/b], [-1/b, a/b**2]]", "incorrect", f"{CU14} ch. 1 (psi for psi')"),
    Item("Gamma", "fisher_metric", "psi(1, a)", "malformed", "unknown function psi"),
    Item("Gamma", "natural_parameters", "[a - 1, -b]", "correct", f"{A16} sec. 2.2"),
    Item("Gamma", "log_partition", "loggamma(theta1 + 1) - (theta1 + 1)*log(-theta2)", "correct", f"{A16} sec. 2.2"),
    Item("Gamma", "log_partition", "loggamma(a) - a*log(b)", "correct", f"{A16} sec. 2.2 (coordinates)"),
    Item("Gamma", "log_partition", "log(gamma(a)) - a*log(b)", "correct", f"{A16} sec. 2.2"),
    Item("Gamma", "log_partition", "loggamma(a) + a*log(b)", "incorrect", f"{A16} sec. 2.2 (sign)"),
    Item("Gamma", "expectation_parameters", "[digamma(a) - log(b), a/b]", "correct", f"{A16} sec. 2.2 (E[log x], E[x])"),
    Item("Gamma", "expectation_parameters", "[polygamma(0, theta1 + 1) - log(-theta2), -(theta1 + 1)/theta2]", "correct",
         f"{A16} sec. 2.2"),
    Item("Gamma", "expectation_parameters", "[digamma(a) - log(b), a/b**2]", "incorrect", f"{A16} sec. 2.2 (variance)"),
    # -- Beta(a, b)
    Item("Beta", "fisher_metric", BETA_METRIC, "correct", f"{AN00} sec. 2.2; {CU14} ch. 1"),
    Item("Beta", "fisher_metric", "[[polygamma(1, a) - polygamma(1, a + b), -polygamma(1, a + b)],"
                                  " [-polygamma(1, a + b), polygamma(1, b) - polygamma(1, a + b)]]", "correct", f"{CU14} ch. 1"),
    Item("Beta", "fisher_metric", "[[trigamma(a) - trigamma(a + b), trigamma(a + b)],"
                                  " [trigamma(a + b), trigamma(b) - trigamma(a + b)]]", "incorrect", f"{CU14} ch. 1 (sign)"),
    Item("Beta", "fisher_metric", "diag(trigamma(a), trigamma(b))", "incorrect", f"{CU14} ch. 1"),
    Item("Beta", "natural_parameters", "[a - 1, b - 1]", "correct", f"{A16} sec. 2.2"),
    Item("Beta", "natural_parameters", "[a, b]", "incorrect", f"{A16} sec. 2.2 (log h absorbed)"),
    Item("Beta", "log_partition", "loggamma(a) + loggamma(b) - loggamma(a + b)", "correct", f"{A16} sec. 2.2"),
    Item("Beta", "log_partition", "log(beta(a, b))", "correct", f"{A16} sec. 2.2"),
    Item("Beta", "log_partition", "loggamma(theta1 + 1) + loggamma(theta2 + 1) - loggamma(theta1 + theta2 + 2)", "correct",
         f"{A16} sec. 2.2"),
    Item("Beta", "log_partition", "loggamma(a) + loggamma(b) - loggamma(a + b + 1)", "incorrect", f"{A16} sec. 2.2"),
    # -- Dirichlet(3)
    Item("Dirichlet(3)", "fisher_metric", DIRICHLET_METRIC, "correct", f"{CU14} ch. 1"),
    Item("Dirichlet(3)", "fisher_metric", "diag(polygamma(1, a1), polygamma(1, a2), polygamma(1, a3))", "incorrect",
         f"{CU14} ch. 1 (the -psi1(a0) terms)"),
    # -- Categorical(3), coordinates p1, p2
    Item("Categorical(3)", "fisher_metric", CAT_METRIC, "correct", f"{A16} ch. 3; {AN00} sec. 2.2"),
    Item("Categorical(3)", "fisher_metric", "diag(1/p1, 1/p2)", "incorrect", f"{A16} ch. 3 (p3 forgotten)"),
    Item("Categorical(3)", "scalar_curvature", "1/2", "correct", f"{A16} ch. 3 (a piece of the sphere of radius 2)"),
    Item("Categorical(3)", "scalar_curvature", "1/4", "incorrect", f"{A16} ch. 3 (the Gaussian curvature)"),
    Item("Categorical(3)", "gaussian_curvature", "1/4", "correct", f"{A16} ch. 3"),
    Item("Categorical(3)", "natural_parameters", "[log(p1/(1 - p1 - p2)), log(p2/(1 - p1 - p2))]", "correct", f"{A16} sec. 2.2"),
    Item("Categorical(3)", "log_partition", "log(1 + exp(theta1) + exp(theta2))", "correct", f"{A16} sec. 2.2"),
    Item("Categorical(3)", "log_partition", "-log(1 - p1 - p2)", "correct", f"{A16} sec. 2.2 (coordinates)"),
    Item("Categorical(3)", "expectation_parameters", "[p1, p2]", "correct", f"{A16} sec. 2.2"),
    Item("Categorical(3)", "expectation_parameters",
         "[exp(theta1)/(1 + exp(theta1) + exp(theta2)), exp(theta2)/(1 + exp(theta1) + exp(theta2))]", "correct",
         f"{A16} sec. 2.2 (softmax)"),
    Item("Categorical(3)", "expectation_parameters",
         "[exp(theta1)/(exp(theta1) + exp(theta2)), exp(theta2)/(exp(theta1) + exp(theta2))]", "incorrect",
         f"{A16} sec. 2.2 (the reference category forgotten)"),
    # -- InverseGaussian(mu, lam)
    Item("InverseGaussian", "fisher_metric", "diag(lam/mu**3, 1/(2*lam**2))", "correct", f"{CU14} ch. 1"),
    Item("InverseGaussian", "fisher_metric", "diag(lam/mu**2, 1/(2*lam**2))", "incorrect", f"{CU14} ch. 1"),
    Item("InverseGaussian", "fisher_metric", "1/lambda", "malformed", "unknown symbol lambda (the coordinate is lam)"),
    Item("InverseGaussian", "scalar_curvature", "-1", "correct", f"{CU14} ch. 1"),
    Item("InverseGaussian", "scalar_curvature", "0", "incorrect", f"{CU14} ch. 1"),
    Item("InverseGaussian", "natural_parameters", "[-lam/(2*mu**2), -lam/2]", "correct", f"{A16} sec. 2.2"),
    Item("InverseGaussian", "log_partition", "-2*sqrt(theta1*theta2) - log(-2*theta2)/2 + log(2*pi)/2", "correct",
         f"{A16} sec. 2.2"),
    Item("InverseGaussian", "log_partition", "-lam/mu - log(lam)/2 + log(2*pi)/2", "correct", f"{A16} sec. 2.2 (coordinates)"),
    Item("InverseGaussian", "log_partition", "lam/mu - log(lam)/2 + log(2*pi)/2", "incorrect", f"{A16} sec. 2.2 (sign)"),
    # -- LogNormal(mu, sigma): the normal geometry
    Item("LogNormal", "fisher_metric", "diag(1/sigma**2, 2/sigma**2)", "correct", f"{CU14} ch. 1"),
    Item("LogNormal", "fisher_metric", "diag(1/sigma**2, 1/sigma**2)", "incorrect", f"{CU14} ch. 1"),
    Item("LogNormal", "scalar_curvature", "-1", "correct", f"{CU14} ch. 1"),
    Item("LogNormal", "kl_divergence", "log(sigma_2/sigma) + (sigma**2 + (mu - mu_2)**2)/(2*sigma_2**2) - 1/2", "correct",
         f"{N20} sec. 4 (KL is invariant under x -> log x)"),
    # -- Cauchy(x0, gamma): a hyperbolic plane
    Item("Cauchy", "fisher_metric", "diag(1/(2*gamma**2), 1/(2*gamma**2))", "correct", f"{N20} sec. 3"),
    Item("Cauchy", "fisher_metric", "diag(1/gamma**2, 1/gamma**2)", "incorrect", f"{N20} sec. 3"),
    Item("Cauchy", "scalar_curvature", "-4", "correct", f"{N20} sec. 3 (Gaussian curvature -2)"),
    Item("Cauchy", "scalar_curvature", "-1", "incorrect", f"{N20} sec. 3"),
    Item("Cauchy", "gaussian_curvature", "-2", "correct", f"{N20} sec. 3"),
    # -- StudentT(mu, sigma), nu = 4.5 known
    Item("StudentT", "fisher_metric", "diag((nu + 1)/((nu + 3)*sigma**2), 2*nu/((nu + 3)*sigma**2))", "correct",
         f"{CU14} ch. 1"),
    Item("StudentT", "fisher_metric", "diag(5.5/(7.5*sigma**2), 9/(7.5*sigma**2))", "correct", f"{CU14} ch. 1 (nu = 4.5)"),
    Item("StudentT", "fisher_metric", "diag(1/sigma**2, 2/sigma**2)", "incorrect", f"{CU14} ch. 1 (the normal limit)"),
    # -- Laplace(mu), b = 1.5 known
    Item("Laplace", "fisher_metric", "1/b**2", "correct", f"{CU14} ch. 1"),
    Item("Laplace", "fisher_metric", "4/9", "correct", f"{CU14} ch. 1 (b = 1.5)"),
    Item("Laplace", "fisher_metric", "1/(2*b**2)", "incorrect", f"{CU14} ch. 1 (the variance 2 b^2)"),
    # -- VonMises(mu, kappa), A = I1/I0
    Item("VonMises", "fisher_metric", VM_METRIC, "correct", f"{CU14} ch. 1"),
    Item("VonMises", "fisher_metric", "diag(kappa, 1/(2*kappa**2))", "incorrect", f"{CU14} ch. 1 (the large-kappa limit)"),
    Item("VonMises", "natural_parameters", "[kappa*cos(mu), kappa*sin(mu)]", "correct", f"{A16} sec. 2.2"),
    Item("VonMises", "log_partition", "log(2*pi*besseli(0, kappa))", "correct", f"{A16} sec. 2.2 (coordinates)"),
    Item("VonMises", "log_partition", "log(2*pi*besseli(0, sqrt(theta1**2 + theta2**2)))", "correct", f"{A16} sec. 2.2"),
    Item("VonMises", "log_partition", "log(besseli(0, kappa))", "incorrect", f"{A16} sec. 2.2 (the 2 pi)"),
    # -- MultivariateNormal(2): mu1, mu2, sigma11, sigma21, sigma22 (covariance entries)
    Item("MultivariateNormal(2)", "log_partition",
         f"(mu1**2*sigma22 - 2*mu1*mu2*sigma21 + mu2**2*sigma11)/(2*{MVN_DET}) + log({MVN_DET})/2 + log(2*pi)", "correct",
         f"{A16} sec. 2.2 (F = mu' Sigma^-1 mu / 2 + log det Sigma / 2 + log 2 pi)"),
    Item("MultivariateNormal(2)", "dual_potential", MVN_DUAL, "correct", f"{A16} sec. 2.2; {N20} sec. 4 (F* = -H - ...)"),
    Item("MultivariateNormal(2)", "dual_potential", f"-log({MVN_DET})/2 - 1 - log(2*pi)", "correct",
         f"{A16} sec. 2.2 (the negative entropy, in the coordinates)"),
    Item("MultivariateNormal(2)", "dual_potential", MVN_DUAL + " + 10**-30*eta1", "incorrect", "tiny"),
]

#: Families whose derivations take seconds: the suite marks their items slow.
SLOW_FAMILIES = {"MultivariateNormal(2)", "Cauchy", "Laplace"}
