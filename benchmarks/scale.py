"""Scale benchmark: distance matrices on CPU threads, on a Dask cluster, and far pairs.

For Beta and Dirichlet(3) (random points over (0.5, 4)^n, the same for every contender):

- ``distance()`` on a batch of random pairs: the throughput a user gets from the single-pair
  API today (pairs per second, and per numba thread);
- ``pairwise_distances(X)`` for N = 500 and 2000 points (10^4 with ``--large``): pairs per
  second, its ratio to ``distance()`` per thread, the peak resident memory of the process
  during the call, and the fraction of pairs converged;
- the same on a ``LocalCluster`` of 1 and 2 worker processes (one thread each; a task runs
  numba on one thread), the ratio of the two (``--workers``), the throughput per worker
  thread as a ratio to ``distance()`` on one numba thread in the same run, and the fraction
  of the time the worker threads computed (Dask's task stream), and the cores the cluster's
  processes used (fewer than its workers: the machine is shared, see docs/guide/scale.md)
  with the pairs per CPU second of all of them as a ratio to ``distance()``'s;
  or on an existing scheduler
  (``--scheduler tcp://host:8786``: then the workers there are used as they are, and need this
  package importable and its kernel cache writable);
- ``--far``: per-pair cost of the shooting log map, single-threaded, for every catalog family
  of dimension >= 2 over its typical box widened as Beta's (0.5, 4)^2 is to (0.5, 10)^2, as
  a ratio to Beta's cost (closed forms are not used: this measures shooting);
  ``--only far --families VonMises`` measures only the named catalog families and Beta (the
  pairs are those of the full run).

- on a GPU (when numba.cuda finds one): exp maps per second and ``pairwise_distances`` with
  ``backend="cuda"`` against the CPU threads, with the largest difference between the two;
  and ``distance()`` by shooting on ``--gpu-pairs`` random pairs with ``backend="cuda"``
  (Newton's method one CUDA thread per pair, continuation on the host) against the CPU
  threads: distances per second, the fraction solved on the device, the largest relative
  difference from the CPU path and the largest relative error against the mpmath reference
  (numeric.geodesics.reference, 20 digits) on ``--reference`` pairs;
- ``--ptx``: the CUDA kernels of each family (the exp map, with the variational equations, and
  the log map's Newton stage ``shoot_cuda``) compiled to PTX for sm_90 without a GPU, and
  ``ptxas -v`` (when on PATH) for registers, local memory (stack) and spills per thread, with
  the theoretical occupancy of an H100/H200 SM at 128 threads per block. ``--families Normal``
  compiles in about two minutes (Beta's polygamma device functions take several).

Usage: python benchmarks/scale.py [--sizes 500 2000] [--large] [--families Beta Dirichlet(3)]
       [--workers 1 2] [--scheduler ADDRESS] [--no-cluster] [--far] [--pairs 2000] [--ptx]
       [--gpu-pairs 100000] [--gpu-n 500] [--reference 5] [--only far|ptx|cluster|gpu]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numba  # noqa: E402

from benchmarks.common import PeakMemory, far_box, points_in_box  # noqa: E402
from manifolds import CATALOG, Beta, Dirichlet, Normal  # noqa: E402
from manifolds.catalog import TYPICAL_CONSTANTS  # noqa: E402
from numeric.geodesics.shooting import NewtonStage  # noqa: E402

FAMILIES = {"Beta": Beta, "Dirichlet(3)": lambda: Dirichlet(3)}
# --families may also name these (not run by default); Normal's kernels compile fastest
EXTRA_FAMILIES = {"Normal": Normal}


def points(M, count, low, high, rng):
    return rng.uniform(low, high, (count, M.dim))


def single_pairs(N, count, rng, low=0.5, high=4.0):
    """Pairs per second of ``distance()`` on ``count`` random pairs (one batched call)."""
    x, y = points(N.manifold, count, low, high, rng), points(N.manifold, count, low, high, rng)
    N.distance(x[:4], y[:4])  # load the kernels
    t = time.perf_counter()
    N.distance(x, y, throw=False)
    return count / (time.perf_counter() - t)


def run_local(name, N, sizes, pairs, rng):
    threads = numba.get_num_threads()
    single = single_pairs(N, pairs, rng)
    print(f"\n{name}: distance() on {pairs} random pairs: {single:,.0f} pairs/s "
          f"({single / threads:,.0f} per thread, {threads} numba threads)")
    print(f"  {'N':>6} {'pairs':>10} {'seconds':>9} {'pairs/s':>10} {'/distance()':>11} "
          f"{'peak MiB':>9} {'converged':>10}")
    for n in sizes:
        X = points(N.manifold, n, 0.5, 4.0, rng)
        with PeakMemory() as mem:
            r = N.pairwise_distances(X)
        rate = r.pairs / r.elapsed
        print(f"  {n:>6} {r.pairs:>10,} {r.elapsed:>9.2f} {rate:>10,.0f} {rate / single:>11.2f} "
              f"{(mem.peak - mem.start) / 2**20:>9.1f} {r.converged:>10.6f}")
        if not r.ok:
            print(f"    not converged: {r.message}")


def single_thread_pairs(N, count, rng):
    """Pairs per second and per CPU second of ``distance()`` on ``count`` random pairs on one
    numba thread.
    """
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        x = points(N.manifold, 4, 0.5, 4.0, rng)
        N.distance(x[:2], x[2:])  # load the kernels outside the CPU time
        cpu = process_cpu()
        rate = single_pairs(N, count, rng)
        return rate, count / (process_cpu() - cpu)
    finally:
        numba.set_num_threads(threads)


def process_cpu():
    """CPU seconds used by this process so far."""
    t = os.times()
    return t.user + t.system


def task_stream_busy(stream, wall):
    """Seconds of task computation per worker thread in a task stream, and the fraction of
    ``wall`` that the busiest and the idlest thread computed.
    """
    busy = {}
    for task in stream:
        for part in task["startstops"]:
            if part["action"] == "compute":
                key = (task["worker"], task.get("thread"))
                busy[key] = busy.get(key, 0.0) + part["stop"] - part["start"]
    return sum(busy.values()), max(busy.values()) / wall, min(busy.values()) / wall


def run_cluster(name, N, n, workers, scheduler, rng, pairs=2000):
    import distributed

    X = points(N.manifold, n, 0.5, 4.0, rng)
    warm = X[:16]
    # the same run's baseline: what one core does with the single-pair API
    single, single_cpu = single_thread_pairs(N, pairs, rng)
    print(f"  {name}: distance() on {pairs} random pairs, one numba thread: {single:,.0f} pairs/s, "
          f"{single_cpu:,.0f} per CPU second")
    rates = {}
    for w in ([None] if scheduler else workers):
        if scheduler:
            client = distributed.Client(scheduler)
            label = f"scheduler {scheduler} ({len(client.scheduler_info()['workers'])} workers)"
            cluster = None
        else:
            # one thread per worker; the tasks run numba on one thread (numeric.distributed)
            cluster = distributed.LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                                               dashboard_address=None, silence_logs=40)
            client = distributed.Client(cluster)
            label = f"LocalCluster, {w} worker{'s' if w > 1 else ''}"
        try:
            threads = sum(client.nthreads().values())
            # many small tasks, so that every worker loads the kernels before the timed run
            N.pairwise_distances(warm, client=client, chunk=2)
            before, mine = client.run(process_cpu), process_cpu()
            with distributed.get_task_stream(client) as stream:
                r = N.pairwise_distances(X, client=client)
            compute, most, least = task_stream_busy(stream.data, r.elapsed)
            after = client.run(process_cpu)
            # CPU seconds of the workers and of this process (client, scheduler, nannies)
            used = sum(after[k] - before[k] for k in before) + process_cpu() - mine
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        rates[w] = r.pairs / r.elapsed
        print(f"  {name} N={n}, {label}: {rates[w]:,.0f} pairs/s, {r.elapsed:.1f} s, "
              f"converged {r.converged:.6f}; per worker thread {rates[w] / threads / single:.2f}x "
              f"distance() on one thread; threads computing {least:.0%} to {most:.0%} of the "
              f"time, {r.pairs / compute / single:.2f}x distance() while computing; the "
              f"cluster's processes used {used / r.elapsed:.2f} cores"
              + ("" if scheduler else f" of this machine's {os.cpu_count()}")
              + f", {r.pairs / used / single_cpu:.2f}x distance()'s pairs per CPU second")
    if len(rates) == 2 and None not in rates:
        a, b = sorted(rates)
        print(f"  {name} N={n}: {b} workers / {a} worker = {rates[b] / rates[a]:.2f}x")


def run_far(count, rng, repeats=3, families=None):
    """Per-pair cost of the shooting log map on far pairs, single-threaded, for every catalog
    family of dimension >= 2 (closed forms not used: this measures shooting), over its typical
    box widened as Beta's (0.5, 4)^2 is to (0.5, 10)^2 (benchmarks.common.far_box). The time
    is the best of ``repeats`` runs of the batch (the steps are the same in each).
    ``families``: only these catalog names (Beta always, the reference); every family's pairs
    are still drawn, so a family gets the same pairs as in the full run.
    """
    numba.set_num_threads(1)
    rows = []
    for name, make, args in CATALOG:
        M = make(*args).with_constants(**TYPICAL_CONSTANTS.get(name, {}))   # numbers for Binomial() ...
        if M.dim < 2:
            continue
        N = M.numeric
        box = far_box(M)
        x, y = points_in_box(M, box, count, rng), points_in_box(M, box, count, rng)
        if families is not None and name not in families and name != "Beta":
            continue
        N.log(x[:2], y[:2], throw=False)  # load (or compile) the kernels
        cost = np.inf
        for _ in range(repeats):  # the best of a few runs: the machine may be shared
            t = time.perf_counter()
            r = N.log(x, y, throw=False, full_output=True)
            cost = min(cost, (time.perf_counter() - t) / count)
        rows.append((name, box, cost, float(np.mean(r.status == 0)), float(np.mean(r.iterations)),
                     float(np.mean(r.steps)), guess_error(M, x, y, r)))
        print(f"  {name}: {cost * 1e3:.3f} ms/pair", file=sys.stderr, flush=True)
    beta = next(row for row in rows if row[0] == "Beta")
    print(f"\nfar pairs: shooting log map, one thread, {count} random pairs per family over its "
          f"typical box widened (Beta: (0.5, 10)^2), best of {repeats} runs")
    print("  (steps: integrator steps per pair, the work whatever the load; /Beta: of the time;")
    print("  guess: the family's first guess, relative error against the log map in the Fisher")
    print("  norm, median / 90th percentile)")
    print(f"  {'family':<22} {'ms/pair':>8} {'/Beta':>6} {'steps':>7} {'/Beta':>6} {'converged':>10} "
          f"{'integrations':>13} {'guess':>13}  box")
    for name, box, cost, ok, rounds, steps, guess in rows:
        span = " x ".join(f"({lo:.3g}, {hi:.3g})" for lo, hi in box)
        guess = "-" if guess is None else f"{guess[0]:.3f} / {guess[1]:.3f}"
        print(f"  {name:<22} {cost * 1e3:>8.3f} {cost / beta[2]:>6.2f} {steps:>7.0f} {steps / beta[5]:>6.2f} "
              f"{ok:>10.4f} {rounds:>13.1f} {guess:>13}  {span}")


def guess_error(M, x, y, r):
    """Median and 90th percentile over the converged pairs of ``|guess - v|_g / |v|_g`` for
    the family's first guess (StatisticalManifold.shooting_guess) against the log maps ``r``,
    in the Fisher norm at x; None where the family declares no guess.
    """
    if M.shooting_guess is None:
        return None
    N = M.numeric
    ok = np.asarray(r.status) == 0
    x, v = x[ok], np.asarray(r.v)[ok]
    g = N.metric(x)
    with np.errstate(invalid="ignore"):
        w = np.asarray(M.shooting_guess(x, N.nearest_copy(x, y[ok]))) - v
        norm = np.sqrt(np.einsum("mi,mij,mj->m", v, g, v))
        error = np.sqrt(np.einsum("mi,mij,mj->m", w, g, w)) / norm
    return float(np.nanmedian(error)), float(np.nanpercentile(error, 90))


def run_gpu(name, N, rng, count=100_000, n=500):
    x, v = points(N.manifold, count, 0.5, 4.0, rng), rng.normal(scale=0.5, size=(count, N.manifold.dim))
    solver = N._solver(False)
    solver.on("cuda")(x[:4], v[:4])  # compile
    rates = {}
    for backend in ("cpu", "cuda"):
        t = time.perf_counter()
        sol = solver.on(backend)(x, v, 1.0, rtol=1e-12)
        rates[backend] = count / (time.perf_counter() - t)
        rates[backend + "_x"] = sol.x[:, -1]
    diff = np.nanmax(np.abs(rates["cuda_x"] - rates["cpu_x"]) / np.abs(rates["cpu_x"]))
    print(f"  {name}: exp maps/s CPU {rates['cpu']:,.0f}, GPU {rates['cuda']:,.0f} "
          f"({rates['cuda'] / rates['cpu']:.1f}x), max relative difference {diff:.1e}")
    X = points(N.manifold, n, 0.5, 4.0, rng)
    cpu = N.pairwise_distances(X)
    gpu = N.pairwise_distances(X, backend="cuda")
    diff = np.nanmax(np.abs(gpu.distances - cpu.distances) / np.maximum(cpu.distances, 1e-300))
    print(f"  {name} N={n}: distances/s CPU {cpu.pairs / cpu.elapsed:,.0f}, GPU "
          f"{gpu.pairs / gpu.elapsed:,.0f}, converged {gpu.converged:.6f}, max relative "
          f"difference {diff:.1e}")


def run_gpu_log(name, N, rng, count, reference):
    """Distances per second of the shooting log map (never a closed form) on ``count`` random pairs, with
    ``backend="cuda"`` (Newton's method in one kernel, a thread per pair; continuation on the
    host for the pairs it leaves) and on the CPU threads, the fraction of pairs the device
    solved, the largest relative difference between the two, and the largest relative error
    of the GPU distances against the mpmath reference on ``reference`` pairs.
    """
    x, y = points(N.manifold, count, 0.5, 4.0, rng), points(N.manifold, count, 0.5, 4.0, rng)
    N.distance(x[:256], y[:256], backend="cuda", throw=False, method="numerical")  # compile or load
    N.distance(x[:256], y[:256], throw=False, method="numerical")
    rates, d = {}, {}
    for backend in ("cpu", "cuda"):
        t = time.perf_counter()
        d[backend] = N.distance(x, y, backend=backend, throw=False, method="numerical")
        rates[backend] = count / (time.perf_counter() - t)
    part = min(count, 10_000)
    stage = N.log(x[:part], y[:part], backend="cuda", throw=False, full_output=True).newton_stage
    solved = float(np.mean(stage == NewtonStage.SOLVED))
    converged = float(np.mean(np.isfinite(d["cuda"])))
    diff = np.nanmax(np.abs(d["cuda"] - d["cpu"]) / np.maximum(d["cpu"], 1e-300))
    ref = N.reference(dps=20)
    k = min(reference, count)
    guess = N.log(x[:k], y[:k], throw=False)
    errors = []
    for i in range(k):
        if np.isfinite(d["cuda"][i]) and np.isfinite(guess[i]).all():
            exact = float(ref.distance(x[i], y[i], guess=guess[i]))
            errors.append(abs(d["cuda"][i] - exact) / exact)
    print(f"  {name} distance() by shooting, {count:,} pairs: distances/s CPU {rates['cpu']:,.0f}, "
          f"GPU {rates['cuda']:,.0f} ({rates['cuda'] / rates['cpu']:.1f}x); solved on the device "
          f"{solved:.4f}, converged {converged:.6f}; max relative difference GPU/CPU {diff:.1e}, "
          f"max relative error against mpmath ({len(errors)} pairs) "
          f"{max(errors) if errors else float('nan'):.1e}")


PTX_SCRIPT = """
import sys
import numba.cuda.cuda_paths as cuda_paths
import numba.cuda.dispatcher as dispatcher
from numba import cuda


