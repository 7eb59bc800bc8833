"""Time budgets for derivations: a nestable deadline and a note of what is running.

Every symbolic call of :class:`manifolds.StatisticalManifold` (metric, connections, curvature,
duals, divergences) runs under a budget of :func:`default_budget` seconds (settable for the
session with :func:`set_default_budget`, per call with ``timeout=``). When the budget is spent
the call raises :class:`~symbolic.errors.NotClosedFormError` naming the integral or sum that
was running (:func:`step` records it) and the ways forward.

The deadline is a POSIX interval timer (``signal.setitimer``): a ``SIGALRM`` interrupts sympy
between bytecodes with :class:`OutOfTime`, a ``BaseException`` so that sympy's ``except
Exception`` cannot swallow it. This module holds the toolkit's only timer: the grader
(:mod:`symbolic.verify`), the divergences and the declaration check use :func:`deadline` (raise)
or :func:`time_limit` (stop the block and carry on) too. Deadlines nest: an inner one never
outlives the outer one, leaving it re-arms the outer, and the outermost deadline that has
passed is the one that raises, so an inner block cannot take an enclosing deadline's expiry
for its own.

Fallback: the timer is only available on POSIX systems, in the main thread, and when no other
code holds ``ITIMER_REAL``. Elsewhere (Windows, a worker thread, a user's own timer) every
deadline and time limit lets its block run to its end: derivations have no time limit there,
and what keeps a grader's check short are the parser's limits on the answer.
"""
from __future__ import annotations

import _weakrefset
import contextlib
import gc
import math
import os
import signal
import threading
import time
import weakref

from .validation import positive

__all__ = ["OutOfTime", "Deadline", "deadline", "time_limit", "active", "step", "current_step",
           "default_budget", "set_default_budget", "resolve_budget", "DEFAULT_BUDGET", "ENVIRONMENT_VARIABLE"]

#: Seconds a derivation may take unless told otherwise: the environment variable
#: ``INFOGEOM_SYMBOLIC_BUDGET`` (seconds, or ``none`` for no limit) where it is set, else 5 s.
#: The slowest catalog calls take about 3 s on a shared two-core machine (the Student t
#: metric with its declaration check, the Cauchy Amari-Chentsov tensor, the bivariate normal's
#: tensor); ``benchmarks/symbolic_budget.py`` times them all. ``set_default_budget`` changes it
#: for the session, ``timeout=`` for one call.
DEFAULT_BUDGET = 5.0
ENVIRONMENT_VARIABLE = "INFOGEOM_SYMBOLIC_BUDGET"


def _from_environment():
    text = os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower()
    if not text:
        return DEFAULT_BUDGET
    if text in ("none", "inf", "off"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{ENVIRONMENT_VARIABLE} must be a number of seconds or 'none', got {text!r}") from None
    if not value > 0:
        raise ValueError(f"{ENVIRONMENT_VARIABLE} must be > 0 seconds or 'none', got {text!r}")
    return value


_state = {"default": _from_environment()}
# the armed deadlines (Deadline objects), outermost first; their ends never increase inward
_active: list = []
# what the active derivation is evaluating, innermost last (for the out-of-time message)
_steps: list = []
_previous_handler = []
# a timer may fire this early by the monotonic clock (ITIMER_REAL counts wall-clock time)
_SLACK = 1e-3
# after an expiry the timer fires again this often until the deadline is left
_REFIRE = 0.05


class OutOfTime(BaseException):
    """A deadline of :func:`deadline` passed; ``step`` is what was running (or ``None``),
    ``deadline`` the :class:`Deadline` that passed.
    """

    def __init__(self, step=None):
        super().__init__(step)
        self.step = step
        self.deadline = None


def default_budget():
    """The session's budget in seconds for one derivation (``None``: no limit).

    Examples
    --------
    >>> old = set_default_budget(12)
    >>> default_budget()
    12.0
    >>> _ = set_default_budget(old)
    """
    return _state["default"]


def set_default_budget(seconds):
    """Set the budget of every later derivation that is not given ``timeout=``; returns the old one.

    ``seconds`` is a positive number, or ``None`` for no limit.

    Examples
    --------
    >>> old = set_default_budget(30)
    >>> default_budget()
    30.0
    >>> set_default_budget(old)
    30.0
    """
    old = _state["default"]
    _state["default"] = None if seconds is None else resolve_budget(seconds)
    return old


def resolve_budget(timeout, allow_none=True):
    """``timeout`` as seconds: ``None`` gives the session default; a number must be > 0
    (``math.inf`` means no limit).
    """
    if timeout is None:
        return _state["default"] if allow_none else None
    value = positive("timeout", timeout) if not (isinstance(timeout, float) and math.isinf(timeout)) else math.inf
    return None if math.isinf(value) else value


class Deadline:
    """One armed :func:`deadline`: its monotonic ``end``, the exception class it raises, and
    whether it ``expired`` (set by :func:`time_limit` when it stops its block).
    """

    __slots__ = ("seconds", "end", "exception", "expired")

    def __init__(self, seconds, end, exception):
        self.seconds, self.end, self.exception, self.expired = seconds, end, exception, False

    def __repr__(self):
        return f"Deadline({self.seconds:g} s, expired={self.expired})"


def _alarm(signum, frame):
    if not _active:  # a late signal after the outermost deadline was left is ignored
        return
    now = time.monotonic()
    # the outermost deadline that has passed raises: an inner block must not take for its own
    # the expiry of an enclosing one (their ends coincide when the inner was clipped)
    expired = next((d for d in _active if d.end <= now + _SLACK), None)
    if expired is None or (frame is not None and _not_interruptible(frame)):
        # early, inside this module's own bookkeeping (a deadline being left), or inside a
        # finaliser or garbage-collector callback, where an exception cannot reach the
        # derivation (Python prints it as "ignored" and drops it): try again soon
        signal.setitimer(signal.ITIMER_REAL, _SLACK if expired else max(_active[-1].end - now, _SLACK))
        return
    # fire again shortly: code that swallows BaseException (mpmath has bare excepts) must not
    # turn a spent one-shot timer into a derivation without end
    signal.setitimer(signal.ITIMER_REAL, _REFIRE)
    exc = expired.exception(_steps[-1] if _steps else None)
    exc.deadline = expired
    raise exc


def _usable():
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return False
    # a timer that is not ours (a user's) is left alone
    return bool(_active) or signal.getitimer(signal.ITIMER_REAL)[0] == 0


@contextlib.contextmanager
def deadline(seconds, exception=OutOfTime):
    """Interrupt the block with ``exception`` (:class:`OutOfTime` or a subclass) after
    ``seconds`` (``None``: no new limit); yields the :class:`Deadline`, or ``None`` where no
    timer is available (see the module notes).

    Nested deadlines end no later than the enclosing one. When several have passed, the
    outermost raises, and the exception's ``deadline`` attribute says which one it was.

    Examples
    --------
    >>> import time
    >>> try:
    ...     with deadline(0.05):
    ...         time.sleep(1)
    ... except OutOfTime:
    ...     print("out of time")
    out of time
    """
    if not (isinstance(exception, type) and issubclass(exception, OutOfTime)):
        raise TypeError(f"exception must be OutOfTime or a subclass of it, got {exception!r}")
    if seconds is None or not _usable():
        yield None
        return
    now = time.monotonic()
    end = now + seconds if not _active else min(now + seconds, _active[-1].end)
    if not _active:
        _previous_handler.append(signal.signal(signal.SIGALRM, _alarm))
    handle = Deadline(seconds, end, exception)
    try:
        # inside the try: an enclosing deadline may strike at any bytecode, and a deadline
        # left in _active would end every later one at once
        _active.append(handle)
        signal.setitimer(signal.ITIMER_REAL, max(end - now, _SLACK))
        yield handle
    finally:
        if any(d is handle for d in _active):
            _active.remove(handle)
        if _active:
            signal.setitimer(signal.ITIMER_REAL, max(_active[-1].end - time.monotonic(), _SLACK))
        else:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, _previous_handler.pop())


