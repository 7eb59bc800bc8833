"""Dask helpers shared by the distributed paths (distance matrices, network Fisher sums).

Dask is optional (the ``dask`` extra: ``pip install infogeom[dask]``); it is imported on
first use, with an error saying how to install it. A cluster's workers load the compiled
kernels from their disk cache (:mod:`numeric.compile.cache`), so a task never recompiles.
"""
from __future__ import annotations

import importlib

import numpy as np

from symbolic.validation import integer

__all__ = ["add_terms", "as_numpy", "require_distributed", "sum_tree"]


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


def sum_tree(client, function, shards, *, fan_in=2):
    """``sum(function(shard) for shard in shards)`` on a Dask cluster, reduced as a tree.

    Each term is computed on a worker and the terms are added ``fan_in`` at a time on the
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
    level = [client.submit(function, shard, pure=False) for shard in shards]
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