class Hopper:
    compute_capability = (9, 0)


dispatcher.get_current_device = lambda: Hopper()  # no GPU needed for PTX (see tests)
cuda_paths._get_nvrtc_path = lambda: ("stub", None)
sys.path.insert(0, sys.argv[1])
from manifolds import Beta, Dirichlet, Normal

make = {"Beta": Beta, "Dirichlet(3)": lambda: Dirichlet(3), "Normal": Normal}[sys.argv[2]]
for name, ptx in make().numeric._solver(False).compile_ptx((9, 0)).items():
    with open(f"{sys.argv[3]}/{name}.ptx", "w") as f:
        f.write(ptx)
"""


def occupancy(registers, threads=128, regs_per_sm=65536, max_warps=64, max_blocks=32):
    """Theoretical occupancy of an sm_90 SM (registers allocated per warp in units of 256)."""
    per_warp = -(-registers * 32 // 256) * 256
    warps = threads // 32
    blocks = min(max_blocks, (regs_per_sm // per_warp) // warps)
    return min(max_warps, blocks * warps) / max_warps


def run_ptx(name):
    folder = tempfile.mkdtemp(prefix="infogeom-ptx-")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0", NUMBA_FORCE_CUDA_CC="9.0")
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PTX_SCRIPT, repo, name, folder], env=env,
                          capture_output=True, text=True)
    if proc.returncode:
        print(f"  {name}: no PTX: {proc.stderr.strip().splitlines()[-1][:300]}")
        return
    print(f"  {name}: PTX for sm_90 in {time.perf_counter() - t:.0f} s")
    for kernel in ("solve_cuda", "solve_cuda_var", "shoot_cuda"):
        path = os.path.join(folder, kernel + ".ptx")
        try:
            out = subprocess.run(["ptxas", "-v", "--gpu-name", "sm_90", path, "-o", os.devnull],
                                 capture_output=True, text=True).stderr
        except FileNotFoundError:
            print(f"    {kernel}: ptxas not on PATH (PTX in {path})")
            continue
        entry = out[out.index("Compiling entry"):]
        regs = int(re.search(r"Used (\d+) registers", entry).group(1))
        frame = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads", entry)
        print(f"    {kernel}: {regs} registers, {frame.group(1)} B stack (local memory), "
              f"{frame.group(2)} B spill stores, {frame.group(3)} B spill loads; occupancy at "
              f"128 threads/block {occupancy(regs):.1%}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--large", action="store_true", help="also N = 10^4 (5e7 pairs)")
    parser.add_argument("--families", nargs="+", default=None,
                        choices=sorted(set(FAMILIES) | set(EXTRA_FAMILIES) | {row[0] for row in CATALOG}),
                        help="the families to run (default Beta Dirichlet(3); --far then measures "
                             "these, all catalog families without --families); with --only far, any "
                             "catalog families (default all; Beta always measured)")
    parser.add_argument("--pairs", type=int, default=2000, help="pairs for the distance() baseline")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cluster-n", type=int, default=2000, help="N of the cluster runs")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler")
    parser.add_argument("--no-cluster", action="store_true")
    parser.add_argument("--far", action="store_true", help="per-family cost of far pairs")
    parser.add_argument("--far-pairs", type=int, default=200)
    parser.add_argument("--ptx", action="store_true", help="registers and occupancy of the CUDA kernels")
    parser.add_argument("--gpu-pairs", type=int, default=100_000,
                        help="pairs of the GPU distance() run")
    parser.add_argument("--gpu-n", type=int, default=500,
                        help="points of the GPU pairwise_distances run")
    parser.add_argument("--reference", type=int, default=5,
                        help="pairs checked against the mpmath reference in the GPU run")
    parser.add_argument("--only", choices=["far", "ptx", "cluster", "gpu"],
                        help="run only this part (cluster: the LocalCluster runs, no local ones)")
    args = parser.parse_args()
    if args.only == "far":
        return run_far(args.far_pairs, np.random.default_rng(0), families=args.families)
    far_families = args.families
    if args.families is None:
        args.families = list(FAMILIES)
    elif not set(args.families) <= set(FAMILIES) | set(EXTRA_FAMILIES):
        parser.error(f"--families: outside --far only {sorted(set(FAMILIES) | set(EXTRA_FAMILIES))}")
    if args.only == "ptx":
        print("CUDA kernels compiled for sm_90 (no GPU needed)")
        for name in args.families:
            run_ptx(name)
        return None
    rng = np.random.default_rng(0)
    sizes = args.sizes + ([10_000] if args.large else [])
    try:
        from numba import cuda

        gpu = cuda.is_available()
    except ImportError:
        gpu = False
    print(f"GPU: {'present' if gpu else 'none (CPU threads and Dask only)'}")
    if args.only == "gpu" and not gpu:
        print("  --only gpu: no GPU here, nothing to measure")
        return None
    for name in args.families:
        N = {**FAMILIES, **EXTRA_FAMILIES}[name]().numeric
        if args.only not in ("cluster", "gpu"):
            run_local(name, N, sizes, args.pairs, rng)
        if gpu and args.only in (None, "gpu"):
            run_gpu(name, N, rng, args.gpu_pairs, args.gpu_n)
            run_gpu_log(name, N, rng, args.gpu_pairs, args.reference)
        if not args.no_cluster and args.only != "gpu":
            run_cluster(name, N, args.cluster_n, args.workers, args.scheduler, rng, args.pairs)
    if args.ptx:
        print("\nCUDA kernels compiled for sm_90 (no GPU needed)")
        for name in args.families:
            run_ptx(name)
    if args.far:
        run_far(args.far_pairs, rng, families=far_families)


if __name__ == "__main__":
    main()
