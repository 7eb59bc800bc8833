"""Time budgets for derivations: a nestable deadline and a note of what is running.

Every symbolic call of :class:`manifolds.StatisticalManifold` (metric, connections, curvature,
duals, divergences) runs under a budget of :func:`default_budget` seconds (settable for the
session with :func:`set_default_budget`, per call with ``timeout=``). When the budget is spent
the call raises :class:`~symbolic.errors.NotClosedFormError` naming the integral or sum that
was running (:func:`step` records it) and the ways forward.

The deadline is a POSIX interval timer (``signal.setitimer``): a ``SIGALRM`` interrupts sympy
between bytecodes with :class:`OutOfTime`, a ``BaseException`` so that sympy's ``except
Exception`` cannot swallow it. Deadlines nest: an inner one never outlives the outer one, and
leaving it re-arms the outer. The timer is only available on POSIX systems, in the main
thread, and when no other code holds ``ITIMER_REAL``; elsewhere derivations run without a
deadline (the same rule as :mod:`symbolic.verify`).
"""
from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time

from .validation import positive

__all__ = ["OutOfTime", "deadline", "active", "step", "current_step", "default_budget", "set_default_budget",
           "resolve_budget", "DEFAULT_BUDGET", "ENVIRONMENT_VARIABLE"]

#: Seconds a derivation may take unless told otherwise: the environment variable
#: ``INFOGEOM_SYMBOLIC_BUDGET`` (seconds, or ``none`` for no limit) where it is set, else 30 s
#: (the slowest catalog derivation, Dirichlet(3)'s curvature, takes 5 to 20 s on a shared
#: two-core machine). ``set_default_budget`` changes it for the session.
DEFAULT_BUDGET = 30.0
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
# absolute monotonic end times of the active deadlines, innermost last
_ends: list = []
# what the active derivation is evaluating, innermost last (for the out-of-time message)
_steps: list = []
_previous_handler = []


class OutOfTime(BaseException):
    """A deadline of :func:`deadline` passed; ``step`` is what was running (or ``None``)."""

    def __init__(self, step=None):
        super().__init__(step)
        self.step = step


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
    _state["default"] = resolve_budget(seconds, allow_none=True)
    return old


def resolve_budget(timeout, allow_none=True):
    """``timeout`` as seconds: ``None`` gives the session default; a number must be > 0
    (``math.inf`` means no limit).
    """
    if timeout is None:
        return _state["default"] if allow_none else None
    value = positive("timeout", timeout) if not (isinstance(timeout, float) and math.isinf(timeout)) else math.inf
    return None if math.isinf(value) else value


def _alarm(signum, frame):
    if _ends:  # a late signal after the outermost deadline was left is ignored
        raise OutOfTime(_steps[-1] if _steps else None)


def _usable():
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return False
    # a timer that is not ours (verify's, a user's) is left alone
    return bool(_ends) or signal.getitimer(signal.ITIMER_REAL)[0] == 0


@contextlib.contextmanager
def deadline(seconds):
    """Interrupt the block with :class:`OutOfTime` after ``seconds`` (``None``: no new limit).

    Nested deadlines end no later than the enclosing one.

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
    if seconds is None or not _usable():
        yield
        return
    now = time.monotonic()
    end = now + seconds if not _ends else min(now + seconds, _ends[-1])
    if not _ends:
        _previous_handler.append(signal.signal(signal.SIGALRM, _alarm))
    _ends.append(end)
    try:
        signal.setitimer(signal.ITIMER_REAL, max(end - now, 1e-3))
        yield
    finally:
        _ends.pop()
        if _ends:
            signal.setitimer(signal.ITIMER_REAL, max(_ends[-1] - time.monotonic(), 1e-3))
        else:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, _previous_handler.pop())


def active():
    """Whether a :func:`deadline` is running (a derivation inside another one shares its budget)."""
    return bool(_ends)


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
