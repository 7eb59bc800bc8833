"""examples/invariance.py runs (small): NG flows agree across charts, GD flows do not,
discrete steps differ by O(lr^2)."""
import importlib.util
import json
import os

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples",
                       "invariance.py")


def _load():
    spec = importlib.util.spec_from_file_location("invariance_example", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


def test_invariance_small(tmp_path, capsys):
    example = _load()
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
    _load().tour_natural_gradient()
    out = capsys.readouterr().out
    assert "natural gradient" in out and "plain gradient" in out
