"""CPU kernels (numba ``prange``) behind :mod:`numeric.nn.blocks`.

The kernels assume valid input (the public layer checks it) and never call BLAS or LAPACK
inside a ``prange`` region: with BLAS threads at their default that oversubscribes the cores
(docs/architecture.md). The one BLAS call of the block accumulation (a GEMM) runs between
kernels, where BLAS may use every core.
"""
import math

import numpy as np
from numba import njit, prange

from ..distributed import one_numba_thread
from .activations import activation, activation_derivative, activation_second_derivative, nu

# Entries of the pair-product buffer of :func:`weighted_grams` (8 bytes each): 32 MiB keeps
# the panel the GEMM reads from memory mostly in a 32 MiB L3 and is large enough for the GEMM
# to run at full speed (measured on a 2-core EPYC: 2**22 and 2**24 entries within 10 %).
PAIR_CHUNK_ENTRIES = 2**22

# Below about this many elementary operations (~1 ms) a kernel runs on one thread. Entering a
# parallel region costs ~10 us on an idle machine but a whole scheduler slice (~8 ms measured,
# OpenMP layer) when the cores are busy (pytest -n 2, other processes), which made a small
# RNGD step 100x slower than its arithmetic.
SERIAL_WORK = 2**22

# Below this many multiply-adds (N m D^2 / 2) the blocks are accumulated directly by numba
# rather than by the chunked GEMM: a small GEMM that OpenBLAS still splits over threads costs
# ~5 ms under load (an RNGD step on a 64-32-32-10 MLP, batch 50, took 17 ms that way).
DIRECT_WORK = 2**24

# Edge of the tiles in which :func:`symmetrize` mirrors a block (a 32 x 32 float64 tile, 8 KiB,
# stays in L1 while it is read by rows and written by columns).
MIRROR_TILE = 32


def launch(kernel, work, *args):
    """Call a ``prange`` kernel, on one thread when ``work`` (operations) is small."""
    if work >= SERIAL_WORK:
        return kernel(*args)
    return one_numba_thread(kernel, *args)


@njit(parallel=True, cache=True)
def nu_matrix(H, act, noise, sigma, param, out):
    """out[n, i] = nu(H[n, i]) for every sample n and neuron i."""
    N, m = H.shape
    for n in prange(N):
        for i in range(m):
            out[n, i] = nu(H[n, i], act, noise, sigma, param)


@njit(parallel=True, cache=True)
def activation_matrix(H, act, param, f, df):
    """f[n, i] = f(H[n, i]) and df[n, i] = f'(H[n, i])."""
    N, m = H.shape
    for n in prange(N):
        for i in range(m):
            f[n, i] = activation(H[n, i], act, param)
            df[n, i] = activation_derivative(H[n, i], act, param)


@njit(parallel=True, cache=True)
def activation_curvature_matrix(H, act, param, d2):
    """d2[n, i] = f''(H[n, i])."""
    N, m = H.shape
    for n in prange(N):
        for i in range(m):
            d2[n, i] = activation_second_derivative(H[n, i], act, param)


@njit(parallel=True, cache=True)
def pair_products(Xt, j0, j1, out):
    """Row n of ``out`` = the products Xt[n, j] * Xt[n, k] for j0 <= j < j1, j <= k, packed
    row by row (the upper triangle of the outer product restricted to rows j0..j1-1).
    """
    N, D = Xt.shape
    for n in prange(N):
        c = 0
        for j in range(j0, j1):
            xj = Xt[n, j]
            for k in range(j, D):
                out[n, c] = xj * Xt[n, k]
                c += 1


# reassoc vectorises the dot products over samples (7x faster than the axpy form here)
@njit(parallel=True, cache=True, fastmath={"reassoc", "contract"})
def grams_direct(nu_w, XtT, G):
    """Upper triangles of G[i] = sum_n nu_w[n, i] x_n x_n^T, as dot products over samples;
    ``XtT`` is the transposed input, shape (D, N), so that they run along contiguous rows.
    """
    D, N = XtT.shape
    m = nu_w.shape[1]
    for i in prange(m):
        a = np.empty(N)
        for j in range(D):
            for n in range(N):
                a[n] = nu_w[n, i] * XtT[j, n]
            for k in range(j, D):
                s = 0.0
                for n in range(N):
                    s += a[n] * XtT[k, n]
                G[i, j, k] = s


@njit(parallel=True, cache=True)
def scatter_upper(packed, j0, j1, G):
    """Unpack rows j0..j1-1 of the upper triangles (layout of :func:`pair_products`) into G."""
    m, D, _ = G.shape
    for i in prange(m):
        c = 0
        for j in range(j0, j1):
            for k in range(j, D):
                G[i, j, k] = packed[i, c]
                c += 1


