"""The course's exercises, in one place: statements, sources, worked solutions and answers.

Each chapter page, the printable ``exercises`` page and the ``solutions`` page read this
list; every answer is verified with ``M.check(quantity, answer)`` while the site is built, so
a wrong answer (or a change in the toolkit that makes it wrong) fails the build. Answers are
strings read by the toolkit's safe parser, as a student's would be.
"""
from dataclasses import dataclass
from typing import Callable

import sympy as sp

from manifolds import Bernoulli, Categorical, LogNormal, Neuron, Normal, Poisson, StatisticalManifold
from symbolic.model import SampleSpace, StatisticalModel, parameter

AMARI_2016 = "S. Amari, *Information Geometry and Its Applications*, Springer 2016"
AMARI_NAGAOKA_2000 = "S. Amari and H. Nagaoka, *Methods of Information Geometry*, AMS/Oxford 2000"
NIELSEN_2020 = "F. Nielsen, \"An elementary introduction to information geometry\", *Entropy* 22(10):1100, 2020"
CALIN_UDRISTE_2014 = "O. Calin and C. Udrişte, *Geometric Modeling in Probability and Statistics*, Springer 2014"
SUN_NIELSEN_2017 = ("K. Sun and F. Nielsen, \"Relative Fisher information and natural gradient for "
                    "learning large modular models\", ICML 2017")


@dataclass(frozen=True)
class Exercise:
    """One exercise: ``manifold()`` builds the manifold, ``quantity`` names what ``check`` derives
    (a name of :meth:`manifolds.StatisticalManifold.quantity` or a function of the manifold).
    """

    chapter: int
    title: str
    source: str
    statement: str
    solution: str
    manifold: Callable[[], StatisticalManifold]
    quantity: object
    answer: str

    def check(self):
        """The toolkit's verdict on the answer."""
        return self.manifold().check(self.quantity, self.answer)


def rayleigh():
    """A Rayleigh-type density p(x; a) = 2x/a^2 exp(-x^2/a^2) on x > 0, declared by hand."""
    a = parameter("a", 0, typical=(0.5, 3))
    x = sp.Symbol("x", positive=True)
    s = a.symbol
    model = StatisticalModel("Rayleigh", [a], SampleSpace.interval(x, 0, sp.oo),
                             sp.log(2 * x / s**2) - x**2 / s**2)
    return StatisticalManifold(model)


def _log_sigma_normal():
    M = Normal()
    mu, sigma = M.coordinates
    s = sp.Symbol("s", real=True)
    return M.reparametrize({mu: mu, sigma: sp.exp(s)}, [mu, s])


def _natural_gradient(loss):
    """The natural gradient g^{-1} dL of a loss written with the manifold's symbols."""
    def quantity(M):
        names = M.symbols()
        L = loss(names)
        grad = sp.Matrix([sp.diff(L, c) for c in M.coordinates])
        return sp.simplify(M.inverse_metric() * grad)
    return quantity


def _arc_length_1d(M):
    """The Fisher-Rao distance from the point to the second point of a 1-d family (y > x)."""
    (c,), (c2,) = M.coordinates, M.model.second_point()
    t = sp.Dummy("t", positive=True)
    return sp.integrate(sp.sqrt(M.fisher_metric()[0, 0]).subs(c, t), (t, c, c2))


