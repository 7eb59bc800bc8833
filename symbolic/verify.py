"""The exercise grader: it decides whether an answer equals a derived quantity.

Strings are read by the safe parser (:mod:`symbolic.parsing`), never executed. An answer may
be written in the coordinates, in the natural parameters ``theta1, ...``, in the expectation
parameters ``eta1, ...`` or in a mix: every chart symbol is replaced by its expression in the
coordinates (``chart_maps``) on both sides before the comparison, which then runs in two
stages (see ``docs/guide/grading.md``):

exact
    The difference (expected - answer) is brought to a normal form. Exactly zero: correct.
    A nonzero number, or an expression that sympy proves nonzero from the coordinates'
    assumptions (``exp(-100*sigma)``): incorrect. Otherwise the numeric stage decides.
numeric
    The difference is evaluated with mpmath at points spread over the whole domain (log-spaced
    scales from ``1e-8`` to ``1e8`` from every finite bound and from zero, the typical range,
    and points near the boundary), each at a ladder of precisions (30, 60 and 120 digits, and
    240 at the first four points). A genuinely nonzero value is the same at two
    precisions; rounding noise of a zero difference shrinks as the precision grows. The comparison is relative, with no absolute
    floor: ``1/sigma**2 + mu*10**-22`` is incorrect. An answer that is not smooth
    (``Piecewise``, ``Max``, ``Min``, ``Abs``, ``sign``, ``Heaviside``, ``floor``, ...) is
    evaluated on both sides of every switching point; where the switching points cannot be
    located, a difference that vanishes at every sampled point gives *undecided*, not correct.

The comparison has a time budget (``timeout``, seconds): the normal form gets at most 40 % of
it, the numeric stage at least 60 %, and sympy's ``simplify`` (which may still make a numeric
"correct" exact) what is left. The budget is enforced by :func:`symbolic.budget.time_limit`
(a ``SIGALRM`` interrupts sympy between bytecodes; nested inside a derivation's budget, it
ends no later than that budget); that is only possible on POSIX systems in the main thread.
Elsewhere the comparison runs without a deadline, and what keeps it short are the parser's
limits on the answer. A check
that runs out of time returns an *undecided* :class:`CheckResult` (falsy, ``decided`` False).

``feedback="verdict"`` (the default, safe for auto-grading) gives the verdict and how it was
reached, nothing that reveals the expected value; ``feedback="difference"`` (self-study) adds
expected - answer to the message and to ``CheckResult.difference``.
"""
from __future__ import annotations

import time
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from . import budget
from .algebra import flat, simplify_entries
from .errors import AnswerError
from .parsing import parse_expression, to_sympy
from .validation import positive

__all__ = ["CheckResult", "check_answer", "check_quantity", "check_batch", "parse_answer", "chart_maps",
           "FEEDBACK", "ALPHA"]

#: Seconds a check may spend comparing, unless told otherwise.
DEFAULT_TIMEOUT = 5.0
#: The feedback settings: ``"verdict"`` (auto-grading) and ``"difference"`` (self-study).
FEEDBACK = ("verdict", "difference")
#: The default feedback: the verdict alone, so that an auto-grader that forwards messages
#: never gives the expected value away.
DEFAULT_FEEDBACK = "verdict"
#: Points of the domain the numeric stage evaluates the difference at (switching points of
#: a non-smooth answer come on top).
DEFAULT_POINTS = 16
# the exact normal form's share of the budget; the numeric comparison gets the rest
_SYMBOLIC_SHARE = 0.4
# working precisions (decimal digits) of the numeric ladder
_LADDER = (30, 60, 120, 240)
# points evaluated up to the top rung of the ladder (the others stop one rung below)
_DEEP_POINTS = 4
# two precisions agreeing to this relative accuracy show a genuine (nonzero) value
_STABLE = 1e-8
# relative offset of the points either side of a switching point
_SIDE = sp.Rational(1, 10**6)
# largest denominator a decimal of an answer is read as (0.333333333333333 is 1/3)
_DENOMINATOR = 10**6
# the least share of the budget sympy's simplify() gets after the numeric stage
_SIMPLIFY_SHARE = 0.2
# largest difference (operation count) given to sympy's simplify()
_SIMPLIFY_OPS = 120
# fewest points that must evaluate for a numeric "correct"
_MIN_POINTS = 6
# functions that make an expression non-smooth, and where they switch
_NONSMOOTH = (sp.Piecewise, sp.Max, sp.Min, sp.Abs, sp.sign, sp.Heaviside, sp.floor, sp.ceiling,
              sp.frac, sp.Mod, sp.DiracDelta, sp.re, sp.im, sp.arg)


