"""The safe parser (symbolic/parsing.py) and every string path that goes through it.

Regression tests for issue "Safe under bad input", part 1: strings given to check(), alpha=,
Neuron arguments, string losses and catalog constructors used to reach sympy's parse_expr /
sympify (Python's eval): code ran, and resource bombs hung check() for minutes.
"""
import math
import time

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from manifolds import (
    Beta,
    Binomial,
    Categorical,
    Dirichlet,
    Laplace,
    MultivariateNormal,
    Normal,
    NormalMean,
    Poisson,
    StudentT,
)
from manifolds.neuron import Neuron
from manifolds.optim import natural_gradient_descent
from symbolic.errors import AnswerError, DomainError
from symbolic.parsing import MAX_DIGITS, MAX_LENGTH, parse_expression, to_sympy
from symbolic.verify import check_answer
from tests.support import chdir, examples

MU, SIGMA = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
NAMES = {"mu": MU, "sigma": SIGMA}


# -- code execution ----------------------------------------------------------------------

def _payloads(marker):
    return [
        f"__import__('os').system('touch {marker}')",
        f"Matrix([[__import__('os').system('touch {marker}')]])",
        f"exp(__import__('os').system('touch {marker}'))",
        f"().__class__.__base__.__subclasses__()[0]('touch {marker}')",
        f"(lambda: __import__('os').system('touch {marker}'))()",
        f"[__import__('os').system('touch {marker}') for _ in (1,)]",
        f"open('{marker}', 'w')",
    ]


def _string_paths():
    """Every public place that accepts a string, as a callable of the string."""
    return {
        "check": lambda s: Poisson().check("fisher_metric", s),
        "christoffel alpha": lambda s: Normal().christoffel(alpha=s),
        "alpha_connection": lambda s: Normal().alpha_connection(s),
        "scalar_curvature alpha": lambda s: Normal().scalar_curvature(alpha=s),
        "Neuron slope": lambda s: Neuron("prelu", "gaussian", 1, slope=s),
        "Neuron alpha": lambda s: Neuron("elu", "gaussian", 1, alpha=s),
        "Neuron sigma": lambda s: Neuron("tanh", "gaussian", 1, sigma=s),
        "Neuron x": lambda s: Neuron("tanh", "gaussian", 1, x=[s]),
        "loss": lambda s: natural_gradient_descent(Poisson(), s, [1.0], 0.1, 1),
        "Binomial": lambda s: Binomial(s),
        "StudentT": lambda s: StudentT(s),
        "Laplace": lambda s: Laplace(s),
        "NormalMean": lambda s: NormalMean(s),
    }


@pytest.mark.parametrize("path", sorted(_string_paths()))
def test_code_in_strings_is_never_run(path, tmp_path):
    marker = tmp_path / "pwned"
    call = _string_paths()[path]
    with chdir(tmp_path):
        for payload in _payloads(marker):
            with pytest.raises(AnswerError, match="refused"):
                call(payload)
            assert not marker.exists(), payload


def test_an_answer_that_calls_the_toolkit_is_not_graded_correct():
    with pytest.raises(AnswerError, match="refused"):
        Poisson().check("fisher_metric", "__import__('manifolds').Poisson().fisher_metric()")