EXERCISES = [
    # 1. Statistical models and the Fisher metric ------------------------------------------------
    Exercise(1, "Fisher information of the Poisson family", f"{CALIN_UDRISTE_2014}, ch. 1 (cf. {AMARI_2016}, ch. 2)",
             r"Compute the Fisher information $g(\lambda)$ of $p(x;\lambda) = e^{-\lambda}\lambda^x/x!$, "
             r"$x \in \{0, 1, \dots\}$, as a $1\times 1$ matrix.",
             r"The score is $\partial_\lambda \ell = x/\lambda - 1$, so "
             r"$g = E[(x/\lambda - 1)^2] = \operatorname{Var}(x)/\lambda^2 = 1/\lambda$.",
             Poisson, "fisher_metric", "Matrix([[1/lam]])"),
    Exercise(1, "The Fisher metric of the Normal family", f"{AMARI_NAGAOKA_2000}, ch. 2 (cf. {NIELSEN_2020}, sec. 3)",
             r"Compute the Fisher metric of $N(\mu, \sigma^2)$ in the coordinates $(\mu, \sigma)$.",
             r"With $\ell = -\log\sigma - (x-\mu)^2/(2\sigma^2) + \text{const}$, "
             r"$-E[\partial_\mu^2\ell] = 1/\sigma^2$, $-E[\partial_\mu\partial_\sigma\ell] = 2E[x-\mu]/\sigma^3 = 0$ and "
             r"$-E[\partial_\sigma^2\ell] = -1/\sigma^2 + 3E[(x-\mu)^2]/\sigma^4 = 2/\sigma^2$: "
             r"$g = \operatorname{diag}(1/\sigma^2, 2/\sigma^2)$.",
             Normal, "fisher_metric", "Matrix([[1/sigma**2, 0], [0, 2/sigma**2]])"),
    Exercise(1, "Invariance under reparametrisation", f"{AMARI_2016}, ch. 3",
             r"Write $\sigma = e^{s}$. Using the transformation rule $\tilde g = J^\top g J$ with "
             r"$J = \partial(\mu, \sigma)/\partial(\mu, s)$, give the Fisher metric of the Normal family in $(\mu, s)$.",
             r"$J = \operatorname{diag}(1, e^{s})$, so $\tilde g = \operatorname{diag}(e^{-2s}, 2e^{-2s}e^{2s}) "
             r"= \operatorname{diag}(e^{-2s}, 2)$: the same metric the score route gives in the new coordinates.",
             _log_sigma_normal, "fisher_metric", "Matrix([[exp(-2*s), 0], [0, 2]])"),
    Exercise(1, "The Cramér-Rao bound for a coin", f"{AMARI_2016}, ch. 7 (cf. {CALIN_UDRISTE_2014}, ch. 1)",
             r"An unbiased estimator of $p$ from one Bernoulli draw has variance at least $g(p)^{-1}$. "
             r"Compute this bound (the inverse metric) and compare it with the variance of $\hat p = x$.",
             r"$g(p) = 1/p + 1/(1-p) = 1/(p(1-p))$, so the bound is $p(1-p)$, which is "
             r"$\operatorname{Var}(x)$: the estimator $\hat p = x$ is efficient.",
             Bernoulli, "inverse_metric", "Matrix([[p*(1 - p)]])"),
    # 2. Exponential families and Legendre duality ------------------------------------------------
    Exercise(2, "The Bernoulli log-partition", f"{NIELSEN_2020}, sec. 3 (cf. {AMARI_2016}, ch. 2)",
             r"Write the Bernoulli family as an exponential family $p(x;\theta) = \exp(\theta x - F(\theta))$ "
             r"and give $F(\theta)$.",
             r"$p^x(1-p)^{1-x} = \exp(x\log\frac{p}{1-p} + \log(1-p))$, so $\theta = \log\frac{p}{1-p}$, "
             r"$1 - p = 1/(1 + e^\theta)$ and $F(\theta) = \log(1 + e^{\theta})$.",
             Bernoulli, "log_partition", "log(1 + exp(theta1))"),
    Exercise(2, "Fisher = Hessian of the log-partition", f"{AMARI_2016}, ch. 2 (cf. {NIELSEN_2020}, sec. 3)",
             r"In the natural parameter $\theta = \log\lambda$ of the Poisson family, compute "
             r"$g(\theta) = F''(\theta)$.",
             r"$F(\theta) = e^{\theta}$, so $g(\theta) = F''(\theta) = e^{\theta}$. The metric in $\lambda$ transforms "
             r"to the same: $g_\theta = g_\lambda (d\lambda/d\theta)^2 = \lambda^{-1}\lambda^2 = \lambda = e^\theta$.",
             lambda: Poisson().in_chart("natural"), "fisher_metric", "Matrix([[exp(theta1)]])"),
    Exercise(2, "The Bernoulli natural gradient", f"{AMARI_2016}, ch. 12 (cf. {NIELSEN_2020}, sec. 4)",
             r"For the loss $L(p) = -\log p$ (the negative log-likelihood of observing $x = 1$), compute the "
             r"natural gradient $g(p)^{-1} L'(p)$.",
             r"$L'(p) = -1/p$ and $g^{-1} = p(1-p)$, so the natural gradient is $-(1-p) = p - 1$: "
             r"bounded, where the plain gradient $-1/p$ blows up near $p = 0$.",
             Bernoulli, _natural_gradient(lambda s: -sp.log(s["p"])), "Matrix([[p - 1]])"),
    Exercise(2, "The dual potential and KL as a Bregman divergence", f"{AMARI_2016}, ch. 2 (cf. {NIELSEN_2020}, sec. 3)",
             r"For the Poisson family, compute the dual potential $F^*(\eta) = \theta\eta - F(\theta)$ in the "
             r"expectation parameter $\eta = F'(\theta)$.",
             r"$\eta = e^\theta$, $\theta = \log\eta$, so $F^*(\eta) = \eta\log\eta - \eta$. Its Bregman divergence "
             r"is $\mathrm{KL}(p_\lambda\,\|\,p_{\lambda_2}) = \lambda\log(\lambda/\lambda_2) - \lambda + \lambda_2$.",
             Poisson, "dual_potential", "eta1*log(eta1) - eta1"),
    Exercise(2, "KL divergence of two Poisson laws", f"{NIELSEN_2020}, sec. 3",
             r"Compute $\mathrm{KL}(p_\lambda\,\|\,p_{\lambda_2})$ in closed form (second point $\lambda_2$).",
             r"$E_\lambda[\log\frac{p_\lambda}{p_{\lambda_2}}] = E[x]\log\frac{\lambda}{\lambda_2} - \lambda + \lambda_2 "
             r"= \lambda\log\frac{\lambda}{\lambda_2} - \lambda + \lambda_2$.",
             Poisson, "kl_divergence", "lam*log(lam/lam_2) - lam + lam_2"),
    # 3. Connections ----------------------------------------------------------------------------
    Exercise(3, "Levi-Civita connection of the Normal family", f"{CALIN_UDRISTE_2014}, ch. 1 (cf. {AMARI_NAGAOKA_2000}, ch. 1)",
             r"Compute $\Gamma^{\sigma}_{\mu\mu}$ for the Fisher metric $\operatorname{diag}(1/\sigma^2, 2/\sigma^2)$.",
             r"$\Gamma_{\mu\mu,\sigma} = -\tfrac12\partial_\sigma g_{\mu\mu} = 1/\sigma^3$ and "
             r"$g^{\sigma\sigma} = \sigma^2/2$, so $\Gamma^\sigma_{\mu\mu} = 1/(2\sigma)$.",
             Normal, lambda M: M.christoffel()[1, 0, 0], "1/(2*sigma)"),
    Exercise(3, "The Amari-Chentsov tensor of the Poisson family", f"{AMARI_NAGAOKA_2000}, ch. 2",
             r"Compute $T_{\lambda\lambda\lambda} = E[(\partial_\lambda\ell)^3]$.",
             r"$\partial_\lambda \ell = (x - \lambda)/\lambda$ and the third central moment of a Poisson law is "
             r"$\lambda$, so $T = \lambda/\lambda^3 = 1/\lambda^2$.",
             Poisson, lambda M: M.amari_chentsov()[0, 0, 0], "1/lam**2"),
    Exercise(3, "The e-connection of a coin", f"{AMARI_NAGAOKA_2000}, ch. 2",
             r"For the Bernoulli family in the coordinate $p$, compute $\Gamma^{(1)}_{pp,p} = \Gamma_{pp,p} - \tfrac12 T_{ppp}$.",
             r"$g = 1/(p(1-p))$ gives $\Gamma_{pp,p} = \tfrac12 g'(p) = (2p-1)/(2p^2(1-p)^2)$, and "
             r"$T_{ppp} = p\cdot p^{-3} - (1-p)(1-p)^{-3} = (1-2p)/(p^2(1-p)^2)$, so "
             r"$\Gamma^{(1)}_{pp,p} = (2p-1)/(p^2(1-p)^2)$.",
             Bernoulli, lambda M: M.alpha_connection(1)[0, 0, 0], "(2*p - 1)/(p**2*(1 - p)**2)"),
    Exercise(3, "Dual flatness: e-flat in θ", f"{AMARI_2016}, ch. 6 (cf. {NIELSEN_2020}, sec. 3)",
             r"Show that the e-connection ($\alpha = 1$) of the Poisson family vanishes in its natural "
             r"coordinate $\theta = \log\lambda$: compute $\Gamma^{(1)}_{\theta\theta,\theta}$.",
             r"In $\theta$, $\ell = \theta x - e^\theta + \text{const}$, so $\partial_\theta^2\ell = -e^\theta$ is not random "
             r"and $\Gamma^{(1)}_{\theta\theta,\theta} = E[\partial^2_\theta\ell\,\partial_\theta\ell] = -e^\theta E[\partial_\theta\ell] = 0$.",
             lambda: Poisson().in_chart("natural"), lambda M: M.alpha_connection(1)[0, 0, 0], "0"),
    # 4. Curvature ------------------------------------------------------------------------------
    Exercise(4, "The Normal family is hyperbolic", f"{AMARI_NAGAOKA_2000}, ch. 2 (cf. {CALIN_UDRISTE_2014}, ch. 1)",
             r"Compute the Gaussian curvature of the Fisher metric $\operatorname{diag}(1/\sigma^2, 2/\sigma^2)$.",
             r"With $u = \mu/\sqrt 2$ the metric is $2(du^2 + d\sigma^2)/\sigma^2$, twice the Poincaré half-plane "
             r"metric of curvature $-1$; scaling a metric by 2 divides the curvature by 2: $K = -1/2$.",
             Normal, "gaussian_curvature", "-1/2"),
    Exercise(4, "The α-curvature of the Normal family", f"{AMARI_NAGAOKA_2000}, ch. 2",
             r"Compute the scalar curvature of the $\alpha$-connection of the Normal family at $\alpha = 1/2$.",
             r"The scalar $\alpha$-curvature of the Normal family is $-(1 - \alpha^2)$ (computed below for symbolic "
             r"$\alpha$); at $\alpha = 1/2$ it is $-3/4$. At $\alpha = \pm 1$ it vanishes: the family is "
             r"e- and m-flat.",
             Normal, lambda M: M.scalar_curvature(alpha=sp.Rational(1, 2)), "-3/4"),
    Exercise(4, "The categorical simplex is a sphere", f"{AMARI_2016}, ch. 2 (cf. {NIELSEN_2020}, sec. 3)",
             r"Compute the Gaussian curvature of the family of distributions on three outcomes, "
             r"coordinates $(p_1, p_2)$.",
             r"With $p_i = \xi_i^2/4$ the Fisher metric becomes the Euclidean metric on the sphere "
             r"$\sum\xi_i^2 = 4$ of radius 2: $K = 1/4$.",
             lambda: Categorical(3), "gaussian_curvature", "1/4"),
    Exercise(4, "Curvature does not see the sample space's coordinates", f"{AMARI_2016}, ch. 3",
             r"$\log x$ is Normal when $x$ is LogNormal. What is the Gaussian curvature of the LogNormal family?",
             r"The Fisher metric is invariant under a bijection of the sample space, so the LogNormal family has "
             r"the Normal family's metric and curvature, $-1/2$.",
             LogNormal, "gaussian_curvature", "-1/2"),
    # 5. Geodesics and Fisher-Rao distances -------------------------------------------------------
    Exercise(5, "Fisher-Rao distance of two Poisson laws", f"{CALIN_UDRISTE_2014}, ch. 1 (cf. {NIELSEN_2020}, sec. 3)",
             r"In one dimension the distance is the length $\int\sqrt{g}$. Compute it from $\lambda$ to "
             r"$\lambda_2 > \lambda$.",
             r"$\int_\lambda^{\lambda_2} \lambda'^{-1/2}\,d\lambda' = 2\sqrt{\lambda_2} - 2\sqrt{\lambda}$.",
             Poisson, _arc_length_1d, "2*sqrt(lam_2) - 2*sqrt(lam)"),
    Exercise(5, "Fisher-Rao distance of two coins", f"{AMARI_2016}, ch. 2 (cf. {NIELSEN_2020}, sec. 3)",
             r"Compute the Fisher-Rao distance from $p$ to $p_2 > p$ on the Bernoulli family.",
             r"$\int_p^{p_2} dq/\sqrt{q(1-q)} = 2\arcsin\sqrt{p_2} - 2\arcsin\sqrt{p}$ (substitute $q = \sin^2 u$).",
             Bernoulli, _arc_length_1d, "2*asin(sqrt(p_2)) - 2*asin(sqrt(p))"),
    Exercise(5, "Distance along a vertical Normal geodesic", f"{CALIN_UDRISTE_2014}, ch. 1 (cf. {NIELSEN_2020}, sec. 3)",
             r"The lines $\mu = $ const are geodesics of the Normal family. Compute the length from $\sigma$ to "
             r"$\sigma_2 > \sigma$ along one.",
             r"$\int_\sigma^{\sigma_2}\sqrt{2}/s\,ds = \sqrt 2\log(\sigma_2/\sigma)$.",
             Normal, lambda M: sp.integrate(sp.sqrt(M.fisher_metric()[1, 1]), (M.coordinates[1], M.coordinates[1],
                                                                             M.model.second_point()[1])),
             "sqrt(2)*log(sigma_2/sigma)"),
    # 6. Natural gradient and mirror descent ------------------------------------------------------
    Exercise(6, "Natural gradient of a Poisson likelihood", f"{AMARI_2016}, ch. 12",
             r"For one observation $x$, the negative log-likelihood is $L(\lambda) = \lambda - x\log\lambda + \log x!$. "
             r"Compute its natural gradient.",
             r"$L' = 1 - x/\lambda$ and $g^{-1} = \lambda$, so $g^{-1}L' = \lambda - x$: a natural-gradient step "
             r"of size 1 lands on the maximum-likelihood estimate $x$.",
             Poisson, _natural_gradient(lambda s: s["lam"] - s["x"] * sp.log(s["lam"])), "Matrix([[lam - x]])"),
    Exercise(6, "Natural gradient of a Normal likelihood", f"{AMARI_2016}, ch. 12 (cf. {NIELSEN_2020}, sec. 4)",
             r"For one observation $x$, $L(\mu,\sigma) = \log\sigma + (x-\mu)^2/(2\sigma^2)$. Compute its natural gradient.",
             r"$\nabla L = (-(x-\mu)/\sigma^2,\ 1/\sigma - (x-\mu)^2/\sigma^3)$ and $g^{-1} = \operatorname{diag}(\sigma^2, \sigma^2/2)$, "
             r"so $g^{-1}\nabla L = (\mu - x,\ (\sigma^2 - (x-\mu)^2)/(2\sigma))$.",
             Normal, _natural_gradient(lambda s: sp.log(s["sigma"]) + (s["x"] - s["mu"]) ** 2 / (2 * s["sigma"] ** 2)),
             "Matrix([[mu - x], [(sigma**2 - (x - mu)**2)/(2*sigma)]])"),
    Exercise(6, "Mirror descent and the dual metric", f"{NIELSEN_2020}, sec. 4 (cf. {AMARI_2016}, ch. 2)",
             r"Mirror descent with the mirror map $\nabla F^*$ is natural gradient descent in the dual coordinates. "
             r"Compute the Fisher metric of the Poisson family in its expectation parameter $\eta = \lambda$ "
             r"and compare it with $(F^*)''(\eta)$.",
             r"$F^*(\eta) = \eta\log\eta - \eta$ gives $(F^*)'' = 1/\eta$, the Fisher metric in $\eta = \lambda$.",
             lambda: Poisson().in_chart("expectation"), "fisher_metric", "Matrix([[1/eta1]])"),
    # 7. Stochastic neurons and the relative Fisher information ------------------------------------
    Exercise(7, "RFIM of a tanh neuron with ±1 output", f"{SUN_NIELSEN_2017}, sec. 3.1",
             r"A neuron with one input $x = 2$, weights $(w_1, b)$, $h = 2w_1 + b$, emits $y \in \{-1, 1\}$ with mean "
             r"$\tanh h$. Compute its relative Fisher information metric.",
             r"$\nu = f'(h)^2 I(f(h))$ with $I(\mu) = 1/(1-\mu^2)$ for a $\pm1$ output: $\nu = (1-\tanh^2 h)^2/(1 - \tanh^2 h) "
             r"= 1 - \tanh^2 h$, and $g = \nu\,\tilde x\tilde x^\top$ with $\tilde x = (2, 1)$.",
             lambda: Neuron("tanh", "symmetric", d=1, x=[2]), "fisher_metric",
             "(1 - tanh(2*w1 + b)**2)*Matrix([[4, 2], [2, 1]])"),
    Exercise(7, "RFIM of a sigmoid neuron", f"{SUN_NIELSEN_2017}, sec. 3.1",
             r"Same neuron with input $x = 1$ and a Bernoulli output of mean $\sigma(h) = 1/(1+e^{-h})$, $h = w_1 + b$.",
             r"$I(\mu) = 1/(\mu(1-\mu))$ and $\sigma' = \sigma(1-\sigma)$, so $\nu = \sigma(h)(1-\sigma(h))$ and "
             r"$g = \nu\,\tilde x\tilde x^\top$ with $\tilde x = (1, 1)$.",
             lambda: Neuron("sigmoid", "bernoulli", d=1, x=[1]), "fisher_metric",
             "exp(-(w1 + b))/(1 + exp(-(w1 + b)))**2*Matrix([[1, 1], [1, 1]])"),
    Exercise(7, "RFIM of a linear Gaussian neuron", f"{SUN_NIELSEN_2017}, sec. 3.2",
             r"A linear neuron with input $x_1$ and Gaussian output $y \sim N(w_1x_1 + b, \sigma^2)$. Compute its RFIM.",
             r"$f' = 1$ and $I(\mu) = 1/\sigma^2$: $g = \tilde x\tilde x^\top/\sigma^2$ with $\tilde x = (x_1, 1)$; "
             r"it does not depend on the weights.",
             lambda: Neuron("linear", "gaussian", d=1), "fisher_metric",
             "Matrix([[x1**2, x1], [x1, 1]])/sigma**2"),
    # 8. Your own model ------------------------------------------------------------------------
    Exercise(8, "A Rayleigh-type model declared by hand", f"{CALIN_UDRISTE_2014}, ch. 1",
             r"Declare $p(x; a) = \frac{2x}{a^2}e^{-x^2/a^2}$ on $x > 0$ and compute its Fisher information.",
             r"$\partial_a\ell = -2/a + 2x^2/a^3$ and $E[x^2] = a^2$, so $-E[\partial_a^2\ell] = -2/a^2 + 6E[x^2]/a^4 = 4/a^2$.",
             rayleigh, "fisher_metric", "Matrix([[4/a**2]])"),
    Exercise(8, "The same model in a new coordinate", f"{AMARI_2016}, ch. 3",
             r"Reparametrise the Rayleigh-type model by $a = e^{u}$. What is the Fisher information in $u$?",
             r"$g_u = g_a (da/du)^2 = 4e^{-2u}e^{2u} = 4$: in $u$ the model is flat with constant metric.",
             lambda: rayleigh().reparametrize({rayleigh().coordinates[0]: sp.exp(sp.Symbol("u", real=True))},
                                               [sp.Symbol("u", real=True)]),
             "fisher_metric", "Matrix([[4]])"),
    Exercise(8, "Its Fisher-Rao distance", f"{CALIN_UDRISTE_2014}, ch. 1",
             r"Compute the Fisher-Rao distance of the Rayleigh-type model from $a$ to $a_2 > a$.",
             r"$\int_a^{a_2} 2/s\,ds = 2\log(a_2/a)$.",
             rayleigh, _arc_length_1d, "2*log(a_2/a)"),
]