class CheckResult:
    """The verdict of :func:`check_answer`: truthy when the answer is correct.

    Attributes
    ----------
    correct : bool
        Whether the answer equals the quantity.
    decided : bool
        False when the comparison could not decide (out of time, or a non-smooth answer
        whose switching points could not be located); such a result is falsy.
    how : str
        ``"exact"``, ``"numeric at N points"``, ``"undecided"`` or ``"malformed"`` (batch
        grading of an answer that could not be read).
    message : str
        Why, in words; with ``feedback="difference"`` it shows expected - answer.
    difference : sympy object or None
        expected - answer with ``feedback="difference"``, None with ``feedback="verdict"``.
    """

    def __init__(self, correct, difference, how, message="", decided=True):
        self.correct = bool(correct)
        self.difference = difference
        self.how = how
        self.message = message
        self.decided = bool(decided)

    @property
    def verdict(self):
        """``"correct"``, ``"incorrect"``, ``"undecided"`` or ``"malformed"``."""
        if self.how == "malformed":
            return "malformed"
        if not self.decided:
            return "undecided"
        return "correct" if self.correct else "incorrect"

    def __bool__(self):
        return self.correct

    def __repr__(self):
        if self.correct:
            return "CheckResult(correct)" if self.how == "exact" else f"CheckResult(correct, {self.how})"
        if not self.decided:
            return f"CheckResult(undecided: {self.message})"
        if self.how == "malformed":
            return f"CheckResult(malformed: {self.message})"
        return f"CheckResult(incorrect, {self.how}: {self.message})"

    def _repr_latex_(self):
        if self.correct:
            return r"$\text{correct}$"
        if not self.decided or self.difference is None:
            return r"$\text{" + self.verdict + ": " + self.message.replace("$", "").replace("_", r"\_") + "}$"
        return r"$\text{incorrect: expected} - \text{answer} = " + sp.latex(self.difference) + "$"


# -- reading the answer ------------------------------------------------------------------

def _to_sympy_entries(value, symbols, coordinates):
    if isinstance(value, (list, tuple)):
        return [_to_sympy_entries(v, symbols, coordinates) for v in value]
    if isinstance(value, str):
        return parse_expression(value, symbols, name="answer", coordinates=coordinates)
    return to_sympy(value, "answer")


def _exact_decimals(value):
    """A Float of an answer as the number it stands for: the simplest fraction (denominator
    at most 10^6) that agrees with it to its 15 digits, else its exact decimal. ``1/1.69``
    reaches the grader as the Float 0.591715976331361 and means 100/169.
    """
    def exact(f):
        x = Fraction(str(f))
        near = x.limit_denominator(_DENOMINATOR)
        if x == 0 or abs(near - x) <= abs(x) * Fraction(1, 10**14):
            x = near
        return sp.Rational(x.numerator, x.denominator)

    return value.xreplace({f: exact(f) for f in value.atoms(sp.Float)})


def parse_answer(answer, symbols, coordinates=None):
    """Read an answer (a string, a sympy object, a number or a nested list of them) with the
    model's symbols.

    Strings go through :func:`symbolic.parsing.parse_expression`; nothing is executed. A
    sympy symbol named like one of the model's means that symbol.

    Parameters
    ----------
    answer : str, sympy object, number or nested list of them
    symbols : mapping of str to sympy.Symbol
        The names an answer may use.
    coordinates : sequence of str, optional
        The coordinates' names, for the message about an unknown name.

    Raises
    ------
    AnswerError
        when the string is refused or unreadable, or uses a name or function the model does
        not know (``unknown symbol lambda (coordinates are mu, lam)``,
        ``unknown function psi``).
    TypeError
        when the answer is neither a string, a number, a sympy object nor a list of them.

    Examples
    --------
    >>> import sympy as sp
    >>> lam = sp.Symbol("lam", positive=True)
    >>> parse_answer("Matrix([[1/lam]])", {"lam": lam})
    Matrix([[1/lam]])
    >>> parse_answer("lam.__class__", {"lam": lam})
    Traceback (most recent call last):
    ...
    symbolic.errors.AnswerError: answer: attribute access (column 1) is refused: only numbers, the model's names, + - * / **, calls of mathematical functions and Matrix/Array/diag are allowed
    """
    if isinstance(answer, str):
        value = parse_expression(answer, symbols, name="answer", coordinates=coordinates)
    else:
        value = _to_sympy_entries(answer, symbols, coordinates)
    if isinstance(value, list):
        try:
            value = sp.Array(value)
        except (ValueError, TypeError) as exc:
            raise AnswerError(f"the answer {answer!r} is not a rectangular array: {exc}") from exc
    if not isinstance(value, (sp.Basic, sp.MatrixBase, sp.NDimArray)):
        raise AnswerError(f"the answer {answer!r} is not a sympy expression, Matrix or Array")
    # the user's own Symbol('sigma') means the model's sigma
    rename = {s: symbols[s.name] for s in getattr(value, "free_symbols", ()) if s.name in symbols}
    if isinstance(value, sp.NDimArray):
        value = value.applyfunc(lambda e: e.xreplace(rename))
    else:
        value = value.xreplace(rename)
    unknown = sorted(s.name for s in getattr(value, "free_symbols", ()) if s.name not in symbols)
    if unknown:
        coords = f" (coordinates are {', '.join(coordinates)})" if coordinates else ""
        raise AnswerError(f"answer: unknown symbol {', '.join(unknown)}{coords}: the model does not know it; "
                          f"an answer may use {', '.join(sorted(symbols))}")
    return value


