"""Benchmark: per-neuron RFIM block accumulation and batched damped solves.

For a layer with ``n_in`` inputs and ``m`` neurons over ``N`` samples the blocks are
``G_i = X~^T diag(nu_i) X~ / N`` (``D = n_in + 1``). Compared in the same run:

accumulation
  * toolkit: ``numeric.nn.blocks`` CPU path (one GEMM of nu^T against the packed upper triangles
    of the sample outer products, built in chunks by numba ``prange``);
  * BLAS loop: a Python loop of weighted Gram products ``(X~ * nu_i).T @ X~`` (one GEMM each);
  * chunked GEMM: nu^T against the full flattened outer products, formed by numpy in chunks;
  * ``np.einsum("ni,nj,nk->ijk", ...)`` (``optimize=True``); for large layers timed on a subset
    of neurons and scaled linearly (its cost is linear in ``m``).
solves ``(G_i + eps I) d_i = g_i``
  * toolkit: batched Cholesky-Crout + triangular solves, numba ``prange`` over blocks;
  * ``np.linalg.solve`` on the stack (LU per block, LAPACK);
  * a loop of ``scipy.linalg.cho_factor`` / ``cho_solve`` (LAPACK, BLAS threads on).

GFLOP/s are nominal: every accumulation method is credited with the BLAS loop's ``2 N m D^2``
flops (the toolkit does about half of them, by symmetry), every solve with ``m (D^3/3 + 2 D^2)``.
Ratios are toolkit throughput / baseline throughput (> 1: toolkit faster).

On a CUDA GPU (not the simulator) the numba.cuda kernels are timed too, against cupy batched
matmul when cupy is importable.

Run: ``python benchmarks/blocks.py [--sizes 128 512] [--samples 2048] [--repeat 3] [--threads 1]``.
"""
import argparse
import os
import sys
import time

import numpy as np
import scipy.linalg

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from numeric.nn import _cpu as _blocks_cpu  # noqa: E402
from numeric.nn import blocks  # noqa: E402

EPS = 1e-3


def best_time(fn, repeat):
    best = np.inf
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def blas_loop(nu, Xt):
    N, D = Xt.shape
    G = np.empty((nu.shape[1], D, D))
    for i in range(nu.shape[1]):
        G[i] = (Xt * nu[:, i : i + 1]).T @ Xt
    return G / N


