"""Distance matrices: every pair of two point sets, in bounded memory, locally or on Dask.

:func:`pairwise` evaluates a batched pair function ``pair(xs, ys) -> (d, status)`` (a
closed-form distance, or shooting, see :meth:`manifolds.numerics.NumericManifold.pairwise_distances`)
over all pairs ``(X[i], Y[j])``; with ``Y = None`` over the upper triangle ``i < j`` of ``X``
only, mirrored (a distance is symmetric) with a zero diagonal. The pairs are enumerated in
chunks of ``chunk`` rows, generated from their linear index, so that memory is the output
matrix plus one chunk whatever the number of pairs; the parallelism is that of the pair
function inside a chunk (numba threads over the rows of a batch).

With a ``dask.distributed.Client`` the chunks become tasks: the pair function and the points
are scattered once to every worker (deserialised once per worker, so compiled kernels are
loaded from the disk cache once per worker process, never once per task), each task returns
its block of distances and status codes, and the client writes them into the matrix as they
arrive. A task runs numba on one thread (:func:`numeric.distributed.one_numba_thread`: the
cluster's parallelism is its worker threads), and a chunk holds at most a
:data:`TASKS_PER_THREAD`-th of each worker thread's share of the pairs, so that every thread
gets work. A task lost with a worker is run again by the scheduler on another worker; the pair
function computes every row independently of the rest of its chunk, so the result does not
depend on which worker computed what.

A pair that fails is never filled in: its distance is NaN and its status code (the pair
function's, :class:`numeric.geodesics.shooting.ShootingStatus` for shooting) says why.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import numpy as np

from numeric.distributed import cluster_threads, one_numba_thread, require_distributed
from symbolic.validation import integer

__all__ = ["PairwiseResult", "pairwise", "pair_indices"]

#: Status code of a pair whose distance is known (:attr:`ShootingStatus.SUCCESS`).
SUCCESS = 0

#: On a cluster, at least this many tasks per worker thread (when there are enough pairs):
#: the last tasks to finish leave the other threads idle for less than a task's length.
TASKS_PER_THREAD = 4


@dataclass(frozen=True)
class PairwiseResult:
    """A distance matrix with the status of every pair.

    Attributes
    ----------
    distances : ndarray, shape (N, M)
        ``distances[i, j] = d(X[i], Y[j])``; NaN where the pair failed (see :attr:`status`).
    status : ndarray of int8, shape (N, M)
        The pair function's status code per pair, 0 for success.
    symmetric : bool
        Computed from one point set (``Y = None``): the upper triangle, mirrored.
    messages : dict
        Code -> explanation, for the codes that occur.
    elapsed : float
        Wall-clock seconds.
    """

    distances: np.ndarray
    status: np.ndarray
    symmetric: bool
    messages: dict
    elapsed: float

    @property
    def pairs(self):
        """Number of distinct pairs computed (``N (N - 1) / 2`` when symmetric)."""
        n, m = self.status.shape
        return n * (n - 1) // 2 if self.symmetric else n * m

    @property
    def failed(self):
        """Index pairs ``(i, j)`` (``i < j`` when symmetric) that failed, shape (k, 2)."""
        bad = self.status != SUCCESS
        if self.symmetric:
            bad = np.triu(bad, 1)
        return np.argwhere(bad)

    @property
    def converged(self):
        """Fraction of the distinct pairs that succeeded (1.0 for no pairs)."""
        return 1.0 - len(self.failed) / self.pairs if self.pairs else 1.0

    @property
    def ok(self):
        """Whether every pair succeeded."""
        return not np.any(self.status != SUCCESS)

    @property
    def message(self):
        """One line per status code that occurs, with its count."""
        if self.ok:
            return f"all {self.pairs} pairs converged"
        codes, counts = np.unique(self.status[tuple(self.failed.T)], return_counts=True)
        return "; ".join(f"{count} of {self.pairs} pairs: {self.messages.get(int(code), code)}"
                         for code, count in zip(codes, counts, strict=True))


def pair_indices(n, m, start, stop, symmetric):
    """Row and column indices of the pairs with linear index ``start <= k < stop``.

    With ``symmetric`` the pairs are the upper triangle ``i < j`` of an ``n x n`` matrix in
    row-major order (row ``i`` holds ``n - 1 - i`` pairs); otherwise all ``n x m`` pairs in
    row-major order.

    Examples
    --------
    >>> i, j = pair_indices(4, 4, 0, 6, True)
    >>> list(zip(i.tolist(), j.tolist()))
    [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    >>> [a.tolist() for a in pair_indices(2, 3, 2, 5, False)]
    [[0, 1, 1], [2, 0, 1]]
    """
    k = np.arange(start, stop, dtype=np.int64)
    if not symmetric:
        return k // m, k % m
    rows = np.arange(n, dtype=np.int64)
    first = rows * (2 * n - rows - 1) // 2  # linear index of (i, i + 1)
    i = np.searchsorted(first, k, side="right") - 1
    return i, k - first[i] + i + 1


def _chunk_task(pair, X, Y, n, m, start, stop, symmetric):
    i, j = pair_indices(n, m, start, stop, symmetric)
    d, status = pair(X[i], Y[j])
    status = np.asarray(status, dtype=np.int8)
    # a failed pair is NaN whatever the pair function left there
    return start, np.where(status == SUCCESS, np.asarray(d, dtype=np.float64), np.nan), status


def _report(progress, done, total, t0):
    if callable(progress):
        progress(done, total)
    elif progress:
        rate = done / max(time.perf_counter() - t0, 1e-9)
        print(f"\rpairwise: {done}/{total} pairs ({rate:,.0f} pairs/s)", end="" if done < total else "\n",
              file=sys.stderr, flush=True)


def pairwise(pair, X, Y=None, *, chunk=16384, progress=False, client=None, messages=None):
    """All distances between the rows of ``X`` and of ``Y`` (of ``X`` if ``Y`` is None).

    Parameters
    ----------
    pair : callable
        ``pair(xs, ys) -> (d, status)`` for point arrays of shape (k, n): distances of shape
        (k,) and integer status codes (0 for success). Each row must depend on its own pair
        only. With a ``client`` it must pickle (cloudpickle).
    X : array_like, shape (N, n)
    Y : array_like, shape (M, n), optional
        Without it, the symmetric matrix of ``X``: each pair ``i < j`` once, the diagonal 0.

    Other Parameters
    ----------------
    chunk : int
        Pairs per batch (and per task on a cluster): memory beyond the output is about a
        kilobyte per pair of the chunk. On a cluster, at most the pairs over
        :data:`TASKS_PER_THREAD` times the number of worker threads.
    progress : bool or callable
        Print pairs done and pairs per second to stderr, or call ``progress(done, total)``
        after each chunk.
    client : dask.distributed.Client, optional
        Run the chunks as tasks on this client's cluster, numba on one thread per task.
    messages : dict, optional
        Status code -> explanation, for :attr:`PairwiseResult.message`.

    Returns
    -------
    PairwiseResult

    Examples
    --------
    The distance on the line, ``|x - y|``:

    >>> line = lambda xs, ys: (np.abs(xs - ys)[:, 0], np.zeros(len(xs), dtype=int))
    >>> r = pairwise(line, [[0.0], [1.0], [3.0]])
    >>> r.distances.tolist(), r.converged
    ([[0.0, 1.0, 3.0], [1.0, 0.0, 2.0], [3.0, 2.0, 0.0]], 1.0)
    """
    t0 = time.perf_counter()
    chunk = integer("chunk", chunk, minimum=1)
    X = np.ascontiguousarray(X, dtype=np.float64)
    symmetric = Y is None
    Y = X if symmetric else np.ascontiguousarray(Y, dtype=np.float64)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y must be point arrays of shapes (N, n) and (M, n), got "
                         f"{X.shape} and {Y.shape}")
    n, m = X.shape[0], Y.shape[0]
    total = n * (n - 1) // 2 if symmetric else n * m
    D = np.zeros((n, m))
    S = np.zeros((n, m), dtype=np.int8)
    if client is not None and total:
        # a few tasks per worker thread, however large the chunk allowed
        chunk = min(chunk, -(-total // (TASKS_PER_THREAD * cluster_threads(client))))
    starts = range(0, total, chunk)

    def store(start, d, status):
        i, j = pair_indices(n, m, start, start + d.shape[0], symmetric)
        D[i, j] = d
        S[i, j] = status
        if symmetric:
            D[j, i] = d
            S[j, i] = status

    done = 0
    if client is None:
        for start in starts:
            stop = min(start + chunk, total)
            store(*_chunk_task(pair, X, Y, n, m, start, stop, symmetric))
            done = stop
            _report(progress, done, total, t0)
    elif total:
        as_completed = require_distributed().as_completed
        # scattered once and kept by every worker: the pair function (with its compiled
        # kernels, loaded on first use) is deserialised once per worker, not per task
        shared = client.scatter([pair, X, Y], broadcast=True, hash=False)
        futures = [client.submit(one_numba_thread, _chunk_task, *shared, n, m, start,
                                 min(start + chunk, total), symmetric, pure=False)
                   for start in starts]
        for future in as_completed(futures):
            start, d, status = future.result()
            store(start, d, status)
            done += d.shape[0]
            future.release()
            _report(progress, done, total, t0)
    return PairwiseResult(D, S, symmetric, dict(messages or {}), time.perf_counter() - t0)