def _entries(obj):
    if isinstance(obj, (sp.MatrixBase, sp.NDimArray)):
        return tuple(obj.shape), flat(obj)
    return (), [obj]


def _squeezed(shape):
    return tuple(n for n in shape if n != 1)


def _match_shape(shape_e, shape_a):
    """Whether an answer of shape ``shape_a`` can stand for a quantity of shape ``shape_e``:
    equal up to axes of length one (a row, a column or a flat list for a vector; a scalar for
    a 1-by-1 matrix or a 1-D tensor).
    """
    return shape_a == shape_e or _squeezed(shape_a) == _squeezed(shape_e)


def chart_maps(family, expectation=None):
    """``{symbol: expression of the coordinates}`` for the natural (``theta1, ...``) and
    expectation (``eta1, ...``) symbols of an exponential family; empty for other models.

    ``expectation``: the expectation parameters as a column (derived when not given).

    Examples
    --------
    >>> from manifolds import Poisson
    >>> chart_maps(Poisson().model)
    {theta1: log(lam), eta1: lam}
    """
    theta = getattr(family, "theta", None)
    if theta is None:
        return {}
    if expectation is None:
        from .legendre import expectation_parameters

        expectation = expectation_parameters(family)
    maps = dict(zip(theta, family.natural, strict=True))
    maps.update(zip(family.eta, list(expectation), strict=True))
    return maps


def _in_coordinates(expr, maps, model):
    """``expr`` with every chart symbol replaced by its expression in the coordinates."""
    if not maps or not (expr.free_symbols & set(maps)):
        return expr
    at_coordinates = getattr(model, "at_coordinates", None)
    theta = set(getattr(model, "theta", ()))
    if at_coordinates is not None and expr.free_symbols & theta:
        # the family's own map simplifies roots of theta once (von Mises sqrt(theta1^2 + theta2^2))
        expr = at_coordinates(expr)
    return expr.xreplace(maps)


# -- the comparison -------------------------------------------------------------------------

