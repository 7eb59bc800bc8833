"""Fuzz suite plumbing: the ``fuzz`` and ``slow`` markers on every test here (the suite takes
a minute or two; ``pytest -m "not slow"`` leaves it out), a fresh failure log per
test, and the JSON report of inputs per area (``INFOGEOM_FUZZ_REPORT=path``).
"""
import json
import os
from pathlib import Path

import pytest

from . import harness


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.fuzz)
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def fuzz_log():
    """The failure log of this test; the test ends with ``fuzz_log.assert_clean()``."""
    harness.CURRENT = harness.FuzzLog()
    yield harness.CURRENT
    harness.CURRENT = harness.FuzzLog()


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("INFOGEOM_FUZZ_REPORT")
    if not path or not harness.STATS:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:  # one file per xdist worker; their counts add up
        path = f"{path}.{worker}"
    areas = {name: vars(s) for name, s in sorted(harness.STATS.items())}
    longest = max(areas.items(), key=lambda kv: kv[1]["longest_s"])
    report = {
        "areas": areas,
        "total_inputs": sum(s["inputs"] for s in areas.values()),
        "total_failures": sum(s["failures"] for s in areas.values()),
        "longest_call": {"area": longest[0], "seconds": longest[1]["longest_s"],
                         "call": longest[1]["longest_call"]},
    }
    Path(path).write_text(json.dumps(report, indent=2))