@pytest.mark.parametrize("text, what", [
    ("__import__('os')", "'__import__'"),
    ("lam.__class__", "attribute access"),
    ("().__class__", "attribute access"),
    ("lam[0]", "a subscript"),
    ("lambda: 1", "a lambda"),
    ("[k for k in (1, 2)]", "a comprehension"),
    ("{k: 1 for k in (1, 2)}", "a comprehension"),
    ("sqrt(k for k in (1, 2))", "a generator expression"),
    ("1 if lam else 2", "a conditional expression"),
    ("(y := lam)", "the walrus operator"),
    ("f'{lam}'", "an f-string"),
    ("'lam'", "the literal 'lam'"),
    ("b'lam'", "the literal b'lam'"),
    ("lam < 1", "a comparison"),
    ("lam and 1", "a boolean operator"),
    ("{1: 2}", "a dict"),
    ("print(1)", "unknown function print"),
    ("sqrt(x=lam)", "the keyword argument"),
    ("diag(*[1, 2])", "'*'"),
    ("lam ^ 2", "'^'"),
    ("lam % 2", "the operator Mod"),
    ("__builtins__", "'__builtins__'"),
    ("_x", "'_x'"),
    ("x", "unknown symbol x"),
    ("sqrt", "'sqrt'"),
    ("True", "the literal True"),
    ("1j", "the literal 1j"),
    ("[1] * 10**9", "arithmetic on a list"),
    ("Matrix(2, 2, [1, 2, 3, 4])", "Matrix"),
])
def test_refused_syntax(text, what):
    lam = sp.Symbol("lam", positive=True)
    with pytest.raises(AnswerError, match="refused") as info:
        parse_expression(text, {"lam": lam})
    assert what in str(info.value)
    assert str(info.value).startswith("answer: ")


def test_messages_name_the_parameter():
    with pytest.raises(AnswerError, match=r"^slope: attribute access \(column 1\)"):
        to_sympy("a.b", "slope")
    with pytest.raises(TypeError, match="alpha must be a number, a sympy expression or a string"):
        to_sympy([1], "alpha")
    with pytest.raises(TypeError, match="alpha"):
        to_sympy(None, "alpha")
    with pytest.raises(AnswerError, match="could not read"):
        parse_expression("Matrix([[1, 0]", {})


# -- resource bombs ----------------------------------------------------------------------

@pytest.mark.parametrize("bomb", [
    "9**9**9**9",
    "10**(10**8)",
    "2**(10**8/3)",
    "(1/3)**(10**6)",
    "0.5**(10**6)",
    "2**1e40",
    "factorial(10**7)",
    "binomial(10**7, 5*10**6)",
    "gamma(10**7 + 1/2)",
    "digamma(10**7)",
    "polygamma(1, 10**7)",
    "lam**(10**9)",
    "(lam + 1)**(10**6)",
    "Matrix([[2, 1], [1, 1]])**(10**6)",
    "Matrix([[10**4000]])**1000",
    "*".join(["(10**9999)"] * 5),
    "1e999999",
    "1" + "0" * 5000,
    "+" * (MAX_LENGTH + 1) + "1",
    "-" * 200 + "1",
    "+".join(["lam"] * 6000),
])
def test_resource_bombs_are_refused_quickly(bomb):
    t0 = time.perf_counter()
    with pytest.raises(AnswerError):
        Poisson().check("fisher_metric", f"Matrix([[{bomb}]])" if len(bomb) < 100 else bomb)
    assert time.perf_counter() - t0 < 5.0


def test_the_digit_bound_is_the_one_stated():
    # 2**k has floor(k log10 2) + 1 digits: 9935 for k = 33000, 10236 for k = 34000
    assert parse_expression("2**33000", {}) == sp.Integer(2) ** 33000
    assert math.floor(33000 * math.log10(2)) + 1 <= MAX_DIGITS < math.floor(34000 * math.log10(2)) + 1
    with pytest.raises(AnswerError, match="digits"):
        parse_expression("2**34000", {})
    assert parse_expression("factorial(20)", {}) == 2432902008176640000  # 20! (OEIS A000142)


def test_check_stops_at_its_time_budget():
    """A legal answer whose exact normal form takes seconds (expanding a degree-800
    polynomial; about 3 s here with no budget): with a 0.5 s budget the normal form is
    abandoned and the 30-digit comparison at random points decides. The binomial identity
    (mu + sigma)**800 = (mu**2 + 2 mu sigma + sigma**2)**400 makes the answer correct.
    """
    answer = ("Matrix([[sigma**-2 + (mu + sigma)**800 - (mu**2 + 2*mu*sigma + sigma**2)**400, 0],"
              " [0, 2/sigma**2]])")
    t0 = time.perf_counter()
    verdict = Normal().check("fisher_metric", answer, timeout=0.5)
    assert time.perf_counter() - t0 < 5.0
    assert verdict and verdict.how.startswith("numeric at")


