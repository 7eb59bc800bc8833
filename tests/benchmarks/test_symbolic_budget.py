"""benchmarks/symbolic_budget.py on the cheap families: every call returns or raises within its
budget, and the outcomes are the right ones (the speed itself is the script's report).
"""
import pytest

from benchmarks.own_models import OWN_MODELS
from benchmarks.symbolic_budget import CALLS, families, main, run_family


@pytest.mark.parametrize("name", ["Poisson", pytest.param("Rayleigh", marks=pytest.mark.slow),
                                  pytest.param("Pareto", marks=pytest.mark.slow)])
def test_cheap_families_derive_everything_they_have(name):
    rows = run_family(name, families()[name], 60.0, 30.0, None)
    assert [r[1] for r in rows] == [label for label, _ in CALLS]
    outcome = {call: text for _, call, text, _, _ in rows}
    assert not any(over for *_, over in rows)
    for call in ("fisher_metric", "christoffel", "scalar_curvature", "scalar_curvature(1)", "kl_divergence"):
        assert outcome[call].startswith("ok"), (call, outcome[call])
    if name in OWN_MODELS:  # not exponential families: no dual coordinates, said so
        assert outcome["dual_potential"].startswith("ValueError: Rayleigh is not an exponential family"
                                                    if name == "Rayleigh" else "ValueError")


def test_script_refuses_unknown_families(capsys):
    with pytest.raises(SystemExit):
        main(["--families", "Nope"])
