"""The fuzz harness: run one call, classify its outcome, count inputs per area.

Every fuzz test sends each input through :func:`call_checked`, which sorts the outcome into

* ``ok``: a result whose numbers are finite (or infinite where the exact value overflows
  float64) and agree with an independent reference when the caller passes one;
* ``error``: an exception of the documented policy (``docs/errors.md``) whose message names
  the parameter or the cause;
* ``status``: an iterative method's result whose ``status`` says it failed, with a message;
* ``FAIL``: anything else: another exception type, an empty or anonymous message, a NaN in a
  result that no status flags, a value that disagrees with the reference, a call over its
  time budget, or (for the string area) a side effect such as a created file.

Failures are collected per test and reported together by :meth:`FuzzLog.assert_clean`, so
one run lists every offending input instead of the first one hypothesis shrinks to.
``INFOGEOM_FUZZ_REPORT=path`` writes the counts per area and the longest call as JSON
(see ``tests/fuzz/conftest.py``).
"""
from __future__ import annotations

import contextlib
import dataclasses
import enum
import faulthandler
import re
import signal
import threading
import time
import traceback
import warnings

import numpy as np

from symbolic.errors import (
    AnswerError,
    DerivationError,
    DomainError,
    IntegrationError,
    NotClosedFormError,
    OptimizationError,
    ShootingError,
    SingularMatrixError,
)

#: Exception types a public function may raise on bad input (docs/errors.md). Subclasses
#: count (DomainError and AnswerError are ValueErrors); numpy's plain LinAlgError does not:
#: the policy promises SingularMatrixError, which names the damping that would help.
DOCUMENTED = (TypeError, ValueError, DomainError, AnswerError, SingularMatrixError, NotClosedFormError,
              DerivationError)
#: Raised by ``throw=True`` runs (and by ``exp``, documented to raise when a geodesic leaves).
RAISED_STATUSES = (IntegrationError, ShootingError, OptimizationError)

# A hung compiled loop cannot be interrupted from Python; past this multiple of the budget the
# process dumps its stacks and exits, so CI fails loudly instead of stalling.
HARD_FACTOR = 20


class BudgetExceeded(BaseException):
    """Raised into the main thread when a call runs past its budget (a BaseException, so that
    the code under test cannot swallow it with ``except Exception``).
    """


@dataclasses.dataclass
class Outcome:
    kind: str  # "ok", "error", "status" or "FAIL"
    detail: str
    seconds: float
    value: object = None


@dataclasses.dataclass
class AreaStats:
    inputs: int = 0
    ok: int = 0
    error: int = 0
    status: int = 0
    failures: int = 0
    longest_s: float = 0.0
    longest_call: str = ""


STATS: dict[str, AreaStats] = {}


def describe(value, limit=120):
    """A short repr for reports (arrays summarised, long strings cut)."""
    if isinstance(value, np.ndarray):
        if value.size <= 8:
            text = f"array({value.tolist()!r}, dtype={value.dtype})"
        else:
            text = f"array(shape={value.shape}, dtype={value.dtype}, first={value.ravel()[:3].tolist()})"
    else:
        try:
            text = repr(value)
        except Exception as exc:  # a hostile object may refuse repr; still report it
            text = f"<{type(value).__name__}: repr failed {type(exc).__name__}>"
    return text if len(text) <= limit else text[: limit - 20] + f"...<{len(text)} chars>"


def _call_text(fn, args, kwargs):
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or describe(fn)
    parts = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _finite_or_overflow(values, reference=None):
    """Indices of entries that are NaN, or infinite where the reference is finite."""
    a = np.asarray(values, dtype=np.float64)
    bad = np.isnan(a)
    inf = np.isinf(a)
    if reference is None:
        bad |= inf
    else:
        r = np.broadcast_to(np.asarray(reference, dtype=np.float64), a.shape)
        # an exact value beyond float64's range rounds to inf of the same sign: correct
        bad |= inf & ~(np.isinf(r) & (np.sign(r) == np.sign(a)))
    return np.argwhere(bad)


def _numbers(value, seen=None, depth=0):
    """Every float array inside a result (arrays, numbers, tuples, dataclasses), with a path."""
    if depth > 4:
        return
    if isinstance(value, (bool, np.bool_, enum.Enum, str, bytes)) or value is None:
        return
    if isinstance(value, (float, np.floating, int, np.integer)):
        yield "", np.asarray(float(value))
    elif isinstance(value, np.ndarray):
        if value.dtype.kind in "fc":
            yield "", value
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            for p, a in _numbers(v, seen, depth + 1):
                yield f"[{i}]{p}", a
    elif isinstance(value, dict):
        for k, v in value.items():
            for p, a in _numbers(v, seen, depth + 1):
                yield f"[{k!r}]{p}", a
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            for p, a in _numbers(getattr(value, f.name), seen, depth + 1):
                yield f".{f.name}{p}", a


