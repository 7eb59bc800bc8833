"""The tour (README's first command) runs; here on a few families to keep CI short."""
import pytest

from tests.support import load_example

pytestmark = pytest.mark.slow  # runs a whole script


def test_tour_runs_on_a_few_families(capsys):
    tour = load_example("tour")
    tour.main(["Normal", "Poisson", "Gamma", "Categorical(3)", "--symbolic-only"])
    out = capsys.readouterr().out
    assert "=== Normal" in out and "scalar curvature R: -1" in out
    assert "Gaussian curvature K = R/2: 1/4" in out  # Categorical(3)
    assert "dual potential F*(eta): η₁⋅log(η₁) - η₁" in out  # Poisson
