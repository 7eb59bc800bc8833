"""examples/rngd_digits.py runs (small) and RNGD lowers the training loss."""
import json

import numpy as np
import pytest

from tests.support import load_example

pytestmark = pytest.mark.slow  # runs a whole script


def test_rngd_digits_small(tmp_path):
    example = load_example("rngd_digits")
    results = example.main(["--small", "--out", str(tmp_path)])
    assert (tmp_path / "rngd_digits.png").stat().st_size > 10_000
    with open(tmp_path / "rngd_digits.json") as fh:
        saved = json.load(fh)
    assert set(saved) == {"SGD", "Adam", "RNGD"}
    for curve in results["RNGD"]["train_loss"]:          # one per seed
        assert np.isfinite(curve).all()
        assert curve[-1] < 0.8 * curve[0], curve
    assert np.allclose(saved["RNGD"]["train_loss"], results["RNGD"]["train_loss"])
