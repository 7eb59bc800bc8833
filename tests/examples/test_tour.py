"""The tour (README's first command) runs; here on a few families to keep CI short. The default
output is one line per family (issue 11: the tour printed 720 lines); ``--details`` is the long
form. Every example takes ``--out DIR`` (issue 11: ``geodesics.py --out DIR`` made a folder
named ``--out``).
"""
import subprocess
import sys

import pytest

from tests.support import EXAMPLES, load_example

pytestmark = pytest.mark.slow  # runs a whole script

FAMILIES = ["Normal", "Poisson", "Gamma", "Categorical(3)"]


def test_tour_is_one_line_per_family(capsys):
    tour = load_example("tour")
    tour.main([*FAMILIES, "--symbolic-only"])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    rows = [line for line in lines if line.split(" (")[0] in FAMILIES]
    assert len(rows) == len(FAMILIES) and len(lines) <= len(FAMILIES) + 3, lines
    normal = next(r for r in rows if r.startswith("Normal"))
    assert "R = -1 " in normal and "g = [[sigma**(-2), 0], [0, 2/sigma**2]]" in normal
    assert all(len(r) <= 120 for r in rows)


def test_tour_details(capsys):
    tour = load_example("tour")
    tour.main([*FAMILIES, "--symbolic-only", "--details"])
    out = capsys.readouterr().out
    assert "=== Normal" in out and "scalar curvature R: -1" in out
    assert "Gaussian curvature K = R/2: 1/4" in out  # Categorical(3)
    assert "dual potential F*(eta): η₁⋅log(η₁) - η₁" in out  # Poisson
    assert "dual potential F* (no closed form in eta; in the coordinates)" in out  # Gamma


def test_tour_refuses_an_unknown_family():
    tour = load_example("tour")
    with pytest.raises(SystemExit):
        tour.main(["Nomral", "--symbolic-only"])


def test_geodesics_takes_out_dir(tmp_path):
    out = tmp_path / "figs"
    proc = subprocess.run([sys.executable, str(EXAMPLES / "geodesics.py"), "--out", str(out), "--rays", "2"],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (out / "geodesics.png").is_file()
    assert not (tmp_path / "--out").exists()