def _failed_rows_mask(value):
    """For batched results with a per-row status array: True where that row failed."""
    status = getattr(value, "status", None)
    if isinstance(status, np.ndarray) and status.dtype.kind in "iu":
        return status != 0
    return None


def _names_cause(message, names):
    if not message or not message.strip():
        return False
    if not names:
        return len(message.strip()) >= 8
    for n in names:
        if re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9])", message):
            return True
    return False


def classify_result(value, reference=None, rtol=1e-8, atol=0.0, compare=None):
    """``(kind, detail)`` for a returned value (see the module docstring)."""
    status = getattr(value, "status", None)
    ok_attr = getattr(value, "ok", None)
    if status is not None and isinstance(ok_attr, bool) and not ok_attr:
        message = getattr(value, "message", "")
        if not isinstance(message, str) or len(message.strip()) < 8:
            return "FAIL", f"failed status {status!r} without a message"
        mask = _failed_rows_mask(value)
        if mask is None:
            return "status", message
        # rows whose own status is SUCCESS must still be finite
        for path, arr in _numbers(value):
            if arr.ndim >= mask.ndim and arr.shape[: mask.ndim] == mask.shape:
                good = arr[~mask]
                if _finite_or_overflow(good).size:
                    return "FAIL", f"NaN/inf in {path} of a row whose status is SUCCESS"
        return "status", message
    for path, arr in _numbers(value):
        if arr.dtype.kind == "c":
            return "FAIL", f"complex result in {path}"
        if path and reference is None:
            # a nested field (an objective value) may overflow honestly: only NaN is silent
            where = np.argwhere(np.isnan(arr))
        else:
            where = _finite_or_overflow(arr, reference if path == "" else None)
        if where.size:
            idx = tuple(int(i) for i in where[0])
            return "FAIL", f"non-finite {np.asarray(arr)[idx]} at {path}{list(idx)} not flagged by a status"
    if compare is not None:
        problem = compare(value)
        if problem:
            return "FAIL", f"wrong value: {problem}"
    elif reference is not None:
        # an optimiser's path is compared through its last iterate
        a = np.asarray(value.x if hasattr(value, "xs") else value, dtype=np.float64)
        r = np.asarray(reference, dtype=np.float64)
        if a.shape != r.shape:
            return "FAIL", f"shape {a.shape}, reference shape {r.shape}"
        fin = np.isfinite(r) & np.isfinite(a)
        if np.any(np.isfinite(a) & ~np.isfinite(r)):
            return "FAIL", "wrong value: finite where the exact value overflows or is undefined"
        scale = np.max(np.abs(r[np.isfinite(r)]), initial=0.0)
        # per entry relative, plus a floor relative to the largest entry (rounding of sums),
        # plus 1e-290 absolute: an exact value that small may underflow in float64 steps
        tol = (rtol * np.abs(r) + 1e-11 * scale + atol + 1e-290)[fin]
        with np.errstate(invalid="ignore", over="ignore"):
            err = np.abs(a - r)[fin]
        if err.size and not np.all(err <= tol):
            k = int(np.argmax(err / np.where(tol > 0, tol, np.inf)))
            return "FAIL", (f"wrong value: |result - reference| = {err[k]:.3g} > {tol[k]:.3g} "
                            f"(result {a[fin][k]!r}, reference {r[fin][k]!r})")
    return "ok", ""


