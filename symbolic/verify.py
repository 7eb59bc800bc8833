"""The exercise verifier: does an answer equal a derived quantity?"""
from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp
from sympy.parsing.sympy_parser import parse_expr, standard_transformations

from .algebra import flat, simplify_entries
from .errors import AnswerError

__all__ = ["CheckResult", "check_answer", "parse_answer"]

_FUNCTIONS = {name: getattr(sp, name) for name in (
    "Matrix", "Array", "sqrt", "log", "exp", "sin", "cos", "tan", "atan", "pi", "E", "Rational",
    "gamma", "loggamma", "digamma", "trigamma", "polygamma", "besseli", "Abs", "sign", "binomial",
    "factorial", "diag", "oo", "Integer",
)}


class CheckResult:
    """The verdict of :func:`check_answer`: truthy when the answer is correct."""

    def __init__(self, correct, difference, how, message=""):
        self.correct = bool(correct)
        self.difference = difference
        self.how = how
        self.message = message

    def __bool__(self):
        return self.correct

    def __repr__(self):
        if self.correct:
            return "CheckResult(correct)" if self.how == "symbolic" else f"CheckResult(correct, {self.how})"
        return f"CheckResult(incorrect: {self.message})"

    def _repr_latex_(self):
        if self.correct:
            return r"$\text{correct}$"
        return r"$\text{incorrect: expected} - \text{answer} = " + sp.latex(self.difference) + "$"


def parse_answer(answer, symbols):
    """Read an answer (string or sympy object) with the model's symbols.

    Raises
    ------
    AnswerError
        when the string cannot be parsed or uses names the model does not know.
    """
    if isinstance(answer, str):
        local = {**_FUNCTIONS, **symbols}
        try:
            value = parse_expr(answer, local_dict=local, transformations=standard_transformations)
        except Exception as exc:  # sympy's parser raises many types; all mean "not readable"
            raise AnswerError(f"could not read the answer {answer!r}: {type(exc).__name__}: {exc}") from exc
    else:
        try:
            value = sp.sympify(answer)
        except (sp.SympifyError, TypeError) as exc:
            raise AnswerError(f"the answer {answer!r} is not a sympy expression: {exc}") from exc
        # the user's own Symbol('sigma') means the model's sigma
        value = value.xreplace({s: symbols[s.name] for s in getattr(value, "free_symbols", ()) if s.name in symbols})
    if isinstance(value, (list, tuple)):
        try:
            value = sp.Array(value)
        except (ValueError, TypeError) as exc:
            raise AnswerError(f"the answer {answer!r} is not a rectangular array: {exc}") from exc
    if not isinstance(value, (sp.Basic, sp.MatrixBase, sp.NDimArray)):
        raise AnswerError(f"the answer {answer!r} is not a sympy expression, Matrix or Array")
    unknown = sorted(s.name for s in getattr(value, "free_symbols", ()) if s.name not in symbols
                     or s != symbols[s.name])
    if unknown:
        raise AnswerError(f"the answer uses {', '.join(unknown)}, which the model does not know; "
                          f"it may use {', '.join(sorted(symbols))}")
    return value


def _entries(obj):
    if isinstance(obj, (sp.MatrixBase, sp.NDimArray)):
        return tuple(obj.shape), flat(obj)
    return (), [obj]


def check_answer(expected, answer, symbols, model=None, points=4, rng=1234):
    """Compare ``answer`` with ``expected``: exact normal forms first, then mpmath at random
    points of the model's domain (30 digits) when the normal form is not conclusive.
    """
    value = parse_answer(answer, symbols)
    shape_e, want = _entries(expected)
    shape_a, got = _entries(value)
    if shape_a != shape_e:
        if not (shape_e in ((1, 1), (1,)) and shape_a == ()):
            raise AnswerError(f"the answer has shape {shape_a or 'scalar'}, the quantity has shape {shape_e or 'scalar'}")
    diffs = [sp.sympify(a) - sp.sympify(b) for a, b in zip(want, got)]
    coords = tuple(model.coordinates) if model is not None else ()
    try:
        simplified = simplify_entries(diffs, coords)
    except ValueError:
        simplified = [sp.simplify(d) for d in diffs]
    shaped = _reshape(simplified, shape_e)
    if all(d == 0 for d in simplified):
        return CheckResult(True, shaped, "symbolic")
    if model is not None and _numerically_zero(simplified, model, points, rng):
        return CheckResult(True, shaped, f"numerically at {points} random points")
    return CheckResult(False, shaped, "symbolic", f"difference (expected - answer) = {shaped}")


def _reshape(entries, shape):
    if shape == ():
        return entries[0]
    if len(shape) == 2:
        return sp.Matrix(shape[0], shape[1], entries)
    return sp.ImmutableDenseNDimArray(entries, shape)


def _numerically_zero(diffs, model, points, rng):
    rng = np.random.default_rng(rng)
    second = model.second_point()
    with mpmath.workdps(30):
        for _ in range(points):
            # exact rationals, so that the 30-digit evaluation is not limited by float inputs
            subs = {k: sp.Rational(v) for k, v in zip(model.coordinates, model.random_point(rng))}
            subs.update({k: sp.Rational(v) for k, v in zip(second, model.random_point(rng))})
            subs.update({k: sp.Rational(v) for k, v in model.constants.items()})
            for d in diffs:
                try:
                    v = complex(sp.N(d.subs(subs), 30))
                except (TypeError, ValueError):
                    return False
                if not abs(v) < 1e-20:
                    return False
    return True