def check_answer(expected, answer, symbols, model=None, points=DEFAULT_POINTS, rng=1234,
                 timeout=DEFAULT_TIMEOUT, *, feedback=DEFAULT_FEEDBACK, maps=None, variables=None):
    """Compare ``answer`` with ``expected``: an exact normal form first, then mpmath at points
    spread over the whole domain when the normal form cannot decide (see the module).

    Parameters
    ----------
    expected : sympy expression, Matrix or Array
        The derived quantity.
    answer : str, sympy object, number or nested list of them
        The answer; a row, a column or a flat list stands for a vector, a scalar for a
        quantity with one entry.
    symbols : mapping of str to sympy.Symbol
        The names the answer may use.
    model : StatisticalModel, optional
        Gives the domain to sample; without it only the exact stage runs.
    points : int
        Points of the domain the numeric stage evaluates at.
    rng : int or numpy Generator
        Seed of the sampled points (the verdict is reproducible).
    timeout : float
        Seconds for the whole comparison.

    Other Parameters
    ----------------
    feedback : {"verdict", "difference"}
        ``"verdict"``: the verdict and how it was reached, nothing that gives the expected
        value away (auto-grading). ``"difference"``: also expected - answer (self-study).
    maps : mapping of Symbol to Expr, or a callable returning one, optional
        Chart symbols (``theta1``, ``eta1``, ...) as expressions of the coordinates
        (:func:`chart_maps`), and any other symbol with a fixed value; computed from
        ``model`` when not given, and only called when a symbol other than the coordinates
        occurs.
    variables : mapping of Symbol to (lower, upper), optional
        Further free symbols to sample with their domains (``None`` for an infinite
        bound), e.g. a symbolic ``alpha``.

    Returns
    -------
    CheckResult
        ``how`` is ``"exact"``, ``"numeric at N points"`` or ``"undecided"``.

    Raises
    ------
    AnswerError
        The answer cannot be read, uses a name or function the model does not know, or has
        a shape that does not fit the quantity.
    ValueError
        ``feedback`` is not one of :data:`FEEDBACK`.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x", positive=True)
    >>> check_answer(sp.log(x**2), "2*log(x)", {"x": x})
    CheckResult(correct)
    >>> check_answer(x, "x**2", {"x": x})
    CheckResult(incorrect, numeric at 1 point: the answer differs from the quantity)
    >>> check_answer(x, "x**2", {"x": x}, feedback="difference")
    CheckResult(incorrect, numeric at 1 point: difference (expected - answer) = -x*(x - 1))
    """
    timeout = positive("timeout", timeout)
    if feedback not in FEEDBACK:
        raise ValueError(f"feedback must be one of {', '.join(map(repr, FEEDBACK))}, got {feedback!r}")
    coordinates = [c.name for c in model.coordinates] if model is not None else None
    value = parse_answer(answer, symbols, coordinates)
    shape_e, want = _entries(expected)
    shape_a, got = _entries(value)
    if not _match_shape(shape_e, shape_a):
        raise AnswerError(f"the answer has shape {shape_a or 'scalar'}, the quantity has shape {shape_e or 'scalar'}")
    own = set(model.coordinates) | set(model.second_point()) if model is not None else set()
    foreign = set().union(*(sp.sympify(e, strict=True).free_symbols for e in [*want, *got])) - own
    if maps is None:
        maps = (lambda: chart_maps(model)) if model is not None else {}
    if callable(maps):
        # the chart maps are derived only for an answer or quantity that needs them
        maps = maps() if foreign else {}
    want = [_in_coordinates(_exact_decimals(sp.sympify(e, strict=True)), maps, model) for e in want]
    got = [_in_coordinates(_exact_decimals(sp.sympify(e, strict=True)), maps, model) for e in got]
    diffs = [a - b for a, b in zip(want, got, strict=True)]
    show = feedback == "difference"
    start = time.perf_counter()
    out_of_time = _undecided(diffs, shape_e, show, f"could not decide within {timeout:g} s; pass a larger "
                             f"timeout or a simpler form of the answer")
    left = lambda share: max(timeout - (time.perf_counter() - start), share * timeout)  # noqa: E731
    # 1. the normal form in the rational-function field (cheap, decides most answers)
    simplified = None
    with budget.time_limit(_SYMBOLIC_SHARE * timeout):
        simplified = _normal_form(diffs, model)
    current = simplified if simplified is not None else diffs
    if simplified is not None:
        if all(d == 0 for d in simplified):
            return CheckResult(True, _reshape(simplified, shape_e) if show else None, "exact")
        if any(_provably_nonzero(d) for d in simplified):
            return _incorrect(simplified, shape_e, show, "exact", "")
    # 2. the numeric ladder: a genuine nonzero value decides at once
    with budget.time_limit(left(1 - _SYMBOLIC_SHARE)) as limit:
        status, n, why = _numeric_stage(current, model, variables or {}, points, rng)
    if limit.expired:
        return out_of_time
    if status == "nonzero":
        return _incorrect(current, shape_e, show, _numeric_how(n), why)
    # 3. sympy's simplify() may still prove the difference zero: then the verdict is exact
    if simplified is not None:
        proved = None
        with budget.time_limit(left(_SIMPLIFY_SHARE)):
            proved = _simplify(simplified)
        if proved is not None and all(d == 0 for d in proved):
            return CheckResult(True, _reshape(proved, shape_e) if show else None, "exact")
        if proved is not None and any(_provably_nonzero(d) for d in proved):
            return _incorrect(proved, shape_e, show, "exact", "")
    if status == "zero":
        return CheckResult(True, _reshape(current, shape_e) if show else None, _numeric_how(n), why)
    return _undecided(current, shape_e, show, why)


def _incorrect(diffs, shape, show, how, where):
    if show:
        shaped = _reshape(diffs, shape)
        return CheckResult(False, shaped, how, f"difference (expected - answer) = {shaped}{where}")
    return CheckResult(False, None, how, "the answer differs from the quantity" + where)


