"""The progress line (symbolic.progress): shown only for slow steps, switched off on request."""
import io
import time

import pytest

from symbolic import progress as P


@pytest.fixture(autouse=True)
def _restore():
    yield
    P.enable(None)


def test_slow_step_reports_label_and_total_time():
    stream = io.StringIO()
    P.enable(True)
    with P.progress("a slow step", stream=stream, delay=0.05):
        time.sleep(0.7)
    text = stream.getvalue()
    assert "infogeom: a slow step ... " in text
    last = text.rsplit("\r", 1)[-1]
    assert last.startswith("infogeom: a slow step: done in ") and last.endswith(" s\n")
    assert float(last.split("done in ")[1].split()[0]) >= 0.7


def test_quick_step_prints_nothing():
    stream = io.StringIO()
    P.enable(True)
    with P.progress("quick", stream=stream, delay=5):
        pass
    assert stream.getvalue() == ""


@pytest.mark.parametrize("value", ["0", "false", "OFF", "no"])
def test_environment_switches_it_off(monkeypatch, value):
    monkeypatch.setenv("INFOGEOM_PROGRESS", value)
    stream = io.StringIO()
    with P.progress("slow", stream=stream, delay=0.0):
        time.sleep(0.1)
    assert stream.getvalue() == "" and not P.enabled()


def test_session_switch_overrides_the_environment(monkeypatch):
    monkeypatch.setenv("INFOGEOM_PROGRESS", "1")
    P.enable(False)
    assert not P.enabled()
    stream = io.StringIO()
    with P.progress("slow", stream=stream, delay=0.0):
        time.sleep(0.1)
    assert stream.getvalue() == ""
    P.enable(None)
    assert P.enabled()


def test_show_false_and_exceptions_pass_through():
    stream = io.StringIO()
    P.enable(True)
    with P.progress("hidden", show=False, stream=stream, delay=0.0):
        time.sleep(0.05)
    assert stream.getvalue() == ""
    with pytest.raises(ZeroDivisionError), P.progress("fails", stream=stream, delay=0.0):
        time.sleep(0.6)
        raise ZeroDivisionError("inside the step")
    assert "fails: done in" in stream.getvalue()     # the line is closed, the error propagates


def test_enable_rejects_non_bool():
    with pytest.raises(TypeError, match="True, False or None"):
        P.enable("yes")


@pytest.mark.slow
def test_kernels_and_integrators_report_their_first_call_and_large_batches(monkeypatch):
    import numpy as np
    import sympy as sp

    from manifolds import Normal
    from numeric.compile import kernels
    from numeric.geodesics import integrate

    calls = []

    def recorder(label, show=True, **options):
        calls.append((label, show))
        return P.contextlib.nullcontext()

    monkeypatch.setattr(kernels, "progress", recorder)
    monkeypatch.setattr(integrate, "progress", recorder)
    x, y = sp.symbols("x y", positive=True)
    k = kernels.compile_kernel((x, y), x * y + 1, name="progress_probe")
    k([1.0, 2.0])
    k([1.0, 2.0])
    k(np.ones((3, 2)))
    assert [show for _, show in calls] == [True, False, True]      # core, core again, batch
    assert calls[0][0] == "kernel 'progress_probe': first call, compiling"

    calls.clear()
    # the Normal family's integrator: compiled by other tests too, so usually a disk-cache hit
    M = Normal()
    M.numeric.geodesic([0.0, 1.0], [1.0, 0.0], 0.1)
    M.numeric.geodesic([0.0, 1.0], [1.0, 0.0], 0.1)
    M.numeric.geodesic(np.tile([0.0, 1.0], (P.BATCH, 1)), np.tile([1.0, 0.0], (P.BATCH, 1)), 0.1)
    calls = [c for c in calls if c[0].startswith("integrating")]
    assert [show for _, show in calls] == [True, False, True]
    assert calls[0][0] == "integrating 1 geodesic(s) (first call: compiling)"
    assert calls[2][0] == f"integrating {P.BATCH} geodesic(s)"
