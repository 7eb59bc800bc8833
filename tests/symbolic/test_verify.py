"""The grader (issue 11, part A): right both ways.

Each finding of the issue is a regression test here; the answer/verdict table is
``tests/symbolic/grading``. Closed forms are cited where they are used: the Normal family's
metric diag(1/sigma^2, 2/sigma^2) and alpha-curvature -(1 - alpha^2) (Amari & Nagaoka 2000,
sec. 2.3), the exponential-family potentials (Amari 2016, sec. 2.2).
"""
from __future__ import annotations

import functools

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from manifolds import Bernoulli, Exponential, Gamma, InverseGaussian, MultivariateNormal, Normal, Poisson
from manifolds.catalog import CATALOG
from symbolic.errors import AnswerError
from symbolic.verify import CheckResult, check_answer

from ..support import examples

NORMAL = Normal()
MU, SIGMA = NORMAL.coordinates


def metric_plus(extra):
    return sp.Matrix([[1 / SIGMA**2 + extra, 0], [0, 2 / SIGMA**2]])


# -- correct answers in any chart ----------------------------------------------------------

@pytest.mark.parametrize("M, quantity, answer", [
    (Bernoulli(), "dual_potential", "eta1*log(eta1)+(1-eta1)*log(1-eta1)"),
    (NORMAL, "log_partition", "-theta1**2/(4*theta2) + log(pi/(-theta2))/2"),
    (Exponential(), "log_partition", "log(-1/theta1)"),
    # the textbook F*(eta) = -1/2 log det(Cov) - (d/2)(1 + log 2 pi), Cov = E[xx'] - E[x]E[x]'
    pytest.param(MultivariateNormal(2), "dual_potential",
                 "-log((eta3 - eta1**2)*(eta5 - eta2**2) - (eta4 - eta1*eta2)**2)/2 - 1 - log(2*pi)",
                 marks=pytest.mark.slow),
    (NORMAL, "expectation_parameters", "[mu, mu**2+sigma**2]"),
])
def test_findings_correct_answers_in_natural_and_expectation_charts(M, quantity, answer):
    verdict = M.check(quantity, answer, timeout=60)  # the verdict, not the machine's load
    assert verdict and verdict.decided and verdict.verdict == "correct", verdict


@pytest.mark.parametrize("answer", ["[mu, mu**2+sigma**2]", "Matrix([[mu, mu**2+sigma**2]])",
                                    "[[mu], [mu**2+sigma**2]]", [MU, MU**2 + SIGMA**2]])
def test_vectors_in_every_natural_shape(answer):
    assert NORMAL.check("expectation_parameters", answer)


def test_one_entry_quantities_take_a_scalar():
    B = Bernoulli()
    p, = B.coordinates
    assert B.check("fisher_metric", "1/(p*(1-p))")
    # T = E[l'^3] = 1/p^2 - 1/(1-p)^2 (Amari & Nagaoka 2000, sec. 2.3)
    assert B.check("amari_chentsov", "(1 - 2*p)/(p**2*(1-p)**2)")
    assert B.check("amari_chentsov", 1 / p**2 - 1 / (1 - p) ** 2)
    with pytest.raises(AnswerError, match="shape"):
        NORMAL.check("fisher_metric", "[1/sigma**2, 2/sigma**2, 0, 0]")


# -- wrong answers are never correct --------------------------------------------------------

@pytest.mark.parametrize("extra", [
    sp.Piecewise((0, SIGMA < 3), (1, True)),
    sp.Max(0, SIGMA - 3),
    sp.exp(-100 * SIGMA),
    sp.Integer(10) ** -25,
    MU * sp.Integer(10) ** -22,
    sp.Heaviside(SIGMA - 10**9),           # switches beyond every sampled scale
    sp.exp(-10**6 * (SIGMA - 5) ** 2),      # a narrow bump
    sp.sin(MU) * sp.Integer(10) ** -200,    # far below double precision
    # wrong only on a null set: the switching point itself is evaluated exactly
    sp.Piecewise((5, sp.Eq(SIGMA, 3)), (0, True)),
    sp.Piecewise((5, sp.Eq(SIGMA, MU**2 + 1)), (0, True)),
    pytest.param(sp.Piecewise((5, sp.Eq(SIGMA**2, 2)), (0, True)), marks=pytest.mark.slow),  # irrational switch
    sp.Piecewise((0, SIGMA < sp.pi), (0, SIGMA > sp.pi), (7, True)),
    1 - sp.sign(SIGMA - 3) ** 2,
])
def test_findings_wrong_answers_are_incorrect(extra):
    verdict = NORMAL.check("fisher_metric", metric_plus(extra))
    assert not verdict and verdict.decided and verdict.verdict == "incorrect", verdict


