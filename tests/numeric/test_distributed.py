"""The Dask paths on a LocalCluster of two worker processes.

Checks against the local computation, an independent run of the same kernels: distance
matrices are equal to the last bit (each pair is computed independently of its chunk and
worker), also when a worker process is killed in the middle of the run (the scheduler runs
its tasks again elsewhere); sharded Fisher sums equal the sums over all samples at once up
to the order of the additions (1e-12 relative). The workers start numba with two threads, as
on any machine with several cores, so that the one-numba-thread-per-task rule is exercised.
"""
import os
import signal

import numba
import numpy as np
import pytest

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")

from manifolds import Beta  # noqa: E402
from numeric.distributed import add_terms, one_numba_thread, sum_tree  # noqa: E402
from numeric.geodesics.pairwise import TASKS_PER_THREAD, pairwise  # noqa: E402
from numeric.nn import blocks  # noqa: E402
from numeric.nn.sharded import sharded_fisher  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40,
                                       env={"NUMBA_NUM_THREADS": "2"})
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_the_tree_sum_is_the_sum(client):
    terms = [np.full(3, float(k)) for k in range(7)]
    total = sum_tree(client, np.asarray, terms, fan_in=3)
    assert np.array_equal(total, add_terms(*terms)) and total.tolist() == [21.0] * 3


def test_one_numba_thread_restores_the_callers_setting():
    threads = numba.get_num_threads()
    assert one_numba_thread(numba.get_num_threads) == 1
    with pytest.raises(ZeroDivisionError):
        one_numba_thread(lambda: 1 / 0)
    assert numba.get_num_threads() == threads


def _threads_as_status(xs, ys):
    """A pair function whose status is the number of numba threads it runs with, minus one."""
    return np.zeros(len(xs)), np.full(len(xs), numba.get_num_threads() - 1)


def test_tasks_run_numba_on_one_thread_and_every_worker_thread_gets_several(client):
    assert set(client.run(numba.get_num_threads).values()) == {2}  # what a task would inherit
    calls = []
    r = pairwise(_threads_as_status, np.zeros((14, 1)), client=client,
                 progress=lambda done, total: calls.append(done))
    assert r.ok, r.message  # status 0: one numba thread in every task
    threads = sum(client.nthreads().values())
    assert len(calls) >= TASKS_PER_THREAD * threads and calls[-1] == r.pairs == 91
    # the tree sum's tasks too
    shards = [np.zeros(1)] * 3
    assert sum_tree(client, lambda s: s + numba.get_num_threads(), shards).tolist() == [3.0]


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
