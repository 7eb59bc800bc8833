"""symbolic.budget: the toolkit's one SIGALRM timer (issue 11), used by derivations, the grader,
the divergences and the declaration check. Each test measures wall-clock time only to see that a
deadline fired (generous bounds: the CI machine is shared); results are checked elsewhere.
"""
from __future__ import annotations

import signal
import threading
import time

import pytest
import sympy as sp

from symbolic import budget
from symbolic.divergences import f_divergence, kl_divergence_closed_form
from symbolic.errors import NotClosedFormError
from symbolic.model import SampleSpace, StatisticalModel, parameter
from symbolic.verify import check_answer


def spin(seconds):
    """Busy Python bytecode (a SIGALRM is handled between bytecodes; time.sleep too)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def _no_timer_left():
    return not budget.active() and signal.getitimer(signal.ITIMER_REAL)[0] == 0


def test_a_time_limit_stops_its_block_and_carries_on():
    start = time.monotonic()
    with budget.time_limit(0.1) as limit:
        spin(5)
    assert limit.expired and time.monotonic() - start < 2
    with budget.time_limit(5) as limit:
        spin(0.01)
    assert not limit.expired
    assert _no_timer_left()


def test_an_inner_limit_never_takes_the_outer_deadline_for_its_own():
    """The inner limit (5 s) is clipped to the outer deadline (0.1 s): both pass at once, and
    the outer one raises through the inner block instead of being absorbed by it.
    """
    start = time.monotonic()
    with pytest.raises(budget.OutOfTime) as info, budget.deadline(0.1) as outer:
        with budget.time_limit(5) as inner:
            spin(5)
    assert info.value.deadline is outer and not inner.expired
    assert time.monotonic() - start < 2
    assert _no_timer_left()


def test_an_inner_limit_that_passes_rearms_the_outer_deadline():
    start = time.monotonic()
    with pytest.raises(budget.OutOfTime) as info, budget.deadline(0.4) as outer:
        with budget.time_limit(0.05) as inner:
            spin(5)
        assert inner.expired
        spin(5)   # the outer deadline still fires after the inner one was left
    assert info.value.deadline is outer
    assert time.monotonic() - start < 3
    assert _no_timer_left()


def test_deadline_exception_classes():
    class Mine(budget.OutOfTime):
        pass

    with pytest.raises(Mine), budget.deadline(0.05, exception=Mine):
        spin(5)
    with pytest.raises(TypeError, match="exception must be OutOfTime"), budget.deadline(1, exception=KeyError):
        pass
    # an inner time_limit (symbolic.volume's, mixture_family's) absorbs only its own expiry:
    # an enclosing deadline passes through it
    with pytest.raises(budget.OutOfTime) as info, budget.deadline(0.05) as outer:
        with budget.time_limit(10) as inner:
            spin(5)
    assert info.value.deadline is outer and not inner.expired
    assert _no_timer_left()


def test_outside_the_main_thread_blocks_run_to_their_end():
    seen = {}

    def work():
        with budget.time_limit(0.01) as limit:
            spin(0.1)
        seen["expired"] = limit.expired
        with budget.deadline(0.01) as handle:
            spin(0.05)
        seen["handle"] = handle

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen == {"expired": False, "handle": None}


def _hard_model():
    # a density sympy does not integrate in closed form against its own log-ratio
    a, x = parameter("a", 0, typical=(0.5, 2)), sp.Symbol("x", real=True)
    c = sp.Symbol("c", positive=True)
    logp = -x**4 * a.symbol - sp.log(sp.gamma(sp.Rational(1, 4)) / (2 * a.symbol**sp.Rational(1, 4))) \
        + sp.log(1 + sp.sin(x)**2 / (1 + c))
    return StatisticalModel("Hard", [a], SampleSpace.interval(x), logp)


def test_the_divergence_budgets_fire():
    M = _hard_model()
    start = time.monotonic()
    with pytest.raises(NotClosedFormError, match="within 0.2 s"):
        kl_divergence_closed_form(M, timeout=0.2)
    with pytest.raises(NotClosedFormError, match="within 0.2 s"):
        f_divergence(M, lambda t: (sp.sqrt(t) - 1) ** 2, timeout=0.2)
    assert time.monotonic() - start < 10
    assert _no_timer_left()


def test_the_grader_budget_fires_inside_a_derivation_budget():
    """A check nested in a derivation's deadline runs under its own limit, clipped to it (the
    grader's timer used to give up, running with no limit, when another timer was running).
    Unlimited, this comparison takes about 25 s (the degree-2000 normal form, then 30-digit
    values of huge terms); within 0.05 s it is undecided, or incorrect if one point finished.
    """
    x = sp.Symbol("x", positive=True)
    start = time.monotonic()
    with budget.deadline(120):
        verdict = check_answer((x + 1) ** 1000 * (x + 2) ** 1000 + 1, "(x**2 + 3*x + 2)**1000", {"x": x},
                               timeout=0.05)
        assert budget.active()
    assert time.monotonic() - start < 5
    assert not verdict.correct and verdict.verdict in ("undecided", "incorrect"), repr(verdict)
    assert _no_timer_left()


def test_an_expiry_swallowed_by_a_bare_except_fires_again():
    """The mpmath library has bare ``except:`` clauses: an OutOfTime raised inside one is lost, and a
    one-shot timer would then let the derivation run without end (a CI run hung so in a
    neuron's mass check). The alarm fires again until the deadline is left.
    """
    start = time.monotonic()
    with pytest.raises(budget.OutOfTime), budget.deadline(0.1):
        try:
            spin(5)
        except BaseException:  # noqa: BLE001 - what the bare excepts do
            pass
        spin(5)
    assert time.monotonic() - start < 2
    assert _no_timer_left()


def test_the_alarm_never_strikes_inside_a_weak_containers_callback():
    # a CI run printed "Exception ignored in: WeakSet.__init__.<locals>._remove ... OutOfTime":
    # the frames of the standard library's weak containers are not interruptible
    import sys
    import weakref

    class Thing:
        pass

    frames = []

    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_name == "_remove":
            frames.append(frame)

    things = weakref.WeakSet()
    thing = Thing()
    things.add(thing)
    sys.setprofile(profile)
    try:
        del thing  # WeakSet._remove runs as the weakref callback
    finally:
        sys.setprofile(None)
    assert frames and all(budget._not_interruptible(f) for f in frames)
    assert not budget._not_interruptible(sys._getframe())


def test_an_expiry_inside_a_finaliser_or_gc_callback_waits_for_the_derivation():
    """An alarm that strikes inside a ``weakref.finalize`` or a ``gc.callbacks`` function would
    raise where Python can only print the exception as "ignored" (two CI warnings did so); it
    waits until the interrupted code is the derivation's own, which then gets the OutOfTime.
    """
    import gc
    import warnings
    import weakref

    class Thing:
        pass

    def slow_finaliser():
        spin(0.3)

    def slow_callback(phase, info):
        if phase == "start":
            spin(0.05)

    gc.callbacks.append(slow_callback)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an unraisable exception would be a warning
            start = time.monotonic()
            with pytest.raises(budget.OutOfTime), budget.deadline(0.1):
                thing = Thing()
                weakref.finalize(thing, slow_finaliser)
                del thing  # the finaliser runs now and outlives the deadline
                assert time.monotonic() - start >= 0.3
                gc.collect()  # the callback runs past nothing: the deadline has long passed
                spin(5)
    finally:
        gc.callbacks.remove(slow_callback)
    assert time.monotonic() - start < 4.5  # not the spin's 5 s (3.3 s on a loaded CI machine)
    assert _no_timer_left()