def test_undecided_when_nothing_can_finish():
    x = sp.Symbol("x", positive=True)
    # no model, so no numeric fallback; (x + 1)**300 + 1 differs from the answer by 1
    t0 = time.perf_counter()
    verdict = check_answer((x + 1) ** 300 + 1, "(x**2 + 2*x + 1)**150", {"x": x}, timeout=1e-3)
    assert time.perf_counter() - t0 < 5.0
    # never graded correct; within 1 ms either nothing finished ("undecided") or a stage
    # already found the difference (a right verdict: on fast CI machines the numeric stage
    # and, once, the exact stage finished inside the millisecond)
    assert not verdict
    if verdict.decided:
        assert verdict.how.split(":")[0] in ("exact", "numeric"), verdict
        assert "differs" in repr(verdict) or "numeric" in verdict.how, verdict
    else:
        assert verdict.how == "undecided" and "could not decide within 0.001 s" in repr(verdict)
    decided = check_answer((x + 1) ** 300 + 1, "(x**2 + 2*x + 1)**150", {"x": x}, timeout=30,
                           feedback="difference")
    assert not decided and decided.decided and decided.difference == 1
    with pytest.raises(DomainError, match="timeout must be > 0"):
        check_answer(x, "x", {"x": x}, timeout=0)


# -- the parser builds what the string says ----------------------------------------------

_LEAVES = st.one_of(st.sampled_from(["mu", "sigma"]), st.integers(-20, 20))


def _trees(leaves):
    return st.recursive(leaves, lambda sub: st.one_of(
        st.tuples(st.sampled_from(["+", "-", "*", "/"]), sub, sub),
        st.tuples(st.just("**"), sub, st.integers(-3, 4)),
        st.tuples(st.just("neg"), sub),
        st.tuples(st.sampled_from(["sqrt", "log", "exp", "sin", "atan", "Abs"]), sub),
    ), max_leaves=12)


def _render(tree):
    if isinstance(tree, str):
        return tree
    if isinstance(tree, int):
        return f"({tree})"
    if tree[0] == "neg":
        return f"(-{_render(tree[1])})"
    if len(tree) == 2:
        return f"{tree[0]}({_render(tree[1])})"
    return f"({_render(tree[1])} {tree[0]} {_render(tree[2])})"


def _build(tree):
    if isinstance(tree, str):
        return NAMES[tree]
    if isinstance(tree, int):
        return sp.Integer(tree)
    if tree[0] == "neg":
        return -_build(tree[1])
    if len(tree) == 2:
        return getattr(sp, tree[0])(_build(tree[1]))
    a, b = _build(tree[1]), _build(tree[2])
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b, "**": a**b}[tree[0]] if tree[0] != "**" else a**b


@examples(40)
@given(_trees(_LEAVES))
def test_random_expressions_parse_to_what_they_say(tree):
    assert parse_expression(_render(tree), NAMES) == _build(tree)


@examples(20)
@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(-10**6, 10**6), st.integers(1, 10**6))
def test_numbers_parse_exactly(x, p, q):
    assert parse_expression(repr(x), {}) == sp.Float(repr(x))
    assert parse_expression(f"{p}/{q}", {}) == sp.Rational(p, q)
    assert parse_expression(f"Rational({p}, {q})", {}) == sp.Rational(p, q)


# -- textbook answers still pass ---------------------------------------------------------

@pytest.mark.parametrize("M, quantity, answer", [
    (Poisson(), "fisher_metric", "Matrix([[1/lam]])"),
    (Poisson(), "fisher_metric", "[[1/lam]]"),
    (Normal(), "fisher_metric", "Matrix([[sigma**-2, 0], [0, 2/sigma**2]])"),
    (Normal(), "fisher_metric", "diag(1/sigma**2, 2/sigma**2)"),
    (Normal(), "scalar_curvature", "-1"),
    # Beta's Fisher metric: trigamma(a) - trigamma(a+b) on the diagonal (Amari & Nagaoka, ex. 2.5)
    (Beta(), "fisher_metric", "Matrix([[trigamma(a) - trigamma(a + b), -trigamma(a + b)],"
                              " [-trigamma(a + b), trigamma(b) - trigamma(a + b)]])"),
])
def test_textbook_answers_pass(M, quantity, answer):
    assert M.check(quantity, answer)


