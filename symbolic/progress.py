"""A progress line for long computations, on standard error, that can be switched off.

Long steps (compiling a kernel or an integrator on first use, integrating thousands of
geodesics, deriving the curvature of a large family) run inside :func:`progress`. Nothing is
printed unless the step takes longer than :data:`DELAY` seconds; then a line
``infogeom: <what> ... 12 s`` is refreshed every half second and closed with the total time.
A notebook shows it in the cell's output.

Switch it off with the environment variable ``INFOGEOM_PROGRESS=0`` (read at each step), or
for the session with ``symbolic.progress.enable(False)``; ``enable(None)`` goes back to the
environment variable.

Examples
--------
>>> from symbolic.progress import enable, progress
>>> enable(False)
>>> with progress("a long step"):
...     pass
>>> enable(None)
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
import time

__all__ = ["DELAY", "BATCH", "enable", "enabled", "progress"]

#: Seconds a step runs before its progress line appears.
DELAY = 1.0
#: Batches of at least this many geodesics report their progress after the first call too.
BATCH = 2000

_ENV = "INFOGEOM_PROGRESS"
_setting = None


def enable(on=True):
    """Switch progress lines on (``True``) or off (``False``) for this session; ``None`` defers
    to the environment variable ``INFOGEOM_PROGRESS`` (``0``, ``false``, ``no``, ``off``: off).
    """
    global _setting
    if on is not None and not isinstance(on, bool):
        raise TypeError(f"on must be True, False or None, got {on!r}")
    _setting = on


def enabled():
    """Whether progress lines are shown now."""
    if _setting is not None:
        return _setting
    return os.environ.get(_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


@contextlib.contextmanager
def _reporting(label, stream, delay):
    done = threading.Event()
    start = time.perf_counter()
    shown = []

    def report():
        if done.wait(delay):
            return
        shown.append(True)
        while True:
            stream.write(f"\rinfogeom: {label} ... {time.perf_counter() - start:.0f} s")
            stream.flush()
            if done.wait(0.5):
                return

    thread = threading.Thread(target=report, name="infogeom-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        if shown:
            stream.write(f"\rinfogeom: {label}: done in {time.perf_counter() - start:.1f} s\n")
            stream.flush()


def progress(label, show=True, stream=None, delay=None):
    """A context manager that reports ``label`` if the step inside takes longer than ``delay``
    (default :data:`DELAY`) seconds; a no-op when ``show`` is false or progress is off.
    """
    if not (show and enabled()):
        return contextlib.nullcontext()
    return _reporting(label, sys.stderr if stream is None else stream, DELAY if delay is None else delay)
