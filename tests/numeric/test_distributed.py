"""The Dask paths on a LocalCluster of two worker processes.

Checks against the local computation, an independent run of the same kernels: distance
matrices are equal to the last bit (each pair is computed independently of its chunk and
worker), also when a worker process is killed in the middle of the run (the scheduler runs
its tasks again elsewhere); sharded Fisher sums equal the sums over all samples at once up
to the order of the additions (1e-12 relative).
"""
import os
import signal

import numpy as np
import pytest

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")

from manifolds import Beta  # noqa: E402
from numeric.distributed import add_terms, sum_tree  # noqa: E402
from numeric.nn import blocks  # noqa: E402
from numeric.nn.sharded import sharded_fisher  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_the_tree_sum_is_the_sum(client):
    terms = [np.full(3, float(k)) for k in range(7)]
    total = sum_tree(client, np.asarray, terms, fan_in=3)
    assert np.array_equal(total, add_terms(*terms)) and total.tolist() == [21.0] * 3


def test_a_worker_killed_mid_run_leaves_the_result_complete_and_exact(client):
    rng = np.random.default_rng(6)
    X = rng.uniform(0.5, 4.0, (14, 2))
    N = Beta().numeric
    local = N.pairwise_distances(X)
    pids = list(client.run(os.getpid).values())
    killed = []

    def kill_one(done, total):
        if not killed and done < total:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(done)

    remote = N.pairwise_distances(X, chunk=4, client=client, progress=kill_one)
    assert killed and killed[0] < 91  # the kill happened with pairs outstanding
    assert remote.ok and np.array_equal(remote.distances, local.distances)
    assert np.array_equal(remote.status, local.status)


def test_sharded_fisher_sums_equal_the_sums_over_all_samples(client):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(30, 3))
    shards = [X[:7], X[7:19], X[19:]]
    W = rng.normal(size=(4, 4))
    np.testing.assert_allclose(
        sharded_fisher(client, "neuron_blocks", W, shards, "tanh", "gaussian"),
        blocks.neuron_blocks(W, X, "tanh", "gaussian"), rtol=1e-12, atol=1e-15)
    weights = [rng.normal(size=(3, 4)), rng.normal(size=(2, 4))]
    for local, remote in zip(blocks.fisher_blocks(weights, X, ["tanh", "softmax"], reduction="sum"),
                             sharded_fisher(client, "fisher_blocks", weights, shards,
                                            ["tanh", "softmax"], reduction="sum"), strict=True):
        np.testing.assert_allclose(remote, local, rtol=1e-12, atol=1e-15)
    for local, remote in zip(blocks.kfac_factors(weights, X, ["tanh", "softmax"]),
                             sharded_fisher(client, "kfac_factors", weights, shards,
                                            ["tanh", "softmax"]), strict=True):
        np.testing.assert_allclose(remote.A, local.A, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(remote.G, local.G, rtol=1e-12, atol=1e-15)


def test_sampled_kfac_targets_are_refused(client):
    with pytest.raises(ValueError, match="expected"):
        sharded_fisher(client, "kfac_factors", [np.zeros((1, 2))], [np.zeros((2, 1))], ["linear"],
                       targets="sample")
