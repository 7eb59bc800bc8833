"""The exercise verifier: it decides whether an answer equals a derived quantity.

Strings are read by the safe parser (:mod:`symbolic.parsing`), never executed. The
comparison has a time budget (``timeout``, seconds): the exact normal form of the
difference gets the first 60 % of it, the 30-digit comparison at random points the rest. The
budget is enforced with ``signal.setitimer`` (a ``SIGALRM`` interrupts sympy between
bytecodes); that is only possible on POSIX systems in the main thread, and when no other
interval timer is running. Elsewhere the comparison runs without a deadline, and what keeps it
short are the parser's limits on the answer (no numeric powers with more than 10^4 digits, no
factorials of large numbers, bounded length and exponents). A check that runs out of time
returns an *undecided* :class:`CheckResult` (falsy, ``decided`` False) that says so.
"""
from __future__ import annotations

import contextlib
import signal
import threading
import time

import mpmath
import numpy as np
import sympy as sp

from .algebra import flat, simplify_entries
from .errors import AnswerError
from .parsing import parse_expression, to_sympy
from .validation import positive

__all__ = ["CheckResult", "check_answer", "parse_answer"]

#: Seconds a check may spend comparing, unless told otherwise.
DEFAULT_TIMEOUT = 5.0
# the exact normal form's share of the budget; the numeric comparison gets the rest
_SYMBOLIC_SHARE = 0.6


class CheckResult:
    """The verdict of :func:`check_answer`: truthy when the answer is correct.

    ``decided`` is False when the comparison ran out of time; such a result is falsy and its
    ``message`` says so.
    """

    def __init__(self, correct, difference, how, message="", decided=True):
        self.correct = bool(correct)
        self.difference = difference
        self.how = how
        self.message = message
        self.decided = bool(decided)

    def __bool__(self):
        return self.correct

    def __repr__(self):
        if self.correct:
            return "CheckResult(correct)" if self.how == "symbolic" else f"CheckResult(correct, {self.how})"
        if not self.decided:
            return f"CheckResult(undecided: {self.message})"
        return f"CheckResult(incorrect: {self.message})"

    def _repr_latex_(self):
        if self.correct:
            return r"$\text{correct}$"
        if not self.decided:
            return r"$\text{undecided: " + self.message.replace("$", "") + "}$"
        return r"$\text{incorrect: expected} - \text{answer} = " + sp.latex(self.difference) + "$"


class _OutOfTime(BaseException):
    """Raised by the alarm; a BaseException so that sympy's ``except Exception`` does not eat it."""


def _alarm(signum, frame):
    raise _OutOfTime


@contextlib.contextmanager
def _deadline(seconds):
    """Interrupt the block with :class:`_OutOfTime` after ``seconds`` where a POSIX interval
    timer is available to this thread and not used by anyone else; otherwise no deadline.
    """
    usable = (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
              and signal.getitimer(signal.ITIMER_REAL)[0] == 0)
    if not usable:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _to_sympy_entries(value, symbols):
    if isinstance(value, (list, tuple)):
        return [_to_sympy_entries(v, symbols) for v in value]
    if isinstance(value, str):
        return parse_expression(value, symbols, name="answer")
    return to_sympy(value, "answer")