@examples(25)
@given(st.integers(-3, 3), st.integers(-3, 3), st.integers(15, 120), st.sampled_from([1, -1, 7]))
def test_tiny_perturbations_are_incorrect(j, k, digits, c):
    """Adding c mu^j sigma^k 10^-digits to the metric: relative to 1/sigma^2 it is below
    double precision at most points, and still wrong.
    """
    extra = c * (MU**j if j >= 0 else (MU**2 + 1) ** j) * SIGMA**k * sp.Integer(10) ** -digits
    verdict = NORMAL.check("fisher_metric", metric_plus(extra))
    assert verdict.verdict == "incorrect", (extra, verdict)


@examples(15)
@given(st.integers(1, 4), st.integers(1, 6))
def test_equivalent_rewritings_are_correct(n, m):
    """The metric entry rewritten through identities (a rational factor equal to one, a
    logarithm of an exponential) is still correct.
    """
    one = (SIGMA**n + m) / (SIGMA**n + m)
    entry = sp.Mul(1 / SIGMA**2, one, evaluate=False) + sp.log(sp.exp(MU)) - MU
    verdict = NORMAL.check("fisher_metric", sp.Matrix([[entry, 0], [0, 2 / SIGMA**2]]))
    assert verdict.verdict == "correct", verdict


def test_a_non_smooth_answer_whose_switching_points_cannot_be_located_is_undecided():
    # floor(1/(2 + sin mu)) is 1 exactly at mu = -pi/2 + 2 k pi and 0 elsewhere
    verdict = NORMAL.check("fisher_metric", "Matrix([[1/sigma**2 + floor(1/(2 + sin(mu))), 0], [0, 2/sigma**2]])")
    assert not verdict and not verdict.decided and verdict.how == "undecided"
    assert "switching points" in verdict.message


def test_non_smooth_answers_that_are_right_everywhere_are_correct():
    verdict = NORMAL.check("fisher_metric", "Max(1/sigma**2, 1/(2*sigma**2))*Matrix([[1, 0], [0, 2]])")
    assert verdict.verdict == "correct" and verdict.how.startswith(("exact", "numeric at"))


# -- how the verdict was reached --------------------------------------------------------------

def test_how_says_exact_or_numeric():
    assert NORMAL.check("fisher_metric", "diag(1/sigma**2, 2/sigma**2)").how == "exact"
    assert NORMAL.check("fisher_metric", metric_plus(sp.Integer(10) ** -25)).how == "exact"
    a, b = Gamma().coordinates
    # psi1(a) = psi1(a + 1) + 1/a^2 (the polygamma recurrence): no normal form knows it
    verdict = Gamma().check("fisher_metric", [[sp.polygamma(1, a + 1) + 1 / a**2, -1 / b], [-1 / b, a / b**2]])
    assert verdict and verdict.how.startswith("numeric at") and verdict.how.endswith("points")
    wrong = NORMAL.check("fisher_metric", metric_plus(sp.Max(0, SIGMA - 3)))
    assert wrong.how.startswith("numeric at")


def test_result_is_truthy_only_when_correct():
    assert isinstance(NORMAL.check("scalar_curvature", "-1"), CheckResult)
    assert bool(NORMAL.check("scalar_curvature", "-1")) is True
    assert bool(NORMAL.check("scalar_curvature", "1")) is False


# -- options ----------------------------------------------------------------------------------