def _undecided(diffs, shape, show, why):
    return CheckResult(False, _reshape(diffs, shape) if show else None, "undecided", why, decided=False)


def _reshape(entries, shape):
    if shape == ():
        return entries[0]
    if len(shape) == 2:
        return sp.Matrix(shape[0], shape[1], entries)
    return sp.ImmutableDenseNDimArray(entries, shape)


def _normal_form(diffs, model):
    """Normal forms of the differences through the shared rational-function field (the
    differences themselves where the field does not apply).
    """
    free = set().union(*(d.free_symbols for d in diffs)) if diffs else set()
    coords = tuple(model.coordinates) if model is not None else ()
    coords += tuple(sorted(free - set(coords), key=lambda s: s.name))
    try:
        return simplify_entries(diffs, coords)
    except (ValueError, TypeError, NotImplementedError):
        return list(diffs)


def _simplify(diffs):
    """Apply sympy's ``simplify`` to the expanded logarithms, for what the field leaves nonzero;
    large differences are skipped (simplify() takes seconds on them).
    """
    out = []
    for d in diffs:
        if d != 0 and not d.is_number and sp.count_ops(d) <= _SIMPLIFY_OPS:
            d = sp.simplify(sp.expand_log(d))
        out.append(d)
    return out


def _provably_nonzero(d):
    """True when sympy proves ``d`` nonzero: a nonzero rational, or an expression the
    coordinates' assumptions make nonzero (``exp(-100*sigma)``). A constant such as
    ``log(6) - log(2) - log(3)`` is left to the numeric ladder, which tells rounding noise
    from a genuine value.
    """
    if d.is_Rational:
        return d != 0
    if d.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        return True  # the quantity is finite on the domain; an infinite or undefined answer is not
    if d.is_number:
        return False
    return d.is_zero is False


# -- the numeric stage ----------------------------------------------------------------------

def _domains(model, variables):
    """``{symbol: (lower, upper)}`` of every symbol to sample, in a fixed order."""
    out = {}
    if model is not None:
        for p, s2 in zip(model.parameters, model.second_point(), strict=True):
            out[p.symbol] = (p.lower, p.upper, p.typical)
            out[s2] = (p.lower, p.upper, p.typical)
    for s, (lo, hi) in variables.items():
        out[s] = (lo, hi, (-2.0, 2.0) if lo is None and hi is None else None)
    return out


def _draw(lower, upper, typical, rng, mode):
    """One value of a coordinate: in the typical range, on a log-spaced scale from a bound
    (from 1e-8 to 1e8), or in an interval near one end.
    """
    if mode == "typical":
        if typical is not None:
            return float(rng.uniform(*typical))
        if (lower is None) != (upper is None):
            # a half-line: within a few units of its bound
            return float(lower + rng.uniform(0.1, 4)) if lower is not None else float(upper - rng.uniform(0.1, 4))
    scale = 10.0 ** rng.uniform(-8, 8)
    if lower is not None and upper is not None:
        t = min(10.0 ** rng.uniform(-8, -0.3), 0.5)
        return float(lower + (upper - lower) * (t if rng.random() < 0.5 else 1 - t))
    if lower is not None:
        return float(lower + scale)
    if upper is not None:
        return float(upper - scale)
    return float(scale if rng.random() < 0.5 else -scale)


def _sample(model, domains, points, rng):
    """Points (``{symbol: Rational}``) over the whole domain: the typical range, log-spaced
    scales and the neighbourhood of the boundary, each coordinate drawn independently, kept
    when they satisfy the model's constraints.
    """
    rng = np.random.default_rng(rng)
    symbols = list(domains)
    valid = _validator(model)
    coords = list(model.coordinates) if model is not None else []
    second = list(model.second_point()) if model is not None else []
    out = []
    for attempt in range(60 * points):
        if len(out) >= points:
            break
        mode_all = ("typical", "wide", "mixed")[attempt % 3]
        values = {}
        for s in symbols:
            lo, hi, typ = domains[s]
            mode = mode_all if mode_all != "mixed" else ("typical" if rng.random() < 0.5 else "wide")
            values[s] = _draw(lo, hi, typ, rng, mode)
        if not (valid([values[c] for c in coords]) and valid([values[c] for c in second])):
            continue
        out.append({s: sp.Rational(v) for s, v in values.items()})
    return out