@contextlib.contextmanager
def time_limit(seconds):
    """Stop the block after ``seconds`` and carry on after it: yields a :class:`Deadline`
    whose ``expired`` says whether the block was stopped. Only this limit's own expiry is
    absorbed; an enclosing deadline that passes meanwhile propagates as usual.

    Where no timer is available the block runs to its end (``expired`` stays False).

    Examples
    --------
    >>> import time
    >>> with time_limit(0.05) as limit:
    ...     time.sleep(1)
    >>> limit.expired
    True
    >>> with time_limit(5) as limit:
    ...     pass
    >>> limit.expired
    False
    """
    handle = None
    try:
        with deadline(seconds) as handle:
            # the expiry may also strike as the deadline is left: caught out here with the block's
            yield handle if handle is not None else Deadline(seconds, math.inf, OutOfTime)
    except OutOfTime as exc:
        if handle is None or exc.deadline is not handle:
            raise
        handle.expired = True


# the frames the alarm never interrupts: leaving a deadline must finish its bookkeeping
_OWN_CODE = frozenset({deadline.__wrapped__.__code__, time_limit.__wrapped__.__code__})
_FINALIZER_CODE = weakref.finalize.__call__.__code__
# the weak containers' removal callbacks (WeakSet._remove, WeakValueDictionary's remove, ...):
# an exception there is printed as "ignored", or leaves the container half-updated
_WEAKREF_FILES = frozenset({weakref.__file__, _weakrefset.__file__})


def _not_interruptible(frame, depth=4):
    """Whether the alarm struck in this module's bookkeeping, in a ``weakref.finalize`` call,
    a ``__del__``, a ``gc.callbacks`` function or the weak containers of the standard library
    (checked on the innermost ``depth`` frames). A weakref callback of the user's own cannot
    be told from ordinary code: there the exception is still printed as "ignored".
    """
    if frame.f_code in _OWN_CODE:
        return True
    callbacks = {getattr(cb, "__code__", None) for cb in gc.callbacks}
    while frame is not None and depth > 0:
        code = frame.f_code
        if (code is _FINALIZER_CODE or code.co_name == "__del__" or code in callbacks
                or code.co_filename in _WEAKREF_FILES):
            return True
        frame, depth = frame.f_back, depth - 1
    return False


def active():
    """Whether a :func:`deadline` is running (a derivation inside another one shares its budget)."""
    return bool(_active)


@contextlib.contextmanager
def step(text):
    """Record ``text`` (the integral being evaluated, say) as what is running inside the block."""
    _steps.append(text)
    try:
        yield
    finally:
        _steps.pop()


def current_step():
    """What the innermost :func:`step` says is running, or ``None``."""
    return _steps[-1] if _steps else None