@njit(parallel=True, cache=True)
def symmetrize(G):
    """Copy the upper triangle of every block G[i] to its lower triangle, tile by tile."""
    m, D, _ = G.shape
    T = MIRROR_TILE
    for i in prange(m):
        for jb in range(0, D, T):
            for kb in range(jb, D, T):
                for j in range(jb, min(jb + T, D)):
                    for k in range(max(kb, j + 1), min(kb + T, D)):
                        G[i, k, j] = G[i, j, k]


# reassoc lets LLVM vectorise the dot products (the kernels' only reductions); it does not
# touch the comparisons that detect a non-positive pivot.
@njit(cache=True, fastmath={"reassoc", "contract"})
def cholesky_lower(A, eps, L):
    """Cholesky-Crout factor L (lower) of A + eps*I, row by row; returns 0, or the 1-based
    index of the first non-positive pivot (L is then incomplete).

    Only the upper triangle of A is read, as in the GPU kernel, so that both paths see the
    same matrix when A is not exactly symmetric.
    """
    n = A.shape[0]
    for i in range(n):
        for j in range(i + 1):
            acc = 0.0
            for k in range(j):
                acc += L[i, k] * L[j, k]
            if i == j:
                s = A[i, i] + eps - acc
                if not s > 0.0:  # also catches NaN
                    return i + 1
                L[i, i] = math.sqrt(s)
            else:
                L[i, j] = (A[j, i] - acc) / L[j, j]
        for j in range(i + 1, n):
            L[i, j] = 0.0
    return 0


@njit(cache=True, fastmath={"reassoc", "contract"})
def cholesky_solve_lower(L, b, x):
    """X = (L L^T)^-1 b by forward then backward substitution (x may alias b)."""
    n = L.shape[0]
    for i in range(n):
        acc = 0.0
        for k in range(i):
            acc += L[i, k] * x[k]
        x[i] = (b[i] - acc) / L[i, i]
    # L^T x = y, column-oriented so that the inner loop runs along a row of L
    for i in range(n - 1, -1, -1):
        xi = x[i] / L[i, i]
        x[i] = xi
        for k in range(i):
            x[k] -= L[i, k] * xi


@njit(parallel=True, cache=True)
def batch_cholesky(G, eps, L, status):
    """L[i] = chol(G[i] + eps I) for every block; status[i] as :func:`cholesky_lower`."""
    for i in prange(G.shape[0]):
        status[i] = cholesky_lower(G[i], eps, L[i])


@njit(parallel=True, cache=True)
def batch_cholesky_solve(L, b, x):
    """x[i] = (L[i] L[i]^T)^-1 b[i] for every block."""
    for i in prange(L.shape[0]):
        cholesky_solve_lower(L[i], b[i], x[i])


def pair_chunks(D, N, budget=PAIR_CHUNK_ENTRIES):
    """Split the rows of a D x D upper triangle into runs [j0, j1) whose packed pair products
    for N samples fit ``budget`` entries (at least one row per run).
    """
    chunks = []
    j0 = 0
    while j0 < D:
        cols = D - j0
        j1 = j0 + 1
        while j1 < D and N * (cols + D - j1) <= budget:
            cols += D - j1
            j1 += 1
        chunks.append((j0, j1, cols))
        j0 = j1
    return chunks


def weighted_grams(nu_w, Xt, budget=PAIR_CHUNK_ENTRIES, direct=True):
    r"""G[i] = sum_n nu_w[n, i] Xt[n] Xt[n]^T for all i, as one chunked GEMM.

    All neurons share the sample outer products, so the blocks are one matrix product
    ``nu_w.T @ P`` with ``P[n, (j, k)] = Xt[n, j] Xt[n, k]``; only the upper triangle
    (j <= k) is formed, which halves the arithmetic of a loop of per-neuron Gram products.
    P is built (in parallel, by numba) a run of triangle rows at a time, so memory stays
    ``budget`` entries whatever the size. Small problems (``DIRECT_WORK``) skip the GEMM and
    accumulate directly; ``direct=False`` forces the GEMM path (tests).
    """
    N, D = Xt.shape
    m = nu_w.shape[1]
    G = np.empty((m, D, D))
    work = N * m * D * (D + 1) // 2
    if direct and work < DIRECT_WORK:
        launch(grams_direct, work, nu_w, np.ascontiguousarray(Xt.T), G)
        launch(symmetrize, m * D * D, G)
        return G
    W = np.ascontiguousarray(nu_w.T)
    chunks = pair_chunks(D, N, budget)
    widest = max(c[2] for c in chunks)
    pbuf = np.empty(N * widest)
    gbuf = np.empty(m * widest)
    for j0, j1, cols in chunks:
        P = pbuf[: N * cols].reshape(N, cols)
        launch(pair_products, N * cols, Xt, j0, j1, P)
        packed = gbuf[: m * cols].reshape(m, cols)
        np.matmul(W, P, out=packed)
        launch(scatter_upper, m * cols, packed, j0, j1, G)
    launch(symmetrize, m * D * D, G)
    return G