def _validator(model):
    """A fast test of a point (floats, coordinates in order) against the domain and the
    constraints (evaluated with mpmath, not through sympy substitution).
    """
    if model is None:
        return lambda point: True
    bounds = [(p.lower, p.upper) for p in model.parameters]
    constraints = [sp.lambdify(model.coordinates, c.expr.xreplace(
        {k: _exact_constant(v) for k, v in model.constants.items()}),
        modules="mpmath") for c in model.constraints]

    def valid(point):
        if not point:
            return True
        for x, (lo, hi) in zip(point, bounds, strict=True):
            if (lo is not None and not x > lo) or (hi is not None and not x < hi):
                return False
        try:
            return all(c(*point) > 0 for c in constraints)
        except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
            return False

    return valid


def _switching_functions(d):
    """``(function, exact)`` pairs: the expressions whose sign changes switch a non-smooth
    ``d``, ``exact`` when the value at the switch itself can differ from both sides (a
    ``Piecewise`` condition, ``sign``, ``Heaviside``); and whether they all are of a kind whose
    zeros can be located (not floor/ceiling/frac/Mod).
    """
    out, locatable = [], True
    for f in d.atoms(*_NONSMOOTH):
        if isinstance(f, sp.Piecewise):
            for _, cond in f.args:
                for rel in cond.atoms(sp.core.relational.Relational):
                    out.append((rel.lhs - rel.rhs, True))
        elif isinstance(f, (sp.Max, sp.Min)):
            args = list(f.args)
            out += [(a - b, False) for i, a in enumerate(args) for b in args[i + 1:]]
        elif isinstance(f, sp.Abs):
            out.append((f.args[0], False))
        elif isinstance(f, (sp.sign, sp.Heaviside, sp.DiracDelta, sp.re, sp.im, sp.arg)):
            out.append((f.args[0], True))
        else:
            locatable = False
    return out, locatable


def _switching_roots(functions, variables):
    """For each switching function, ``(variable, roots, exact)`` with the roots as expressions
    of the other variables (a variable in which the function is linear first, so that a
    rational point of the others gives a rational root); None when one cannot be located
    (periodic, or no closed-form solution).
    """
    out = []
    for f, exact in functions:
        free = [v for v in variables if v in f.free_symbols]
        if not free:
            continue
        if f.has(sp.sin, sp.cos, sp.tan, sp.cot, sp.sec, sp.csc):
            return None  # infinitely many switching points
        linear = [v for v in free if _is_linear(f, v)]
        for v in linear + [v for v in free if v not in linear]:
            try:
                sol = sp.solve(f, v, dict=False)
            except (NotImplementedError, ValueError, TypeError):
                continue
            if isinstance(sol, list) and all(isinstance(r, sp.Basic) for r in sol):
                out.append((v, sol, exact))
                break
        else:
            return None
    return out


def _is_linear(f, v):
    try:
        return sp.Poly(f, v).degree() == 1
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return False


def _sides(base, roots, domains, valid, coords):
    """Points at and either side of every switching point, the other coordinates from
    ``base``: ``(point, on_switch)`` pairs, and whether every switching point that needs to
    be evaluated exactly was (its coordinate rational there).
    """
    out, complete = [], True
    for v, sols, exact in roots:
        for r in sols:
            try:
                r0 = sp.nsimplify(r.xreplace(base))
            except (TypeError, ValueError):
                complete &= not exact
                continue
            if r0.is_real is False:
                continue
            if not r0.is_real:
                complete &= not exact
                continue
            # either side at a rational point; on the switch exactly (sympy decides the
            # conditions there, for an algebraic point too)
            near = r0 if r0.is_Rational else sp.Rational(str(sp.N(r0, 40)))
            step = abs(near) * _SIDE if near != 0 else _SIDE
            for x, on in ((near - step, False), (r0, True), (near + step, False)):
                lo, hi, _ = domains[v]
                if (lo is not None and not x > lo) or (hi is not None and not x < hi):
                    continue
                pt = dict(base)
                pt[v] = x
                if valid([float(pt[c]) for c in coords]):
                    out.append((pt, on and exact))
    return out, complete