def chunked_full_gemm(nu, Xt, budget=2**22):
    N, D = Xt.shape
    m = nu.shape[1]
    nuT = np.ascontiguousarray(nu.T) / N
    G = np.empty((m, D * D))
    rows = max(1, budget // (N * D))
    for j0 in range(0, D, rows):
        j1 = min(D, j0 + rows)
        P = (Xt[:, j0:j1, None] * Xt[:, None, :]).reshape(N, -1)
        G[:, j0 * D : j1 * D] = nuT @ P
    return G.reshape(m, D, D)


def einsum(nu, Xt):
    return np.einsum("ni,nj,nk->ijk", nu, Xt, Xt, optimize=True) / Xt.shape[0]


def row(name, t, flops, toolkit_t=None, note=""):
    """One result line; for a baseline, the ratio is toolkit throughput / its throughput."""
    ratio = "" if toolkit_t is None else f"{t / toolkit_t:8.2f}x"
    print(f"  {name:<34s} {t * 1e3:10.1f} ms {flops / t / 1e9:9.1f} GFLOP/s {ratio:>9s}  {note}")


def bench_cpu(n_in, m, N, repeat, rng):
    D = n_in + 1
    X = rng.standard_normal((N, n_in))
    W = rng.standard_normal((m, D)) / np.sqrt(D)
    Xt = np.hstack([X, np.ones((N, 1))])
    nu = blocks.neuron_nu(Xt @ W.T, "tanh", "symmetric")
    flops = 2.0 * N * m * D * D
    print(f"\nlayer n_in={n_in}, neurons={m}, samples={N}  (D={D}; nominal {flops / 1e9:.2f} GFLOP)")
    print("  accumulation                            time      throughput  toolkit vs")

    blocks.neuron_blocks(W[:2], X[:8], "tanh", "symmetric")  # compile / load the kernels
    t_tk, G = best_time(lambda: _blocks_cpu.weighted_grams(nu / N, Xt), repeat)
    t_full, G_full = best_time(lambda: blocks.neuron_blocks(W, X, "tanh", "symmetric"), repeat)
    t_loop, G_loop = best_time(lambda: blas_loop(nu, Xt), max(1, repeat - 1))
    t_chunk, G_chunk = best_time(lambda: chunked_full_gemm(nu, Xt), max(1, repeat - 1))
    sub = m if m <= 128 else 4
    t_ein, G_ein = best_time(lambda: einsum(nu[:, :sub], Xt), 1)
    t_ein *= m / sub
    for other in (G_full, G_loop, G_chunk):
        assert np.allclose(other, G, rtol=1e-10, atol=1e-12)
    assert np.allclose(G_ein, G[:sub], rtol=1e-10, atol=1e-12)
    row("toolkit weighted_grams (nu given)", t_tk, flops)
    row("toolkit neuron_blocks (with nu)", t_full, flops)
    row("BLAS loop X~^T diag(nu_i) X~", t_loop, flops, t_tk)
    row("one GEMM vs outer products, chunked", t_chunk, flops, t_tk)
    row("np.einsum (optimize=True)", t_ein, flops, t_tk,
        "" if sub == m else f"(timed on {sub} neurons, scaled x{m // sub})")
    print(f"  toolkit throughput vs BLAS loop: {t_loop / t_tk:.2f}x "
          f"({100 * t_loop / t_tk:.0f} % of the loop's; target >= 80 %)")

    G = G + 0.0
    g = rng.standard_normal((m, D))
    sflops = m * (D**3 / 3 + 2 * D**2)
    print("  damped solves (G_i + eps I) d_i = g_i")
    blocks.solve_blocks(G[:1, :3, :3], g[:1, :3], EPS)
    t_s, d = best_time(lambda: blocks.solve_blocks(G, g, EPS), repeat)
    I = np.eye(D)
    t_np, d_np = best_time(lambda: np.linalg.solve(G + EPS * I, g[..., None])[..., 0], repeat)

    def cho_loop():
        out = np.empty_like(g)
        for i in range(m):
            out[i] = scipy.linalg.cho_solve(scipy.linalg.cho_factor(G[i] + EPS * I), g[i])
        return out

    t_cl, d_cl = best_time(cho_loop, repeat)
    assert np.allclose(d, d_np, rtol=1e-6, atol=1e-9) and np.allclose(d, d_cl, rtol=1e-6, atol=1e-9)
    row("toolkit solve_blocks", t_s, sflops)
    row("np.linalg.solve (stacked, LU)", t_np, sflops, t_s)
    row("scipy cho_factor/cho_solve loop", t_cl, sflops, t_s)
    print(f"  (load average now {os.getloadavg()[0]:.2f}: other processes on these cores slow the "
          f"multithreaded baselines most)")
    return G, g


def bench_gpu(n_in, m, N, repeat, rng):
    from numba import cuda

    from numeric.nn import cuda as gpu

    D = n_in + 1
    X = rng.standard_normal((N, n_in))
    W = rng.standard_normal((m, D)) / np.sqrt(D)
    Xt = np.hstack([X, np.ones((N, 1))])
    flops = 2.0 * N * m * D * D
    dW, dXt = cuda.to_device(W), cuda.to_device(Xt)
    dnu = cuda.device_array((N, m))
    dG = cuda.device_array((m, D, D))

    def run_grams():
        gpu.launch_nu(dW, dXt, 1, 2, 1.0, 0.0, dnu)
        gpu.launch_grams(dnu, dXt, 1.0 / N, dG)
        cuda.synchronize()

    run_grams()
    t, _ = best_time(run_grams, repeat)
    print(f"\nGPU layer n_in={n_in}, neurons={m}, samples={N}")
    row("numba.cuda nu + grams", t, flops)
    G = dG.copy_to_host()
    nu = dnu.copy_to_host()
    assert np.allclose(G, _blocks_cpu.weighted_grams(nu / N, Xt), rtol=1e-10, atol=1e-12)
    try:
        import cupy as cp
    except ImportError:
        print("  cupy not importable: cupy batched matmul comparison skipped")
    else:
        cXt, cnu = cp.asarray(Xt), cp.asarray(nu)

        def run_cupy():
            S = cnu.T[:, :, None] * cXt[None, :, :]         # (m, N, D)
            out = cp.matmul(cp.swapaxes(S, 1, 2), cXt[None]) / N
            cp.cuda.Device().synchronize()
            return out

        run_cupy()
        tc, _ = best_time(run_cupy, repeat)
        row("cupy batched matmul", tc, flops, t)
    G = G + EPS * np.eye(D)
    g = rng.standard_normal((m, D))
    dG2, dg = cuda.to_device(G), cuda.to_device(g)
    dU, dst, dx = cuda.device_array((m, D, D)), cuda.device_array(m, dtype=np.int64), cuda.device_array((m, D))

    def run_solve():
        gpu.launch_cholesky(dG2, 0.0, dU, dst)
        gpu.launch_cholesky_solve(dU, dg, dx)
        cuda.synchronize()

    run_solve()
    ts, _ = best_time(run_solve, repeat)
    row("numba.cuda batched Cholesky solve", ts, m * (D**3 / 3 + 2 * D**2))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 512],
                    help="layer sizes: n_in = neurons = size")
    ap.add_argument("--samples", type=int, default=2048)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None,
                    help="limit numba and BLAS to this many threads (1 gives per-core numbers, "
                         "much less disturbed by other processes than multithreaded ones)")
    args = ap.parse_args(argv)
    import contextlib

    import numba

    limit = contextlib.nullcontext()
    if args.threads:
        import threadpoolctl

        numba.set_num_threads(args.threads)
        limit = threadpoolctl.threadpool_limits(args.threads)
    with limit:
        run(args)


def run(args):
    import numba

    try:
        import threadpoolctl
    except ImportError:
        blas = "unknown (threadpoolctl not installed)"
    else:
        blas = ", ".join(f"{i['internal_api']} {i['version']} ({i['num_threads']} threads)"
                         for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas")
    print(f"numpy {np.__version__}, numba {numba.__version__} ({numba.get_num_threads()} threads), "
          f"BLAS: {blas}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    rng = np.random.default_rng(0)
    for n in args.sizes:
        bench_cpu(n, n, args.samples, args.repeat, rng)
    from numeric.nn import cuda as gpu

    if gpu.is_simulator() or not gpu.is_available():
        print("\nGPU: no CUDA GPU here (or the simulator is on): GPU timings skipped")
    else:
        for n in args.sizes:
            bench_gpu(n, n, args.samples, args.repeat, rng)


if __name__ == "__main__":
    main()
