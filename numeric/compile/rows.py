"""Batch loops of the generated modules: a serial compiled row loop, run on host threads.

Every generated module (kernels, integrators, the Newton stage of the log map, quadrature
engines) evaluates its batches the same way: ``<name>_rows(lo, hi, ...)`` is a numba
function (``nogil=True``) that handles rows ``lo .. hi - 1`` with its workspace allocated
once, and ``<name>_batch(...)`` is a plain Python function that calls :func:`over_rows`,
which splits the rows into contiguous blocks and runs them on ``numba.get_num_threads()``
threads. A nogil function releases the GIL, so the blocks run in parallel as under
numba's ``prange``; the calling thread takes blocks too, and with one numba thread
(:func:`numeric.distributed.one_numba_thread`, a Dask task) everything runs in it.

Why not ``prange``: numba compiles a ``parallel=True`` loop several times slower than the
same loop serial (its outlined gufunc is optimised again with everything it calls), and a
cold test run compiles these loops for some 30 geodesic modules and a dozen quadrature
engines. Measured on Gamma's first ``exp`` and ``log`` in a fresh cache (two cores): 32.8 s
with ``prange``, 28.8 s with this; a mixture's ``moments_batch`` 5.4 s, ``moments_rows``
2.7 s; 2,000 log maps run in the same time (0.27 s). What remains of a wrapper's compile
(about 4 s for ``solve_rows``) is LLVM optimising the callees linked into it once more;
``_dbg_optnone`` would avoid that but makes numba refuse to cache the function. Blocks
are also taken dynamically, so a slow row (a geodesic near the boundary) no longer holds
up a statically assigned share.
"""
import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numba

__all__ = ["over_rows"]

#: blocks per thread: enough for the dynamic balance, few enough that a block's workspace
#: allocation and the dispatch (about 10 µs) stay negligible
BLOCKS_PER_THREAD = 4

_POOL = None
_POOL_LOCK = threading.Lock()


def _pool():
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            size = max(1, int(numba.config.NUMBA_NUM_THREADS), os.cpu_count() or 1)
            _POOL = ThreadPoolExecutor(max_workers=size, thread_name_prefix="infogeom-rows")
        return _POOL


def over_rows(rows, m, *args):
    """Call ``rows(lo, hi, *args)`` over the blocks of ``range(m)``, in parallel.

    Parameters
    ----------
    rows : callable
        A compiled ``nogil`` row loop; it writes its results into arrays among ``args``.
    m : int
        Number of rows.
    *args
        Its other arguments, the same for every block.

    Notes
    -----
    At most ``numba.get_num_threads()`` blocks run at once (the calling thread's setting),
    one of them in the calling thread. An exception in any block is raised here after every
    block has ended.

    Examples
    --------
    >>> import numpy as np
    >>> from numba import njit
    >>> @njit(nogil=True)
    ... def square_rows(lo, hi, x, out):
    ...     for i in range(lo, hi):
    ...         out[i] = x[i] * x[i]
    >>> x = np.arange(10.0)
    >>> out = np.empty(10)
    >>> over_rows(square_rows, 10, x, out)
    >>> out.tolist() == (x * x).tolist()
    True
    """
    m = int(m)
    threads = min(int(numba.get_num_threads()), m)
    if threads <= 1:
        if m > 0:
            rows(0, m, *args)
        return
    blocks = min(m, BLOCKS_PER_THREAD * threads)
    bounds = [k * m // blocks for k in range(blocks + 1)]
    taken = itertools.count()  # next() on it is atomic under the GIL

    def work():
        while True:
            k = next(taken)
            if k >= blocks:
                return
            rows(bounds[k], bounds[k + 1], *args)

    futures = [_pool().submit(work) for _ in range(threads - 1)]
    error = None
    try:
        work()
    except BaseException as exc:  # wait for the other blocks before raising
        error = exc
    for future in futures:
        try:
            future.result()
        except BaseException as exc:
            error = error or exc
    if error is not None:
        raise error