def test_wrong_answers_still_fail_with_the_difference():
    verdict = Poisson().check("fisher_metric", "Matrix([[1/lam**2]])", feedback="difference")
    assert not verdict and verdict.decided
    assert verdict.difference == sp.Matrix([[(sp.Symbol("lam", positive=True) - 1) / sp.Symbol("lam", positive=True) ** 2]])


def test_alpha_strings_equal_numbers():
    M = Normal()
    # the alpha-curvature of the Normal family is -(1 - alpha^2) (docs/conventions.md)
    assert sp.simplify(M.scalar_curvature(alpha="1/2") - M.scalar_curvature(alpha=sp.Rational(1, 2))) == 0
    assert sp.simplify(M.scalar_curvature(alpha="1/2") + (1 - sp.Rational(1, 4))) == 0
    assert M.christoffel(alpha="0") == M.christoffel()


def test_string_loss_equals_the_expression():
    M = Poisson()
    lam = M.coordinates[0]
    a = natural_gradient_descent(M, "(lam - 2)**2", [1.0], 0.1, 5)
    b = natural_gradient_descent(M, (lam - 2) ** 2, [1.0], 0.1, 5)
    assert np.allclose(np.asarray(a.x), np.asarray(b.x))


def test_neuron_string_arguments():
    a = Neuron("prelu", "gaussian", 1, slope="1/4").fisher_metric()
    b = Neuron("prelu", "gaussian", 1, slope=sp.Rational(1, 4)).fisher_metric()
    assert a == b
    with pytest.raises(DomainError, match="slope"):
        Neuron("prelu", "gaussian", 1, slope="3/2")


# -- constructor arguments ---------------------------------------------------------------

@pytest.mark.parametrize("make, arg, exc, message", [
    (Binomial, -1, DomainError, "n must be an integer >= 1"),
    (Binomial, 2.5, DomainError, "n must be an integer >= 1"),
    (Binomial, 0, DomainError, "n must be an integer >= 1"),
    (Binomial, True, TypeError, "n must be an integer"),
    (Binomial, "2.5", DomainError, "n must be an integer >= 1"),
    (NormalMean, 0, DomainError, "sigma must be > 0"),
    (NormalMean, -1, DomainError, "sigma must be > 0"),
    (NormalMean, float("nan"), DomainError, "sigma must be finite"),
    (NormalMean, sp.I, TypeError, "sigma must be a real number"),
    (StudentT, -1, DomainError, "nu must be > 0"),
    (StudentT, 0, DomainError, "nu must be > 0"),
    (StudentT, "x", AnswerError, "nu: unknown symbol x"),
    (Laplace, 0, DomainError, "b must be > 0"),
    (Laplace, [1], TypeError, "b must be a number"),
    (Dirichlet, 1, DomainError, "k must be an integer >= 2"),
    (Dirichlet, 2.5, DomainError, "k must be an integer >= 2"),
    (Dirichlet, "3", TypeError, "k must be a real number"),
    (Categorical, 1, DomainError, "k must be an integer >= 2"),
    (MultivariateNormal, 0, DomainError, "d must be a positive integer"),
])
def test_bad_constructor_arguments(make, arg, exc, message):
    with pytest.raises(exc, match=message):
        make(arg)


def test_constructor_strings_and_symbols():
    assert Binomial("5").name == Binomial(5).name == "Binomial(5)"
    assert NormalMean("3/2").fisher_metric() == NormalMean(sp.Rational(3, 2)).fisher_metric()
    nu = sp.Symbol("nu", positive=True)
    assert StudentT(nu).fisher_metric() == StudentT().fisher_metric() == StudentT("nu").fisher_metric()