def test_findings_alpha_is_honoured():
    # R^(alpha) = -(1 - alpha^2) for the Normal family (Amari & Nagaoka 2000, sec. 2.3)
    assert not NORMAL.check("scalar_curvature", "-1", alpha=1)
    assert NORMAL.check("scalar_curvature", "0", alpha=1)
    assert NORMAL.check("scalar_curvature", "0", alpha=-1)
    assert NORMAL.check("scalar_curvature", "-3/4", alpha="1/2")
    assert NORMAL.check("scalar_curvature", "-3*alpha/2", alpha=sp.Rational(1, 2))  # alpha means 1/2
    assert NORMAL.check("scalar_curvature", "alpha**2 - 1")
    assert NORMAL.check("scalar_curvature", "alpha**2 - 1", alpha="alpha")
    assert NORMAL.check("gaussian_curvature", "(alpha**2 - 1)/2")
    assert not NORMAL.check("scalar_curvature", "alpha - 1")
    # the alpha-connection's Christoffel symbols: Gamma^(alpha)_{11,2} = (1 - alpha)/sigma^3
    assert NORMAL.check("christoffel_1st", NORMAL.christoffel(kind=1, alpha=sp.Symbol("alpha")).subs(
        sp.Symbol("alpha"), sp.Symbol("alpha", real=True)))
    with pytest.raises(ValueError, match="takes no alpha"):
        NORMAL.check("fisher_metric", "1", alpha=1)


def test_findings_feedback_verdict_gives_nothing_away():
    wrong = "Matrix([[1/sigma**2, 0], [0, 1/sigma**2]])"
    verdict = NORMAL.check("fisher_metric", wrong)             # the default: verdict alone
    assert verdict.difference is None
    assert "sigma" not in verdict.message and "sigma" not in repr(verdict)
    assert "sigma" not in verdict._repr_latex_()
    shown = NORMAL.check("fisher_metric", wrong, feedback="difference")
    # expected - answer, compared with the closed form diag(1/sigma^2, 2/sigma^2)
    assert sp.simplify(shown.difference - sp.diag(0, 1 / SIGMA**2)) == sp.zeros(2, 2)
    assert "difference" in shown.message
    with pytest.raises(ValueError, match="feedback"):
        NORMAL.check("fisher_metric", wrong, feedback="full")


# -- malformed answers say what is wrong -------------------------------------------------------

def test_findings_unknown_function_and_symbol():
    with pytest.raises(AnswerError, match="unknown function psi") as info:
        Gamma().check("fisher_metric", "psi(1, a)")
    assert "polygamma" in str(info.value)
    with pytest.raises(AnswerError, match=r"unknown symbol lambda \(coordinates are mu, lam\)") as info:
        InverseGaussian().check("fisher_metric", "1/lambda")
    assert "did you mean lam" in str(info.value)
    with pytest.raises(AnswerError, match=r"unknown symbol s \(coordinates are mu, sigma\)"):
        NORMAL.check("fisher_metric", "1/s**2")
    with pytest.raises(AnswerError, match=r"unknown symbol s \(coordinates are mu, sigma\)"):
        NORMAL.check("fisher_metric", 1 / sp.Symbol("s") ** 2)


# -- the batch form ----------------------------------------------------------------------------

def test_batch_grades_each_answer():
    P = Poisson()
    results = P.check_batch(["1/lam", "1/lam**2", "1/lambda", "Matrix([[1/lam]])"], "fisher_metric")
    assert [r.verdict for r in results] == ["correct", "incorrect", "malformed", "correct"]
    assert "unknown symbol lambda" in results[2].message
    pairs = P.check_batch([("fisher_metric", "1/lam"), ("log_partition", "exp(theta1)"),
                           ("dual_potential", "eta1*log(eta1)")])
    assert [r.verdict for r in pairs] == ["correct", "correct", "incorrect"]
    with pytest.raises(ValueError, match="pair"):
        P.check_batch(["1/lam"])
    curvatures = NORMAL.check_batch([("scalar_curvature", "-1"), ("scalar_curvature", "-1", {"alpha": 1}),
                                     ("scalar_curvature", "0", {"alpha": 1})])
    assert [r.verdict for r in curvatures] == ["correct", "incorrect", "correct"]


# -- without a model -----------------------------------------------------------------------------

