"""numba.cuda kernels for the per-neuron Fisher blocks and the batched damped solves.

The kernels call the scalar ``@njit`` cores of :mod:`numeric.nn.activations` unchanged, so
the CPU and GPU paths evaluate nu with the same source. Every kernel guards its bounds after
computing its indices; tile sizes are named constants (they size shared and local arrays,
which must be compile-time constants).
"""
import math

from numba import config, cuda, float64

from ..activations import nu

# Per-neuron Gram blocks: a TILE x TILE thread block computes one TILE x TILE tile of the
# (j, k) entries for NEURONS_PER_BLOCK neurons at once. The pair product x_nj x_nk is shared by
# all neurons, so each thread does NEURONS_PER_BLOCK fused multiply-adds per product and per
# shared-memory read of x (a weighted-GEMM formulation rather than one tile per neuron).
# SAMPLES_PER_STEP samples are staged in shared memory per step; it equals TILE so that the
# TILE*TILE threads load the two slabs of x with one element each.
# nu matrix: one thread per (sample, neuron), NU_THREADS per block.
# Cholesky and triangular solves: one thread block of SOLVE_THREADS per system; threads share
# out the entries of each row of the trailing update.
if config.ENABLE_CUDASIM:
    # The simulator runs one OS thread per CUDA thread: small blocks keep tests fast, and make
    # tiny test problems span several tiles, so edge, diagonal and mirrored tiles and strided
    # solve loops all run. The kernels' code is the same; only these sizes differ.
    TILE, NEURONS_PER_BLOCK, SOLVE_THREADS, NU_THREADS = 4, 2, 3, (4, 4)
else:
    TILE, NEURONS_PER_BLOCK, SOLVE_THREADS, NU_THREADS = 16, 8, 64, (16, 16)
SAMPLES_PER_STEP = TILE
assert SAMPLES_PER_STEP * NEURONS_PER_BLOCK <= TILE * TILE, "nu slab must fit one load per thread"


@cuda.jit
def nu_kernel(W, Xt, act, noise, sigma, param, out):
    """out[n, i] = nu(W[i] . Xt[n])."""
    n, i = cuda.grid(2)
    if n < Xt.shape[0] and i < W.shape[0]:
        h = 0.0
        for k in range(Xt.shape[1]):
            h += W[i, k] * Xt[n, k]
        out[n, i] = nu(h, act, noise, sigma, param)


@cuda.jit
def gram_kernel(nu_w, Xt, scale, G):
    """G[i, j, k] = scale * sum_n nu_w[n, i] Xt[n, j] Xt[n, k] (blocks with j-tile > k-tile
    are skipped: they are written as mirrors by the block above the diagonal).
    """
    bk = cuda.blockIdx.x
    bj = cuda.blockIdx.y
    if bj > bk:
        return  # uniform over the block, so no thread is left waiting at a barrier
    tk = cuda.threadIdx.x  # fastest index runs along k, the contiguous axis of Xt and G
    tj = cuda.threadIdx.y
    i0 = cuda.blockIdx.z * NEURONS_PER_BLOCK
    N, D = Xt.shape
    m = nu_w.shape[1]
    xj_s = cuda.shared.array((SAMPLES_PER_STEP, TILE), float64)
    xk_s = cuda.shared.array((SAMPLES_PER_STEP, TILE), float64)
    nu_s = cuda.shared.array((SAMPLES_PER_STEP, NEURONS_PER_BLOCK), float64)
    acc = cuda.local.array(NEURONS_PER_BLOCK, float64)
    for q in range(NEURONS_PER_BLOCK):
        acc[q] = 0.0
    t = tj * TILE + tk
    for n0 in range(0, N, SAMPLES_PER_STEP):
        r = t // TILE
        c = t % TILE
        n = n0 + r
        cj = bj * TILE + c
        ck = bk * TILE + c
        xj_s[r, c] = Xt[n, cj] if (n < N and cj < D) else 0.0
        xk_s[r, c] = Xt[n, ck] if (n < N and ck < D) else 0.0
        if t < SAMPLES_PER_STEP * NEURONS_PER_BLOCK:
            r2 = t // NEURONS_PER_BLOCK
            c2 = t % NEURONS_PER_BLOCK
            n2 = n0 + r2
            i2 = i0 + c2
            nu_s[r2, c2] = nu_w[n2, i2] if (n2 < N and i2 < m) else 0.0
        cuda.syncthreads()
        for s in range(SAMPLES_PER_STEP):
            p = xj_s[s, tj] * xk_s[s, tk]
            for q in range(NEURONS_PER_BLOCK):
                acc[q] += nu_s[s, q] * p
        cuda.syncthreads()
    j = bj * TILE + tj
    k = bk * TILE + tk
    if j < D and k < D and j <= k:
        for q in range(NEURONS_PER_BLOCK):
            i = i0 + q
            if i < m:
                v = acc[q] * scale
                G[i, j, k] = v
                G[i, k, j] = v


@cuda.jit
def cholesky_kernel(A, eps, U, status):
    """U[b] = upper Cholesky factor of A[b] + eps I (A = U^T U), right-looking, one thread
    block per system; status[b] = 0 or the 1-based index of the first non-positive pivot.
    """
    b = cuda.blockIdx.x
    t = cuda.threadIdx.x
    nt = cuda.blockDim.x
    if b >= A.shape[0]:
        return
    D = A.shape[1]
    for r in range(D):
        for c in range(t, D, nt):
            if c < r:
                U[b, r, c] = 0.0
            elif c == r:
                U[b, r, c] = A[b, r, c] + eps
            else:
                U[b, r, c] = A[b, r, c]
    if t == 0:
        status[b] = 0
    for j in range(D):
        cuda.syncthreads()
        p = U[b, j, j]
        if not p > 0.0:  # every thread sees the same p, so all leave together
            if t == 0:
                status[b] = j + 1
            return
        d = math.sqrt(p)
        cuda.syncthreads()  # every thread has read U[j, j] before it is overwritten
        for c in range(j + t, D, nt):
            U[b, j, c] = d if c == j else U[b, j, c] / d
        cuda.syncthreads()
        # trailing update A[r, c] -= U[j, r] U[j, c], r <= c; threads run along the row c
        for r in range(j + 1, D):
            u = U[b, j, r]
            for c in range(r + t, D, nt):
                U[b, r, c] -= u * U[b, j, c]


@cuda.jit
def cholesky_solve_kernel(U, rhs, x):
    """x[b] = (U[b]^T U[b])^-1 rhs[b], one thread block per system."""
    b = cuda.blockIdx.x
    t = cuda.threadIdx.x
    nt = cuda.blockDim.x
    if b >= U.shape[0]:
        return
    D = U.shape[1]
    for c in range(t, D, nt):
        x[b, c] = rhs[b, c]
    # U^T y = rhs: column j of U^T is row j of U, so the updates run along contiguous rows
    for j in range(D):
        cuda.syncthreads()
        yj = x[b, j] / U[b, j, j]
        cuda.syncthreads()
        if t == 0:
            x[b, j] = yj
        for c in range(j + 1 + t, D, nt):
            x[b, c] -= U[b, j, c] * yj
    # U x = y
    for j in range(D - 1, -1, -1):
        cuda.syncthreads()
        xj = x[b, j] / U[b, j, j]
        cuda.syncthreads()
        if t == 0:
            x[b, j] = xj
        for r in range(t, j, nt):
            x[b, r] -= U[b, r, j] * xj