def parse_answer(answer, symbols):
    """Read an answer (a string, a sympy object, a number or a nested list of them) with the
    model's symbols.

    Strings go through :func:`symbolic.parsing.parse_expression`; nothing is executed.

    Raises
    ------
    AnswerError
        when the string is refused or unreadable, or uses names the model does not know.
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
        value = parse_expression(answer, symbols, name="answer")
    else:
        value = _to_sympy_entries(answer, symbols)
        if isinstance(value, (sp.Basic, sp.MatrixBase, sp.NDimArray)):
            # the user's own Symbol('sigma') means the model's sigma
            value = value.xreplace({s: symbols[s.name] for s in getattr(value, "free_symbols", ())
                                    if s.name in symbols})
    if isinstance(value, list):
        try:
            value = sp.Array(value)
        except (ValueError, TypeError) as exc:
            raise AnswerError(f"the answer {answer!r} is not a rectangular array: {exc}") from exc
        value = value.applyfunc(lambda e: e.xreplace({s: symbols[s.name] for s in e.free_symbols
                                                      if s.name in symbols}))
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


def check_answer(expected, answer, symbols, model=None, points=4, rng=1234, timeout=DEFAULT_TIMEOUT):
    """Compare ``answer`` with ``expected``: exact normal forms first, then mpmath at random
    points of the model's domain (30 digits) when the normal form is not conclusive.

    ``timeout`` (seconds) bounds the comparison (see the module); a comparison that runs out
    of time gives an undecided result instead of running on.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x", positive=True)
    >>> check_answer(sp.log(x**2), "2*log(x)", {"x": x})
    CheckResult(correct)
    >>> check_answer(x, "x**2", {"x": x})
    CheckResult(incorrect: difference (expected - answer) = -x*(x - 1))
    """
    timeout = positive("timeout", timeout)
    value = parse_answer(answer, symbols)
    shape_e, want = _entries(expected)
    shape_a, got = _entries(value)
    if shape_a != shape_e:
        if not (shape_e in ((1, 1), (1,)) and shape_a == ()):
            raise AnswerError(f"the answer has shape {shape_a or 'scalar'}, the quantity has shape {shape_e or 'scalar'}")
    diffs = [sp.sympify(a, strict=True) - sp.sympify(b, strict=True) for a, b in zip(want, got, strict=True)]
    coords = tuple(model.coordinates) if model is not None else ()
    start = time.perf_counter()
    simplified = None
    try:
        with _deadline(_SYMBOLIC_SHARE * timeout):
            try:
                simplified = simplify_entries(diffs, coords)
            except ValueError:
                simplified = [sp.simplify(d) for d in diffs]
    except _OutOfTime:
        simplified = None
    if simplified is not None and all(d == 0 for d in simplified):
        return CheckResult(True, _reshape(simplified, shape_e), "symbolic")
    numeric, timed_out = None, False  # numeric: True zero, False non-zero, None unknown
    if model is not None:
        left = max(timeout - (time.perf_counter() - start), (1 - _SYMBOLIC_SHARE) * timeout)
        try:
            with _deadline(left):
                numeric = _numerically_zero(simplified if simplified is not None else diffs, model, points, rng)
        except _OutOfTime:
            timed_out = True
    if numeric:
        shaped = _reshape(simplified if simplified is not None else diffs, shape_e)
        return CheckResult(True, shaped, f"numerically at {points} random points")
    if simplified is not None and not timed_out:
        shaped = _reshape(simplified, shape_e)
        return CheckResult(False, shaped, "symbolic", f"difference (expected - answer) = {shaped}")
    if numeric is False:
        shaped = _reshape(diffs, shape_e)
        return CheckResult(False, shaped, "numerically", f"the answer differs at a random point; "
                           f"difference (expected - answer, not simplified within {timeout:g} s) = {shaped}")
    shaped = _reshape(simplified if simplified is not None else diffs, shape_e)
    return CheckResult(False, shaped, "undecided", f"could not decide within {timeout:g} s; pass a "
                       f"larger timeout or a simpler form of the answer", decided=False)


def _reshape(entries, shape):
    if shape == ():
        return entries[0]
    if len(shape) == 2:
        return sp.Matrix(shape[0], shape[1], entries)
    return sp.ImmutableDenseNDimArray(entries, shape)


def _numerically_zero(diffs, model, points, rng):
    """True when every difference vanishes to 20 digits at every point, False when one does
    not, None when one cannot be evaluated.
    """
    rng = np.random.default_rng(rng)
    second = model.second_point()
    with mpmath.workdps(30):
        for _ in range(points):
            # exact rationals, so that the 30-digit evaluation is not limited by float inputs
            subs = {k: sp.Rational(v) for k, v in zip(model.coordinates, model.random_point(rng), strict=True)}
            subs.update({k: sp.Rational(v) for k, v in zip(second, model.random_point(rng), strict=True)})
            subs.update({k: sp.Rational(v) for k, v in model.constants.items()})
            for d in diffs:
                try:
                    v = complex(sp.N(d.subs(subs), 30))
                except (TypeError, ValueError, ArithmeticError):
                    return None
                if not abs(v) < 1e-20:
                    return False
    return True
