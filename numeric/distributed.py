"""Dask helpers shared by the distributed paths (distance matrices, network Fisher sums).

Dask is optional (the ``dask`` extra: ``pip install infogeom[dask]``); it is imported on
first use, with an error saying how to install it. A cluster's workers load the compiled
kernels from their disk cache (:mod:`numeric.compile.cache`), so a task never recompiles.

On a cluster the parallelism is Dask's: one task per worker thread, and inside a task numba
runs on one thread (:func:`one_numba_thread`). A worker process otherwise starts numba's
thread pool with one thread per core of the machine in every task thread, so that ``k``
Dask threads on ``c`` cores run ``k c`` numba threads (OpenMP threads that spin while they
wait): the same rule as Dask's own for OpenMP and BLAS (``OMP_NUM_THREADS=1`` in the workers
it starts). Give each worker as many threads as it has cores (``dask worker`` does by
default; a ``LocalCluster`` splits the cores over its workers).
"""
from __future__ import annotations

import importlib

import numpy as np

from symbolic.validation import integer

__all__ = ["add_terms", "as_numpy", "cluster_threads", "one_numba_thread", "require_distributed",
           "sum_tree"]


def require_distributed():
    """The ``distributed`` module, or ImportError saying how to install it."""
    try:
        return importlib.import_module("distributed")
    except ImportError as exc:
        raise ImportError(
            "a Dask client or dask arrays need dask.distributed, which is not installed: "
            "pip install 'dask[distributed]' (or infogeom[dask])") from exc


def as_numpy(x):
    """``x`` as a numpy array; a dask array (or anything with ``compute``) is computed."""
    if hasattr(x, "compute") and hasattr(x, "dask"):
        x = x.compute()
    return np.asarray(x)


def one_numba_thread(function, *args):
    """``function(*args)`` with numba's parallel loops on one thread, the calling one.

    The wrapper of every task of the distributed paths: numba's thread count is a setting of
    the calling thread (``numba.set_num_threads``), so it is set for the task's thread only
    and restored after it; the results do not depend on it (every row of a batch is computed
    on its own).

    Examples
    --------
    >>> import numba
    >>> one_numba_thread(numba.get_num_threads)
    1
    """
    import numba

    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return function(*args)
    finally:
        numba.set_num_threads(threads)


def cluster_threads(client):
    """The number of worker threads of a client's cluster (at least 1)."""
    return max(1, sum(client.nthreads().values()))


def sum_tree(client, function, shards, *, fan_in=2):
    """``sum(function(shard) for shard in shards)`` on a Dask cluster, reduced as a tree.

    Each term is computed on a worker (numba on one thread per task, :func:`one_numba_thread`)
    and the terms are added ``fan_in`` at a time on the
    workers (a tree of depth ``ceil(log_fan_in(len(shards)))``), so the client receives one
    result and no task holds more than ``fan_in`` terms. Additions happen in a fixed order
    (the tree depends on the shards' order only), so the sum does not depend on which
    worker computed what; a task lost with a worker is run again on another one.

    Parameters
    ----------
    client : dask.distributed.Client
    function : callable
        ``function(shard)`` returns an array or a tuple of arrays (added componentwise).
    shards : sequence
        The arguments of ``function``.
    fan_in : int
        Terms per addition, >= 2.

    Returns
    -------
    ndarray or tuple of ndarray
        The sum, shaped like one term.
    """
    fan_in = integer("fan_in", fan_in, minimum=2)
    shards = list(shards)
    if not shards:
        raise ValueError("sum_tree needs at least one shard")
    # the function (which may hold large parameters, a network's weights) travels once to
    # each worker that needs it, not once per task
    [function] = client.scatter([function], hash=False)
    level = [client.submit(one_numba_thread, function, shard, pure=False) for shard in shards]
    while len(level) > 1:
        level = [client.submit(add_terms, *level[k:k + fan_in], pure=False)
                 for k in range(0, len(level), fan_in)]
    return level[0].result()


def add_terms(*terms):
    """The sum of arrays, or of tuples of arrays componentwise, in the order given.

    Examples
    --------
    >>> add_terms((np.ones(2), 1.0), (np.ones(2), 2.0))
    (array([2., 2.]), array(3.))
    """
    if isinstance(terms[0], tuple):
        return tuple(add_terms(*parts) for parts in zip(*terms, strict=True))
    total = np.array(terms[0], dtype=np.float64, copy=True)
    for term in terms[1:]:
        total += term
    return total
