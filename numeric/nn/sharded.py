"""Network Fisher accumulation over sharded samples, on a Dask cluster.

The per-neuron RFIM blocks, the exact layer blocks and the K-FAC factors are sums over
samples (:mod:`numeric.nn.blocks`), so a data set split into shards is handled by computing
each shard's sum on a worker (``reduction="sum"`` of the same function: one code path) and
adding the shards' sums by a tree reduction on the workers
(:func:`numeric.distributed.sum_tree`); the client receives one result and divides by the
number of samples for ``reduction="mean"``. Dask is optional (``pip install 'dask[distributed]'``).
"""
from __future__ import annotations

import numpy as np

from numeric.distributed import require_distributed, sum_tree
from symbolic.validation import choice

from . import blocks
from .mlp import REDUCTIONS

__all__ = ["sharded_fisher"]

#: The accumulations :func:`sharded_fisher` distributes.
KINDS = ("neuron_blocks", "fisher_blocks", "kfac_factors")


class _ShardTerm:
    """One shard's term: ``(sum over its samples, number of samples)``; K-FAC's ``A``,
    always a mean, is turned back into a sum so that shards of any size add up exactly.
    """

    def __init__(self, kind, params, args, options):
        self.kind, self.params, self.args, self.options = kind, params, args, options

    def __call__(self, X):
        X = np.asarray(X, dtype=np.float64)
        value = getattr(blocks, self.kind)(self.params, X, *self.args, reduction="sum", **self.options)
        count = np.float64(X.shape[0])
        if self.kind == "neuron_blocks":
            return (value, count)
        if self.kind == "kfac_factors":
            return (tuple(f.A * count for f in value), tuple(f.G for f in value), count)
        return (tuple(value), count)


def _shards(client, X):
    """Futures of the row blocks of ``X``: a dask array's chunks (computed on the workers),
    or the arrays of a list; the blocks must all have the same number of columns.
    """
    if hasattr(X, "to_delayed") and hasattr(X, "dask"):
        if len(X.chunks[1]) != 1:
            raise ValueError(f"X must be chunked along its rows only (one chunk of columns), "
                             f"got column chunks {X.chunks[1]}")
        return client.compute(list(X.to_delayed()[:, 0]))
    if isinstance(X, (list, tuple)):
        return [np.asarray(x, dtype=np.float64) for x in X]
    raise TypeError(f"X must be a dask array or a list of sample arrays (shards), got "
                    f"{type(X).__name__}")


def sharded_fisher(client, kind, params, X, *args, reduction="mean", fan_in=2, **options):
    """``blocks.<kind>(params, X, *args, ...)`` with the samples of ``X`` sharded over a cluster.

    Parameters
    ----------
    client : dask.distributed.Client
    kind : {"neuron_blocks", "fisher_blocks", "kfac_factors"}
        The accumulation of :mod:`numeric.nn.blocks` to distribute.
    params : array_like or list of array_like
        Its first argument: the layer ``W`` (``neuron_blocks``) or the network's weights.
    X : dask array of shape (N, n_in), chunked along rows, or list of arrays of shape (N_k, n_in)
        The samples, one shard per chunk.
    *args
        The remaining positional arguments (activation(s), noise).

    Other Parameters
    ----------------
    reduction : {"mean", "sum"}
        Over all samples of all shards.
    fan_in : int
        Shard sums added per reduction task.
    **options
        Keyword arguments of the function (``sigma``, ``slope``, ``alpha``; ``targets`` of
        ``kfac_factors`` must be ``"expected"``, since sampled targets would depend on the
        sharding).

    Returns
    -------
    What the function returns on all of ``X`` at once (equal up to the order of the
    floating-point additions).
    """
    require_distributed()
    choice("kind", kind, KINDS)
    choice("reduction", reduction, REDUCTIONS)
    if options.get("targets", "expected") != "expected" or "rng" in options:
        raise ValueError("sharded_fisher computes K-FAC with targets='expected' only: sampled "
                         "or given targets would depend on how the samples are sharded")
    if options.pop("backend", "cpu") != "cpu":
        raise ValueError("sharded_fisher runs the CPU kernels on the workers (backend='cpu')")
    shards = _shards(client, X)
    total = sum_tree(client, _ShardTerm(kind, params, args, options), shards, fan_in=fan_in)
    count = float(total[-1])
    if count == 0:
        raise ValueError("X must hold at least one sample")
    if kind == "neuron_blocks":
        G = total[0]
        return G / count if reduction == "mean" else G
    if kind == "fisher_blocks":
        return [F / count if reduction == "mean" else F for F in total[0]]
    weight = 1.0 / count if reduction == "mean" else 1.0
    return [blocks.KFACFactors(A / count, G * weight) for A, G in zip(total[0], total[1], strict=True)]
