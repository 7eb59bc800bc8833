"""Run examples/empirical_fisher.py and examples/conditioning.py small, check figures and numbers."""
import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.support import EXAMPLES, load_example

pytestmark = pytest.mark.slow  # runs a whole script

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@contextlib.contextmanager
def one_blas_thread():
    """The examples work on tiny matrices; BLAS threads only contend (the scripts set this
    through the environment, which is too late once numpy is imported in-process).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1):
        yield


def assert_png(path):
    assert os.path.isfile(path), path
    with open(path, "rb") as fh:
        assert fh.read(8) == PNG_MAGIC
    assert os.path.getsize(path) > 5000


def test_empirical_fisher_example(tmp_path):
    with one_blas_thread():
        summary = load_example("empirical_fisher").main(["--small", "--out", str(tmp_path)])
    for path in summary["figures"]:
        assert_png(path)
    assert {Path(p).name for p in summary["figures"]} == {"fig1_vector_fields.png", "fig3_comparison.png"}
    assert json.loads((tmp_path / "empirical_fisher_summary.json").read_text())["fig3"] == summary["fig3"]

    # Fig. 1: on linear least squares the natural gradient points straight at the optimum
    # (F^{-1} grad L = theta - theta*); GD and the EF-preconditioned field do not.
    cos = summary["fig1"]["mean_cos_to_optimum"]
    assert cos["NGD"] > 0.999
    assert cos["GD"] < 0.9 and cos["EFGD"] < 0.9
    assert summary["fig1"]["min_cos_to_optimum"]["NGD"] > 0.999

    # Fig. 3: NGD reaches the optimum first on both problems; on the regression problem the EF's
    # inverse-gradient step scaling leaves EFGD behind even plain GD (Kunstner et al. sec. 4.3).
    fig3 = summary["fig3"]
    assert len(fig3) == 2
    for name, s in fig3.items():
        gap = s["final_relative_gap"]
        assert gap["NGD"] <= min(gap["GD"], gap["EFGD"]), name
        assert gap["NGD"] < 1e-10, name
        assert -1.0 <= s["cosine_min"] <= s["cosine_median"] <= s["cosine_max"] <= 1.0
    reg = next(s for n, s in fig3.items() if "regression" in n)
    assert reg["final_relative_gap"]["EFGD"] > reg["final_relative_gap"]["GD"]
    assert reg["cosine_max"] < 0.9          # the EF direction never lines up with NGD there


def test_conditioning_example(tmp_path):
    with one_blas_thread():
        summary = load_example("conditioning").main(["--small", "--out", str(tmp_path)])
    for path in summary["figures"]:
        assert_png(path)
    rows = (tmp_path / "conditioning_table.csv").read_text().strip().splitlines()
    assert rows[0].startswith("kappa,gd_iterations") and len(rows) == 1 + len(summary["kappa"])
    assert 0.9 < summary["gd_slope"] < 1.1
    gd = np.array(summary["gd_iterations"])
    assert np.all(np.diff(gd) > 0) and gd[-1] > 1000
    assert len(set(summary["ngd_iterations"])) == 1 and summary["ngd_iterations"][0] < 20
    assert set(summary["ngd_step1_iterations"]) == {1}


def test_conditioning_example_runs_as_a_script(tmp_path):
    out = tmp_path / "cli"
    env = dict(os.environ, MPLBACKEND="Agg")
    res = subprocess.run([sys.executable, str(EXAMPLES / "conditioning.py"), "--small", "--out", str(out)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "gd_iterations" in res.stdout
    assert_png(str(out / "conditioning.png"))


@pytest.mark.parametrize("name", ["empirical_fisher", "conditioning"])
def test_examples_document_their_outputs(name):
    text = (EXAMPLES / f"{name}.py").read_text()
    assert "--small" in text and "--out" in text and 'matplotlib.use("Agg")' in text
