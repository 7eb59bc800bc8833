"""examples/invariance.py runs (small): NG flows agree across charts, GD flows do not,
discrete steps differ by O(lr^2).
"""
import json

import pytest

from tests.support import load_example

pytestmark = pytest.mark.slow  # runs a whole script


def test_invariance_small(tmp_path, capsys):
    example = load_example("invariance")
    results = example.main(["--small", "--out", str(tmp_path)])
    for png in ("invariance_flows.png", "invariance_steps.png"):
        assert (tmp_path / png).stat().st_size > 10_000
    with open(tmp_path / "invariance.json") as fh:
        saved = json.load(fh)
    assert len(saved["flow_error_vs_closed_form"]) == 3
    assert max(saved["flow_error_vs_closed_form"].values()) < 1e-8
    assert saved["gradient_flow_chart_difference"] > 0.1
    assert 1.9 < saved["one_step_slope"] < 2.1
    assert results["slope"] == saved["one_step_slope"]
    assert "lr^" in capsys.readouterr().out


def test_tour_natural_gradient(capsys):
    load_example("invariance").tour_natural_gradient()
    out = capsys.readouterr().out
    assert "natural gradient" in out and "plain gradient" in out