def by_chapter(chapter):
    """The exercises of one chapter, in order."""
    return [e for e in EXERCISES if e.chapter == chapter]


def markdown(exercises, solutions=True, verdicts=None):
    """The exercises as MyST markdown (statements, sources, and optionally the worked solutions
    with the answer and the toolkit's verdict).
    """
    parts = []
    for k, e in enumerate(exercises):
        number = f"{e.chapter}.{by_chapter(e.chapter).index(e) + 1}"
        parts.append(f"**Exercise {number}** ({e.title}). {e.statement}\n\n*Source:* {e.source}.\n")
        if solutions:
            verdict = verdicts[k] if verdicts is not None else e.check()
            state = "verified by `check()`" if bool(verdict) else f"REJECTED by `check()`: {verdict!r}"
            parts.append(f":::{{admonition}} Solution {number}\n:class: tip\n\n{e.solution}\n\n"
                         f"Answer given to `check()`: `{e.answer}`, {state}.\n:::\n")
    return "\n".join(parts)


def verify(exercises):
    """Check every answer; raise if one is not accepted (this fails the site's build)."""
    verdicts = [e.check() for e in exercises]
    for e, verdict in zip(exercises, verdicts, strict=True):
        assert bool(verdict) and verdict.decided, f"exercise {e.chapter} ({e.title}): {verdict!r}"
    return verdicts