def _ladder(fn, point, ladder=_LADDER):
    """``fn`` at ``point`` with the digits of ``ladder``: ``"nonzero"`` when two
    precisions agree on a nonzero value, ``"zero"`` when the value shrinks as the precision
    grows (rounding noise) or is zero throughout, None when it cannot be evaluated.
    """
    prev = None
    values = []
    for dps in ladder:
        with mpmath.workdps(dps):
            args = [mpmath.mpf(v.p) / v.q for v in point]
            try:
                v = fn(*args)
                v = mpmath.mpc(v) if isinstance(v, mpmath.mpc) else mpmath.mpf(v)
            except (TypeError, ValueError, ZeroDivisionError, ArithmeticError, OverflowError):
                return None
            if not mpmath.isfinite(v):
                return None
            mag = abs(v)
        if prev is not None and mag != 0 and abs(v - prev) <= _STABLE * mag:
            return "nonzero"
        values.append(mag)
        prev = v
    top = values[-1]
    # rounding noise shrinks with the precision: 10^-dps times the size of the cancelling terms
    if top == 0 or any(m > 0 and top <= m * mpmath.mpf(10) ** (-((ladder[-1] - dps) // 2))
                       for m, dps in zip(values[:-1], ladder, strict=False)):
        return "zero"
    return None


def _numeric_stage(diffs, model, variables, points, rng):
    """``(status, points used, why)`` with status ``"zero"``, ``"nonzero"`` or ``"undecided"``."""
    domains = _domains(model, variables)
    constants = {k: _exact_constant(v) for k, v in (model.constants.items() if model is not None else ())}
    diffs = [d.xreplace(constants) for d in diffs]
    free = set().union(*(d.free_symbols for d in diffs))
    for sym in sorted(free - set(domains), key=str):
        # a symbol outside the model: its domain from its assumptions
        lower = 0 if sym.is_nonnegative else None
        upper = 0 if sym.is_nonpositive else None
        domains[sym] = (lower, upper, None if lower is not None or upper is not None else (-2.0, 2.0))
    order = list(domains)
    base = _sample(model, domains, points, rng)
    switching, locatable = [], True
    for d in diffs:
        f, ok = _switching_functions(d)
        switching += f
        locatable &= ok
    roots = _switching_roots(switching, order) if switching and locatable else ([] if locatable else None)
    extra, complete = [], True
    valid = _validator(model)
    coords = list(model.coordinates) if model is not None else []
    for pt in base if roots else ():
        more, ok = _sides(pt, roots, domains, valid, coords)
        extra += more
        complete &= ok
    fns = [_lambdify(order, d) for d in diffs]
    used = 0
    for k, (pt, on_switch) in enumerate([(pt, False) for pt in base] + extra):
        args = [pt[s] if pt[s].is_Rational else sp.Rational(str(sp.N(pt[s], 40))) for s in order]
        # the top rung (240 digits) at the first points only: a difference hidden below 120
        # digits of cancellation is there at every point, and special functions are slow there
        ladder = _LADDER if k < _DEEP_POINTS else _LADDER[:-1]
        ok = True
        for fn, d in zip(fns, diffs, strict=True):
            if d == 0:
                continue
            # on a switching set the conditions are decided exactly (rational arithmetic)
            status = _ladder(_exact_point(d.xreplace(pt)) if on_switch else fn, args, ladder)
            if status == "nonzero":
                return "nonzero", used + 1, ""
            if status is None:
                # a switching point whose value cannot be evaluated leaves the check incomplete
                complete &= not on_switch
                ok = False
                break
        used += ok
    if used < _MIN_POINTS:
        return "undecided", used, (f"the difference could be evaluated at only {used} points of the domain; "
                                   f"pass a sympy-simplified answer or a larger timeout")
    if roots is None:
        return "undecided", used, ("the answer is not smooth and its switching points could not be located; "
                                   f"the difference vanishes at the {used} points sampled")
    if not complete:
        return "undecided", used, ("the answer is not smooth and its value at some switching points could not "
                                   f"be evaluated exactly; the difference vanishes at the {used} points sampled")
    return "zero", used, ""


def _exact_point(value):
    """The ladder's function for a difference already evaluated at an exact point."""
    def fn(*args):
        v = sp.N(value, mpmath.mp.dps)
        if v.is_real:
            return mpmath.mpf(v._mpf_) if v.is_Float else mpmath.mpf(str(v))
        return mpmath.mpc(complex(v))
    return fn


def _lambdify(order, d):
    try:
        # common subexpressions once: a curvature repeats its polygammas many times
        return sp.lambdify(order, d, modules="mpmath", cse=True)
    except (TypeError, ValueError, NameError, SyntaxError, KeyError):
        return _evalf_function(order, d)


def _evalf_function(order, d):
    def fn(*args):
        subs = {s: sp.Rational(mpmath.nstr(a, mpmath.mp.dps, strip_zeros=False)) for s, a in zip(order, args, strict=True)}
        value = sp.N(d.xreplace(subs), mpmath.mp.dps)
        return mpmath.mpc(complex(value)) if not value.is_real else mpmath.mpf(str(value))
    return fn


# -- a quantity of a manifold -------------------------------------------------------------

#: The symbol an answer writes for the alpha of the alpha-connection.
ALPHA = sp.Symbol("alpha", real=True)


def check_quantity(manifold, quantity, answer, alpha=None, *, feedback=DEFAULT_FEEDBACK,
                   timeout=DEFAULT_TIMEOUT, points=DEFAULT_POINTS, rng=1234):
    """Grade ``answer`` against ``manifold.quantity(quantity)`` with every option honoured.

    ``alpha``: None (the Levi-Civita connection, or the alpha-dependent quantity when the
    answer uses ``alpha``), a number, or a symbolic ``alpha``; only the quantities in
    ``manifold.ALPHA_QUANTITIES`` take it. The chart maps of an exponential family come from
    the manifold's cached expectation parameters. Other arguments as :func:`check_answer`.

    Examples
    --------
    >>> from manifolds import Normal
    >>> M = Normal()
    >>> check_quantity(M, "scalar_curvature", "-1", alpha=1)
    CheckResult(incorrect, exact: the answer differs from the quantity)
    >>> check_quantity(M, "scalar_curvature", "0", alpha=1)
    CheckResult(correct)
    >>> check_quantity(M, "scalar_curvature", "alpha**2 - 1")
    CheckResult(correct)
    """
    symbols = dict(manifold.symbols())
    takes_alpha = not callable(quantity) and quantity in getattr(manifold, "ALPHA_QUANTITIES", ())
    fixed, variables = {}, {}
    if takes_alpha and "alpha" not in symbols:
        symbols["alpha"] = ALPHA
        if alpha is None:
            try:
                uses = ALPHA in getattr(parse_answer(answer, symbols), "free_symbols", ())
            except (AnswerError, TypeError):
                uses = False  # check_answer reports the error
            alpha = ALPHA if uses else None
        else:
            alpha = to_sympy(alpha, "alpha")
            alpha = alpha.xreplace({s: ALPHA for s in alpha.free_symbols if s.name == "alpha"})
            if alpha.free_symbols - {ALPHA}:
                raise ValueError(f"alpha must be a number or an expression of the symbol alpha, got {alpha}")
        if alpha is None:
            fixed[ALPHA] = sp.Integer(0)
        elif alpha.free_symbols:
            variables[ALPHA] = (None, None)
        else:
            fixed[ALPHA] = alpha
    expected = manifold.quantity(quantity, alpha) if alpha is not None else manifold.quantity(quantity)
    model = manifold.model

    def maps():
        out = dict(fixed)
        if getattr(model, "theta", None) is not None:
            out.update(manifold.cached("chart_maps", lambda: chart_maps(model, manifold.expectation_parameters())))
        return out

    return check_answer(expected, answer, symbols, model, points, rng, timeout, feedback=feedback,
                        maps=maps, variables=variables)


# -- the batch form -------------------------------------------------------------------------

def check_batch(grade, answers, quantity=None):
    """Grade many answers with ``grade(quantity, answer, **options)`` and report each.

    ``answers`` is a list of answers (all for ``quantity``), or of ``(quantity, answer)``
    pairs or ``(quantity, answer, options)`` triples (``options`` a dict such as
    ``{"alpha": 1}``). An answer that cannot be read becomes a ``"malformed"`` result whose
    message says why, so one bad answer does not stop the batch.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x", positive=True)
    >>> grade = lambda q, a: check_answer(x**2, a, {"x": x})
    >>> [r.verdict for r in check_batch(grade, ["x*x", "x**3", "x**"], "square")]
    ['correct', 'incorrect', 'malformed']
    """
    results = []
    for item in answers:
        options = {}
        if quantity is not None:
            q, answer = quantity, item
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            q, answer = item
        elif isinstance(item, (tuple, list)) and len(item) == 3 and isinstance(item[2], dict):
            q, answer, options = item
        else:
            raise ValueError("without a quantity, each item must be a (quantity, answer) pair or a "
                             f"(quantity, answer, options) triple; got {item!r:.80}")
        try:
            results.append(grade(q, answer, **options))
        except AnswerError as exc:
            results.append(CheckResult(False, None, "malformed", str(exc)))
    return results


def _exact_constant(value):
    """A model constant as the exact number it writes: ``1.3`` is 13/10, not the binary double."""
    if isinstance(value, sp.Basic):
        return _exact_decimals(value)
    return sp.Rational(repr(value)) if isinstance(value, float) else sp.Rational(value)


def _numeric_how(n):
    return f"numeric at {n} point" + ("" if n == 1 else "s")