def test_without_a_model_the_assumptions_give_the_domain():
    x = sp.Symbol("x", positive=True)
    assert check_answer(sp.polygamma(1, x), sp.polygamma(1, x + 1) + 1 / x**2, {"x": x})
    assert not check_answer(sp.log(x), sp.log(x) + sp.sin(x) * sp.Integer(10) ** -300, {"x": x})


# -- properties over the catalog -------------------------------------------------------------

_CHARTED = ["Bernoulli", "Poisson", "Exponential", "Normal", "Gamma", "InverseGaussian", "Categorical(3)", "Geometric"]


@functools.lru_cache(maxsize=None)
def _manifold(name):
    cls, args = {n: (c, a) for n, c, a in CATALOG}[name]
    return cls(*args)


@pytest.mark.parametrize("name", _CHARTED)
@pytest.mark.parametrize("chart", ["from_natural", "from_expectation"])
def test_the_quantity_rewritten_in_another_chart_is_correct(name, chart):
    """The derived metric with every coordinate replaced by its expression in theta (or eta)
    is the same function of the point: graded correct.
    """
    M = _manifold(name)
    inverse = getattr(M.model, chart)
    if inverse is None:
        pytest.skip(f"{name} declares no {chart}")
    answer = M.fisher_metric().xreplace(dict(zip(M.coordinates, inverse, strict=True)))
    assert M.check("fisher_metric", answer).verdict == "correct"


@examples(20)
@given(st.sampled_from(_CHARTED), st.integers(0, 2), st.integers(16, 90), st.sampled_from([1, -3]))
def test_a_tiny_change_of_any_entry_is_incorrect(name, power, digits, c):
    M = _manifold(name)
    x = M.coordinates[-1]
    g = M.fisher_metric()
    wrong = g + sp.ones(*g.shape) * c * x**power * sp.Integer(10) ** -digits
    assert M.check("fisher_metric", wrong).verdict == "incorrect"


@pytest.mark.parametrize("name", [pytest.param("Normal", marks=pytest.mark.slow), "Poisson"])
def test_dual_flatness_graded_with_alpha(name):
    """An exponential family is e-flat in theta and m-flat in eta (Amari 2016, ch. 2 and 6):
    the Christoffel symbols of the 1-connection vanish in the natural chart, those of the
    (-1)-connection in the expectation chart, and not the other way round.
    """
    M = _manifold(name)
    n = M.dim
    zero3 = sp.MutableDenseNDimArray.zeros(n, n, n).tolist()
    natural, expectation = M.in_chart("natural"), M.in_chart("expectation")
    assert natural.check("christoffel", zero3, alpha=1)
    assert natural.check("christoffel_1st", zero3, alpha=1)
    assert natural.check("riemann", sp.MutableDenseNDimArray.zeros(n, n, n, n).tolist(), alpha=1)
    assert expectation.check("christoffel", zero3, alpha=-1)
    assert natural.check("christoffel", zero3, alpha=-1).verdict == "incorrect"
    assert expectation.check("christoffel", zero3, alpha=1).verdict == "incorrect"


def test_alpha_ricci_of_the_normal_family():
    # R_jl = K g_jl with K = -(1 - alpha^2)/2 (Amari & Nagaoka 2000, sec. 2.3)
    assert NORMAL.check("ricci", "diag(-(1 - alpha**2)/(2*sigma**2), -(1 - alpha**2)/sigma**2)")
    assert not NORMAL.check("ricci", "diag(-(1 - alpha**2)/(2*sigma**2), -(1 - alpha**2)/(2*sigma**2))")


@pytest.mark.slow
def test_a_curvature_rewritten_by_the_polygamma_recurrence():
    """Beta's scalar curvature with psi1(a) written as psi1(a + 1) + 1/a^2 (the recurrence,
    DLMF 5.15.5): no normal form knows it, the numeric ladder decides; a 1e-40 change is seen.
    """
    M = _manifold("Beta")
    a, _ = M.coordinates
    answer = M.scalar_curvature().subs(sp.polygamma(1, a), sp.polygamma(1, a + 1) + 1 / a**2)
    verdict = M.check("scalar_curvature", answer, timeout=60)
    assert verdict.verdict == "correct" and verdict.how.startswith("numeric at")
    assert M.check("scalar_curvature", answer + a * sp.Integer(10) ** -40, timeout=60).verdict == "incorrect"
