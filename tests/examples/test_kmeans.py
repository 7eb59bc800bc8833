"""examples/kmeans.py runs (small): Fisher-Rao k-means recovers the clusters that Euclidean
k-means in (mu, sigma) mixes up, and Lloyd's objective never increases with Fréchet means.
"""
import json

import numpy as np
import pytest

from tests.support import load_example

pytestmark = pytest.mark.slow  # runs a whole script


def test_kmeans_small(tmp_path, capsys):
    example = load_example("kmeans")
    results = example.main(["--small", "--out", str(tmp_path)])
    assert (tmp_path / "kmeans.png").stat().st_size > 10_000
    with open(tmp_path / "kmeans.json") as fh:
        saved = json.load(fh)
    fr, eu = saved["fisher_rao"], saved["euclidean"]
    assert fr["purity"] == 1.0 and eu["purity"] < 0.9
    # each Lloyd step minimises the objective over one block: non-increasing (up to the
    # accuracy of the Fréchet means)
    assert all(b <= a * (1 + 1e-9) for a, b in zip(fr["objective"], fr["objective"][1:], strict=False))
    # the centres are Fréchet means of their clusters: the first-order condition holds
    K = example.Normal().numeric
    labels = results["fisher_rao"]["labels"]
    for j, c in enumerate(results["fisher_rao"]["centres"]):
        P = results["points"][labels == j]
        V = K.log(np.broadcast_to(c, P.shape), P)
        g = V.mean(axis=0)
        assert np.sqrt(g @ K.metric(c) @ g) < 1e-8
    assert "purity" in capsys.readouterr().out