def _origin(exc):
    """``file:line`` of the innermost frame that raised, for the report."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    f = frames[-1]
    return f" [raised at {'/'.join(f.filename.split('/')[-2:])}:{f.lineno}]"


def classify_exception(exc, names=()):
    kind, detail = _classify_exception(exc, names)
    if kind == "FAIL":
        detail += _origin(exc)
    return kind, detail


def _classify_exception(exc, names=()):
    message = str(exc)
    if isinstance(exc, RAISED_STATUSES):
        if len(message.strip()) < 8:
            return "FAIL", f"{type(exc).__name__} without a message"
        return "status", f"{type(exc).__name__}: {message}"
    if isinstance(exc, np.linalg.LinAlgError) and not isinstance(exc, SingularMatrixError):
        return "FAIL", f"undocumented numpy LinAlgError: {message}"
    if isinstance(exc, DOCUMENTED):
        if not _names_cause(message, names):
            return "FAIL", (f"{type(exc).__name__} whose message names none of {list(names)}: "
                            f"{message[:200]!r}")
        return "error", f"{type(exc).__name__}: {message[:200]}"
    return "FAIL", f"undocumented {type(exc).__module__}.{type(exc).__name__}: {message[:300]}"


@contextlib.contextmanager
def _budget(seconds):
    """Interrupt Python-level loops past ``seconds``; a hard exit far past it (see HARD_FACTOR)."""
    main = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if not main:
        yield
        return

    def alarm(signum, frame):
        raise BudgetExceeded(f"over budget of {seconds:g} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds * 1.5 + 0.5)
    faulthandler.dump_traceback_later(seconds * HARD_FACTOR + 30, exit=True)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, old)


class FuzzLog:
    """Collects the failures of one test; :meth:`assert_clean` fails it listing them all."""

    def __init__(self):
        self.failures = []

    def assert_clean(self, limit=40):
        if not self.failures:
            return
        kinds = {}
        for area, call, detail in self.failures:
            key = re.sub(r"[-+]?\d[\d.e+-]*", "#", detail)[:120]
            kinds.setdefault(key, []).append((area, call, detail))
        lines = [f"{len(self.failures)} fuzz failures in {len(kinds)} classes:"]
        for group in list(kinds.values())[:limit]:
            area, call, detail = group[0]
            lines.append(f"- [{area}] x{len(group)}: {call}\n    -> {detail}")
        raise AssertionError("\n".join(lines))


CURRENT = FuzzLog()


def record(area, call, outcome):
    stats = STATS.setdefault(area, AreaStats())
    stats.inputs += 1
    if outcome.kind == "FAIL":
        stats.failures += 1
        CURRENT.failures.append((area, call, outcome.detail))
    else:
        setattr(stats, outcome.kind, getattr(stats, outcome.kind) + 1)
    if outcome.seconds > stats.longest_s:
        stats.longest_s, stats.longest_call = outcome.seconds, call


_WARMED = set()


def warm_up(key, fn, *args, **kwargs):
    """Call ``fn`` once per ``key``, outside any budget, and ignore what it gives: first-call
    derivations and numba compiles are not the fuzzed call's time. Under load they outran the
    budget, and the budget's interrupt inside a numba compile left that dispatcher broken for
    the rest of the process (``RuntimeError: no compiled object yet``).
    """
    if key in _WARMED:
        return
    _WARMED.add(key)
    try:
        fn(*args, **kwargs)
    except Exception:  # noqa: BLE001 - only the compiles matter here
        pass


def call_checked(area, fn, *args, budget_s=2.0, names=(), reference=None, ref_rtol=1e-8, ref_atol=0.0,
                 compare=None, expect=None, **kwargs):
    """Run ``fn(*args, **kwargs)`` once, classify and count it (see the module docstring).

    Parameters
    ----------
    area : str
        Where the count goes (``strings``, ``kernels``, ...).
    budget_s : float
        Time allowed for the call; longer is a failure (Python loops are interrupted).
    names : sequence of str
        Words one of which a documented error's message must contain (the parameter or
        the cause); empty: any message of a few words.
    reference : array_like or callable, optional
        The exact value (or a function of the result returning ``None`` or a complaint,
        via ``compare``); ``ref_rtol`` per entry, ``ref_atol`` absolute (named so that the
        function's own ``rtol``/``atol`` pass through).
    expect : "error", an exception class, or None
        The input is invalid, so a result (rather than an error or failed status) is itself
        a failure (a point outside the domain accepted); a class also requires that type
        (``TypeError`` for a wrong type, as docs/errors.md says).
    """
    call = _call_text(fn, args, kwargs)
    start = time.perf_counter()
    value = None
    returned = False
    try:
        with _budget(budget_s), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = fn(*args, **kwargs)
        seconds = time.perf_counter() - start
        returned = True
    except BudgetExceeded as exc:
        seconds = time.perf_counter() - start
        kind, detail = "FAIL", f"hang: interrupted {exc}"
    except RecursionError as exc:
        seconds = time.perf_counter() - start
        kind, detail = "FAIL", f"RecursionError: {str(exc)[:100]}"
    except Exception as exc:  # classifying every exception is the point of the harness
        seconds = time.perf_counter() - start
        kind, detail = classify_exception(exc, names)
        if kind == "error" and isinstance(expect, type) and not isinstance(exc, expect):
            kind, detail = "FAIL", (f"policy (docs/errors.md) says {expect.__name__}, got "
                                    f"{type(exc).__name__}: {str(exc)[:150]}")
    if returned:
        if callable(reference):
            reference = reference()
        with np.errstate(all="ignore"):
            kind, detail = classify_result(value, reference, ref_rtol, ref_atol, compare)
        if kind == "ok" and expect is not None:
            kind, detail = "FAIL", f"invalid input accepted: returned {describe(value)}"
    if kind != "FAIL" and seconds > budget_s:
        kind, detail = "FAIL", f"took {seconds:.2f} s, over its budget of {budget_s:g} s"
    outcome = Outcome(kind, detail, seconds, value)
    record(area, call, outcome)
    return outcome

