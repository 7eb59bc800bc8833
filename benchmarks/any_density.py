"""The numeric route (geometry of any density by quadrature of exact integrands) benchmark.

Prints, for models whose expectations have no closed form (Weibull(k, lam), the mixture
(1 - w) N(0, 1) + w N(m, 1) in (w, m), a normal truncated to (-1, 2)):

- the metric's cost per point after compilation (batch of --n points), beside the cost of the
  30-digit mpmath reference (numeric.quadrature.reference, what one would otherwise use to get
  certified digits), as a ratio;
- the largest relative error of the metric against that reference at --points random points,
  and how often the error estimate brackets the true error;
- for every catalog family with a one-dimensional sample space: the largest relative error
  of the metric, the Christoffel symbols of the first kind and the Amari-Chentsov tensor
  against the exact expressions at --points random points, and the bracketing rate;
- for the mixture: a geodesic (exp map) and a Fisher-Rao distance, their cost, and their
  agreement with a reference whose Christoffel symbols and metric come from 30-digit mpmath
  quadrature (integrated by scipy's DOP853 at rtol 1e-13, an implementation independent of
  ours): the end point of exp_x(v) with v = log_x(y) from the compiled route must land on y,
  and the distance is sqrt(g_ref(x)(v, v)).

geomstats' FisherRaoMetric is not run here (a separate environment, see benchmarks/geodesics.py;
not set up for this script).

Usage: python benchmarks/any_density.py [--n 2000] [--points 5] [--skip-catalog] [--skip-geodesic]
"""
import argparse
import os
import sys
import time

import mpmath
import numpy as np
import sympy as sp

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from manifolds import CATALOG, StatisticalManifold  # noqa: E402
from manifolds.catalog import TYPICAL_CONSTANTS  # noqa: E402
from symbolic.model import SampleSpace, StatisticalModel, parameter  # noqa: E402


def weibull():
    x = sp.Symbol("x", positive=True)
    k, lam = parameter("k", 0, typical=(0.5, 4)), parameter("lam", 0, typical=(0.5, 3))
    K, L = k.symbol, lam.symbol
    return StatisticalManifold(StatisticalModel(
        "Weibull", [k, lam], SampleSpace.interval(x, 0, sp.oo),
        sp.log(K / L) + (K - 1) * sp.log(x / L) - (x / L) ** K))


def mixture():
    x = sp.Symbol("x", real=True)
    w, m = parameter("w", 0, 1, typical=(0.1, 0.9)), parameter("m", typical=(-2, 2))
    W, Mu = w.symbol, m.symbol
    return StatisticalManifold(StatisticalModel(
        "Mixture", [w, m], SampleSpace.interval(x),
        sp.log((1 - W) * sp.exp(-x**2 / 2) + W * sp.exp(-(x - Mu) ** 2 / 2)) - sp.log(2 * sp.pi) / 2))


def truncated_normal():
    x = sp.Symbol("x", real=True)
    mu, s = parameter("mu", typical=(-1, 1)), parameter("sigma", 0, typical=(0.5, 2))
    z = (x - mu.symbol) / s.symbol

    def cdf(t):
        return (1 + sp.erf((t - mu.symbol) / (sp.sqrt(2) * s.symbol))) / 2

    return StatisticalManifold(StatisticalModel(
        "TruncatedNormal", [mu, s], SampleSpace.interval(x, -1, 2),
        -z**2 / 2 - sp.log(s.symbol) - sp.log(2 * sp.pi) / 2 - sp.log(cdf(2) - cdf(-1))))


def metric_section(args, rng):
    print("== metric of models without closed-form expectations (tol 1e-12) ==")
    print(f"{'model':18s} {'us/point':>9s} {'mpmath s/pt':>11s} {'ratio':>9s} {'max rel err':>11s} {'bracketed':>9s}")
    for make in (weibull, mixture, truncated_normal):
        M = make()
        K = M.numeric_geometry("numeric")
        points = np.array([M.random_point(rng) for _ in range(args.n)])
        K.metric(points[:2])  # compile
        best = np.inf
        for _ in range(3):
            t = time.perf_counter()
            K.metric(points)
            best = min(best, time.perf_counter() - t)
        per_point = best / len(points)
        ref = K.reference(dps=30)
        worst, inside, total, spent = 0.0, 0, 0, 0.0
        for point in points[:args.points]:
            t = time.perf_counter()
            exact = np.array(ref.metric(list(point)), dtype=float)
            spent += time.perf_counter() - t
            est = K.metric_estimate(point)
            error = np.abs(est.value - exact)
            worst = max(worst, error.max() / np.abs(exact).max())
            inside += int(np.sum(error <= est.error + 1e-16 * np.abs(exact).max()))
            total += error.size
        slow = spent / args.points
        print(f"{M.name:18s} {per_point * 1e6:9.1f} {slow:11.3f} {slow / per_point:9.0f} {worst:11.2e} "
              f"{inside}/{total}")


