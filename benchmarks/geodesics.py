"""Geodesics benchmark: this toolkit against scipy (and geomstats when importable).

Same random points for every contender. Reports throughput (ours: best of --repeat runs),
accuracy against the mpmath reference (numeric.geodesics.reference: --exp-reference exp maps, for
every contender, and --reference distances) and ratios, for:
  10,000 Beta exp maps, 1,000 Beta distances, 1,000 Gamma distances, 1,000 Dirichlet(3)
  distances (scale with --n), plus the time a new process with a warm kernel cache takes to
  compute its first Beta distance, imports included.

Exp maps are timed at the toolkit's default tolerances (rtol 1e-12) and at rtol 3e-11,
whose error is still below geomstats' with tightened tolerances (both errors printed).

scipy contender: solve_ivp (DOP853, rtol 1e-10) with a numpy right-hand side made by
sympy.lambdify from the same Christoffel symbols, one point at a time; distances by
solve_bvp on the geodesic equation (initial mesh the straight segment).

geomstats needs numpy<2.4, so it lives in its own environment:
    python -m venv .venv-geomstats
    .venv-geomstats/bin/pip install -e . -r benchmarks/requirements-geomstats.txt
    .venv-geomstats/bin/python benchmarks/geodesics.py
It is skipped when not importable.

Usage: python benchmarks/geodesics.py [--n 1.0] [--reference 3]
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import christoffel_numpy, timed  # noqa: E402
from manifolds import Beta, Dirichlet, Gamma  # noqa: E402


def scipy_rhs(M):
    """solve_ivp's and solve_bvp's right-hand sides from the same Christoffel symbols."""
    gamma = christoffel_numpy(M)
    n = M.dim

    def rhs(t, y):
        x, v = y[:n], y[n:]
        return np.concatenate([v, -np.einsum("kij,i,j->k", gamma(*x), v, v)])

    def rhs_vec(t, y):  # (2n, m) for solve_bvp
        x, v = y[:n], y[n:]
        return np.concatenate([v, -np.einsum("kijm,im,jm->km", gamma(*x), v, v)])

    return rhs, rhs_vec


def scipy_exp(rhs, x, v):
    from scipy.integrate import solve_ivp

    out = np.empty_like(x)
    for k in range(len(x)):
        sol = solve_ivp(rhs, (0, 1), np.concatenate([x[k], v[k]]), method="DOP853",
                        rtol=1e-10, atol=1e-12)
        out[k] = sol.y[: x.shape[1], -1]
    return out


def scipy_distance(rhs_vec, metric, x, y):
    from scipy.integrate import solve_bvp

    n = x.shape[1]
    out = np.full(len(x), np.nan)
    t = np.linspace(0, 1, 11)
    for k in range(len(x)):
        guess = np.concatenate([x[k][:, None] + t * (y[k] - x[k])[:, None],
                                np.repeat((y[k] - x[k])[:, None], t.size, axis=1)])

        def bc(ya, yb, k=k):
            return np.concatenate([ya[:n] - x[k], yb[:n] - y[k]])

        sol = solve_bvp(rhs_vec, bc, t, guess, tol=1e-8, max_nodes=5000)
        if sol.status == 0:
            v = sol.y[n:, 0]
            out[k] = np.sqrt(v @ metric(x[k]) @ v)
    return out


def first_distance_in_new_process():
    code = ("import time; t = time.perf_counter(); from manifolds import Beta; "
            "d = Beta().numeric.distance([1.0, 2.0], [3.0, 1.5]); "
            "print(time.perf_counter() - t)")
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return float(out.stdout.strip()), time.perf_counter() - t


def geomstats_exp(x, v, tight):
    """Geomstats 2.8's Beta exp maps (solve_ivp), with its default tolerances or tightened
    ones (DOP853 rtol 1e-10 / atol 1e-12).
    """
    from geomstats.information_geometry.beta import BetaDistributions

    metric = BetaDistributions().metric
    if tight:
        metric.exp_solver.integrator.method = "DOP853"
        metric.exp_solver.integrator.options = {"rtol": 1e-10, "atol": 1e-12}
    t = time.perf_counter()
    ends = np.array([np.asarray(metric.exp(vk, xk)) for xk, vk in zip(x, v, strict=True)])
    return ends, time.perf_counter() - t


def geomstats_metric(name, tight):
    """Geomstats 2.8's metric of a family (default or tightened log solver, BVP tol 1e-8),
    and the map from our coordinates to its (Gamma: our shape a, rate b -> kappa = a,
    gamma = a / b, the mean; Beta and Dirichlet share ours).
    """
    from geomstats.information_geometry.beta import BetaDistributions
    from geomstats.information_geometry.dirichlet import DirichletDistributions
    from geomstats.information_geometry.gamma import GammaDistributions

    if name == "Beta":
        space, convert = BetaDistributions(), (lambda p: p)
    elif name == "Gamma":
        space, convert = GammaDistributions(), (lambda p: np.array([p[0], p[0] / p[1]]))
    else:
        space, convert = DirichletDistributions(dim=3), (lambda p: p)
    metric = space.metric
    metric.log_solver.integrator.save_result = True  # to read solve_bvp's success flag
    if tight:
        metric.log_solver.integrator.tol = 1e-8
        metric.log_solver.integrator.max_nodes = 100_000
    return metric, convert


def geomstats_distances(name, xs, ys, tight):
    """Geomstats' distances, wall time and the number of pairs whose solve_bvp reported
    failure (geomstats itself returns such a distance without a warning).
    """
    metric, convert = geomstats_metric(name, tight)
    out = np.empty(len(xs))
    failed = 0
    t = time.perf_counter()
    for k, (a, b) in enumerate(zip(xs, ys, strict=True)):
        out[k] = float(metric.dist(convert(a), convert(b)))
        result = metric.log_solver.integrator.result_
        failed += int(result is None or result.status != 0)
    return out, time.perf_counter() - t, failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=float, default=1.0, help="scale the problem sizes")
    parser.add_argument("--reference", type=int, default=3, help="pairs checked with mpmath")
    parser.add_argument("--exp-reference", type=int, default=10,
                        help="exp maps checked with mpmath (about 0.6 s each)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (ours)")
    parser.add_argument("--scipy-n", type=int, default=100, help="points timed for scipy")
    parser.add_argument("--geomstats-n", type=int, default=20, help="points timed for geomstats")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    try:
        import geomstats  # noqa: F401
        have_geomstats = True
    except ImportError:
        have_geomstats = False
    print(f"numpy {np.__version__}; geomstats {'available' if have_geomstats else 'not importable: skipped'}")
    print(f"{'task':34s} {'toolkit/s':>10s} {'per item':>10s} {'scipy per item':>15s} "
          f"{'ratio':>8s} {'max rel err vs mpmath':>22s}")

    # exp maps
    M = Beta()
    K = M.numeric
    m = int(10_000 * args.n)
    x = rng.uniform(0.5, 4, (m, 2))
    v = rng.normal(size=(m, 2)) * x * 0.3
    K.exp(x[:2], v[:2])  # load/compile outside the timing
    ends, t_fast = timed(K.exp, x, v, repeat=args.repeat)
    # the same at a looser tolerance, still at least as accurate as the contenders
    loose = dict(rtol=3e-11, atol=3e-13)
    ends_loose, t_loose = timed(K.exp, x, v, repeat=args.repeat, **loose)
    rhs, rhs_vec = scipy_rhs(M)
    ms = min(args.scipy_n, m)
    ends_scipy, t_scipy = timed(scipy_exp, rhs, x[:ms], v[:ms])
    ref = K.reference(dps=20)
    nref = min(args.exp_reference, ms)
    exact = np.array([[float(c) for c in ref.exp(x[k], v[k])] for k in range(nref)])

    def exp_error(e):
        return np.max(np.abs(e[:nref] - exact) / np.abs(exact))

    err, err_loose, err_s = exp_error(ends), exp_error(ends_loose), exp_error(ends_scipy)
    print(f"{f'Beta exp maps ({m})':34s} {t_fast:10.3f} {t_fast / m * 1e6:8.1f}us "
          f"{t_scipy / ms * 1e6:13.1f}us {t_scipy / ms / (t_fast / m):8.0f}x {err:22.1e}"
          f"   (scipy's error {err_s:.1e})")
    print(f"{'  same, rtol 3e-11':34s} {t_loose:10.3f} {t_loose / m * 1e6:8.1f}us "
          f"{t_scipy / ms * 1e6:13.1f}us {t_scipy / ms / (t_loose / m):8.0f}x {err_loose:22.1e}")
    if have_geomstats:
        Mb = Beta()
        xs = np.array([[1.0, 10.0]] + [Mb.random_point(rng) for _ in range(args.geomstats_n - 1)])
        ys = np.array([[10.0, 1.0]] + [Mb.random_point(rng) for _ in range(args.geomstats_n - 1)])
        d_ours = K.distance(xs, ys)
        gn = min(args.geomstats_n, m)
        _, t_d_ours = timed(K.distance, xs, ys, repeat=args.repeat)
        d_exact = float(ref.distance(xs[0], ys[0], guess=K.log(xs[0], ys[0])))
        for tight in (False, True):
            g_ends, t_ge = geomstats_exp(x[:gn], v[:gn], tight)
            g_d, t_gd, g_failed = geomstats_distances("Beta", xs, ys, tight)
            e_exp = exp_error(g_ends) if gn >= nref else np.nan
            e_d = np.max(np.abs(g_d - d_ours) / d_ours)
            label = "tight" if tight else "default"
            print(f"  geomstats ({label} tolerances): exp {t_ge / gn * 1e6:10.1f}us each "
                  f"= {t_ge / gn / (t_fast / m):.0f}x ours ({t_ge / gn / (t_loose / m):.0f}x "
                  f"ours at rtol 3e-11), error vs mpmath {e_exp:.1e}; "
                  f"distance {t_gd / len(xs) * 1e3:8.1f}ms each = "
                  f"{t_gd / t_d_ours:.0f}x ours on these {len(xs)} pairs, max rel diff from "
                  f"ours {e_d:.1e}, solve_bvp failed on {g_failed}; "
                  f"Beta (1,10)-(10,1): geomstats {g_d[0]:.6f}, ours {d_ours[0]:.12f}, "
                  f"mpmath {d_exact:.12f}")

    for name, Mk, count in (("Beta", Beta(), 1000), ("Gamma", Gamma(), 1000),
                            ("Dirichlet(3)", Dirichlet(3), 1000)):
        Kk = Mk.numeric
        m = int(count * args.n)
        x = np.array([Mk.random_point(rng) for _ in range(m)])
        y = np.array([Mk.random_point(rng) for _ in range(m)])
        Kk.distance(x[:2], y[:2])
        d, t_fast = timed(Kk.distance, x, y, repeat=args.repeat)
        ms = min(args.scipy_n // 2, m)
        _, rv = scipy_rhs(Mk)
        d_s, t_scipy = timed(scipy_distance, rv, Kk.metric, x[:ms], y[:ms])
        refk = Kk.reference(dps=20)
        vs = Kk.log(x[:args.reference], y[:args.reference])
        errs = [abs(d[k] - float(refk.distance(x[k], y[k], guess=vs[k]))) / d[k]
                for k in range(args.reference)]
        failed = int(np.isnan(d_s).sum())
        err_s = np.nanmax(np.abs(d_s - d[:ms]) / d[:ms])
        print(f"{f'{name} distances ({m})':34s} {t_fast:10.3f} {t_fast / m * 1e3:8.2f}ms "
              f"{t_scipy / ms * 1e3:13.2f}ms {t_scipy / ms / (t_fast / m):8.0f}x "
              f"{max(errs):22.1e}   (scipy solve_bvp differs by {err_s:.1e}, {failed} of {ms} failed)")
        if have_geomstats:
            gn = min(args.geomstats_n, m)
            for tight in (False, True):
                g_d, t_g, g_failed = geomstats_distances(name, x[:gn], y[:gn], tight)
                diff = np.max(np.abs(g_d - d[:gn]) / d[:gn])
                label = "tight" if tight else "default"
                print(f"  geomstats ({label} tolerances): {t_g / gn * 1e3:8.1f}ms each = "
                      f"{t_g / gn / (t_fast / m):.0f}x ours; max rel diff from ours {diff:.1e}; "
                      f"solve_bvp failed on {g_failed} of {gn}")

    inner, outer = first_distance_in_new_process()
    print(f"new process, warm cache: first Beta distance {inner:.2f} s after interpreter start "
          f"(imports included); {outer:.2f} s wall for the whole subprocess")


if __name__ == "__main__":
    main()
