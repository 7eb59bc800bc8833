"""Run benchmarks/symbolic.py small (``--quick``, two families) and check its verdicts.

The benchmark reports speed; what is checked here is that it runs to the end and that
both peers (sympy.diffgeom and plain sympy) agree with the toolkit's scalar curvature.
"""
import re
import subprocess
import sys

import pytest

from tests.support import BENCHMARKS

pytestmark = pytest.mark.slow  # runs a whole script

SCRIPT = BENCHMARKS / "symbolic.py"
FAMILIES = ("Normal", "Poisson")


def test_symbolic_benchmark_quick():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--timeout", "60", "--families", *FAMILIES],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {line.split()[0]: line for line in proc.stdout.splitlines() if line.split()[:1] and line.split()[0] in FAMILIES}
    assert set(rows) == set(FAMILIES), proc.stdout
    for name, row in rows.items():
        # diffgeom=symbolic plain=symbolic (or numeric(5pt) where simplify does not reach 0)
        verdicts = dict(re.findall(r"(diffgeom|plain)=(\S+)", row))
        assert set(verdicts) == {"diffgeom", "plain"}, row
        for peer, verdict in verdicts.items():
            assert verdict == "symbolic" or verdict.startswith("numeric"), f"{name} {peer}: {row}"
    assert "sum over 2 families" in proc.stdout
    assert re.search(r"every 2-parameter family within 1 s \(1 run\)\s+worst Normal", proc.stdout), proc.stdout