def catalog_section(args, rng):
    print("== catalog families: numeric route against the exact geometry ==")
    print(f"{'family':16s} {'metric':>9s} {'Gamma_1st':>9s} {'T':>9s} {'bracketed':>10s}")
    for name, cls, cargs in CATALOG:
        M = cls(*cargs).with_constants(**TYPICAL_CONSTANTS.get(name, {}))   # numbers for Binomial() ...
        if M.model.space.kind == "simplex" or len(M.model.space.variables) != 1:
            print(f"{name:16s} skipped: the numeric route integrates one variable")
            continue
        K = M.numeric_geometry("numeric")
        points = np.array([M.random_point(rng) for _ in range(args.points)])
        try:
            estimates = (K.metric_estimate(points), K.christoffel_estimate(points, kind=1),
                         K.amari_chentsov_estimate(points))
        except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
            print(f"{name:16s} failed: {type(exc).__name__}: {str(exc)[:80]}")
            continue
        subs0 = dict(M.model.constants)
        exprs = (M.fisher_metric(), M.christoffel(kind=1), M.amari_chentsov())
        worst = [0.0, 0.0, 0.0]
        inside = total = 0
        for b, point in enumerate(points):
            subs = dict(zip(M.coordinates, point, strict=True)) | subs0
            for q, (est, expr) in enumerate(zip(estimates, exprs, strict=True)):
                exact = np.array(sp.Array(expr).subs(subs).applyfunc(lambda e: e.evalf(30)).tolist(),
                                 dtype=float)
                scale = np.abs(exact).max()
                error = np.abs(est.value[b] - exact)
                worst[q] = max(worst[q], error.max() / scale)
                inside += int(np.sum(error <= est.error[b] + 4e-16 * scale))
                total += error.size
        print(f"{name:16s} {worst[0]:9.1e} {worst[1]:9.1e} {worst[2]:9.1e} {inside:5d}/{total}")


def geodesic_section(args):
    from scipy.integrate import solve_ivp

    print("== mixture: a geodesic and a distance against a 30-digit-quadrature reference ==")
    M = mixture()
    K = M.numeric_geometry("numeric")
    ref = K.reference(dps=30)
    x, y = np.array([0.3, 1.0]), np.array([0.6, 2.0])
    t = time.perf_counter()
    K.distance(x, y)
    first = time.perf_counter() - t
    best = {}
    for what, f in (("distance", lambda: K.distance(x, y)),
                    ("geodesic (exp map)", lambda: K.exp(x, [0.2, 0.8]))):
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            f()
            runs.append(time.perf_counter() - t)
        best[what] = min(runs)
    v = K.log(x, y)
    d = float(K.distance(x, y))

    def christoffel(point):
        G1 = np.array(ref.christoffel_first(list(point)), dtype=float)
        g = np.array(ref.metric(list(point)), dtype=float)
        return np.einsum("kl,ijl->kij", np.linalg.inv(g), G1)

    def rhs(_, state):
        p, vel = state[:2], state[2:]
        return np.concatenate([vel, -np.einsum("kij,i,j->k", christoffel(p), vel, vel)])

    t = time.perf_counter()
    sol = solve_ivp(rhs, (0, 1), np.concatenate([x, v]), method="DOP853", rtol=1e-13, atol=1e-15)
    spent = time.perf_counter() - t
    end = sol.y[:2, -1]
    g_ref = np.array(ref.metric(list(x)), dtype=float)
    d_ref = float(np.sqrt(v @ g_ref @ v))
    print(f"first distance (compiles or loads the module): {first:.1f} s")
    for what, seconds in best.items():
        print(f"{what:20s} {seconds * 1e3:8.2f} ms")
    print(f"reference geodesic (scipy DOP853 + mpmath quadrature, {sol.nfev} fields): {spent:.1f} s")
    print(f"|exp_ref(x, log x y) - y| = {np.abs(end - y).max():.2e};  distance {d:.15f}, "
          f"reference {d_ref:.15f}, relative difference {abs(d - d_ref) / d_ref:.2e}")
    print(f"quadrature's share of the end point's error (tol vs 1e-3 tol): "
          f"{K.geodesic_error(x, v).max():.2e}")
    print("geomstats FisherRaoMetric: not run (needs its own environment, see benchmarks/geodesics.py)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--points", type=int, default=5)
    parser.add_argument("--skip-catalog", action="store_true")
    parser.add_argument("--skip-geodesic", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(14)
    mpmath.mp.dps = 15
    metric_section(args, rng)
    if not args.skip_catalog:
        catalog_section(args, rng)
    if not args.skip_geodesic:
        geodesic_section(args)


if __name__ == "__main__":
    main()
