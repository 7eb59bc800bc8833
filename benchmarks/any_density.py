"""The numeric route (geometry of any density by quadrature of exact integrands) benchmark.

Prints, for models whose expectations have no closed form (Weibull(k, lam), the mixture
(1 - w) N(0, 1) + w N(m, 1) in (w, m), a normal truncated to (-1, 2)) and a 2-D sample space
(the bivariate normal in its correlation rho), all declared in benchmarks/own_models.py:

- the metric's cost per point after compilation (batch of --n points), beside the cost of the
  30-digit mpmath reference (numeric.quadrature.reference, what one would otherwise use to get
  certified digits), as a ratio;
- the same cost as CPU time per point (all threads), steady on a loaded machine;
- the compiled, batched KL divergence (one continuous variable) per pair beside the mpmath
  route's (30 digits, one pair at a time), their ratio and largest difference;
- the largest relative error of the metric against that reference at --points random points
  (for the bivariate normal: against (1 + rho^2)/(1 - rho^2)^2, which the tests also pin
  from a 30-digit mpmath 2-D quadrature), and how often the error estimate brackets it;
- for every catalog family: the largest relative error of the metric, the Christoffel symbols
  of the first kind and the Amari-Chentsov tensor against the exact expressions at --points
  random points, and the bracketing rate;
- for the mixture: the time per geodesic (exp map) and per distance, their agreement with a
  reference geodesic (scipy's quad_vec of the exact density and score products, scipy's
  DOP853 at rtol 1e-13: an implementation independent of ours, whose metric and Christoffel
  symbols --reference checks against 30-digit mpmath quadrature; with --reference also the
  10-digit mpmath geodesic reference of K.reference(), timed), the error the quadrature adds
  (geodesic_error), and geomstats' FisherRaoMetric on the same model beside it as a ratio,
  run in geomstats' own interpreter (numpy < 2.4) as a subprocess when one is found:
  $INFOGEOM_GEOMSTATS_PYTHON, or .venv-geomstats/bin/python beside the repository or in
  /work/venv-geomstats.

Usage: python benchmarks/any_density.py [--n 2000] [--points 5] [--skip-catalog]
       [--skip-geodesic] [--skip-geomstats] [--reference]
"""
import argparse
import os
import sys
import time

import mpmath
import numpy as np
import sympy as sp

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import benchmarks.common  # noqa: E402,F401 - no symbolic budget: derivations are not timed here
from benchmarks.own_models import QUADRATURE_MODELS, two_component_mixture  # noqa: E402
from manifolds import CATALOG  # noqa: E402
from manifolds.catalog import TYPICAL_CONSTANTS  # noqa: E402

#: The mixture's geodesic from X0 with initial velocity V0: its state (x, v) at t = 1 and its
#: speed sqrt(g(X0)(V0, V0)), the distance from X0 to its end, pinned from
#: reference_geodesic(np.array(X0), np.array(V0)) (scipy 1.17, 278 fields):
X0, V0 = [0.3, 1.0], [0.2, 0.8]
REFERENCE_END = [0.5511328022674691, 1.463075135622201, 0.2644439326515337, 0.3039177118715169]
REFERENCE_SPEED = 0.46276001277462053


def metric_section(args, rng):
    print("== metric of models without closed-form expectations (tol 1e-12) ==")
    print("(us/point: wall time of a batch over numba's threads; cpu us/pt: the CPU time of all "
          "threads per point, what one core spends, steady on a loaded machine)")
    print(f"{'model':18s} {'us/point':>9s} {'cpu us/pt':>9s} {'mpmath s/pt':>11s} {'ratio':>9s} "
          f"{'max rel err':>11s} {'bracketed':>9s}")
    for make in QUADRATURE_MODELS.values():
        M = make()
        K = M.numeric_geometry("numeric")
        points = np.array([M.random_point(rng) for _ in range(args.n)])
        K.metric(points[:2])  # compile
        best = cpu = np.inf
        for _ in range(3):
            t, c = time.perf_counter(), time.process_time()
            K.metric(points)
            best = min(best, time.perf_counter() - t)
            cpu = min(cpu, time.process_time() - c)
        per_point = best / len(points)
        cpu_point = cpu / len(points)
        bivariate = len(M.model.space.variables) == 2
        ref = None if bivariate else K.reference(dps=30)
        worst, inside, total, spent = 0.0, 0, 0, 0.0
        for point in points[:args.points]:
            t = time.perf_counter()
            if bivariate:
                r = point[0]
                exact = np.array([[(1 + r * r) / (1 - r * r) ** 2]])
            else:
                exact = np.array(ref.metric(list(point)), dtype=float)
            spent += time.perf_counter() - t
            est = K.metric_estimate(point)
            error = np.abs(est.value - exact)
            worst = max(worst, error.max() / np.abs(exact).max())
            inside += int(np.sum(error <= est.error + 1e-16 * np.abs(exact).max()))
            total += error.size
        slow = spent / args.points
        if bivariate:
            print(f"{M.name:18s} {per_point * 1e6:9.1f} {cpu_point * 1e6:9.1f} {'(closed)':>11s} "
                  f"{'':>9s} {worst:11.2e} {inside}/{total}")
        else:
            print(f"{M.name:18s} {per_point * 1e6:9.1f} {cpu_point * 1e6:9.1f} {slow:11.3f} "
                  f"{slow / per_point:9.0f} {worst:11.2e} {inside}/{total}")
    kl_section(args, rng)


def kl_section(args, rng):
    """The compiled, batched KL divergence (one continuous variable) against the mpmath route
    (30 digits, one pair at a time, what the numeric route did before): cost per pair, ratio,
    largest relative difference and bracketing by the compiled error estimate.
    """
    print("== KL divergence, compiled and batched (tol 1e-12), against mpmath at 30 digits ==")
    print(f"{'model':18s} {'us/pair':>9s} {'mpmath s/pair':>13s} {'ratio':>9s} {'max rel diff':>12s} "
          f"{'bracketed':>9s}")
    for make in QUADRATURE_MODELS.values():
        M = make()
        if len(M.model.space.variables) != 1:
            continue
        K = M.numeric_geometry("numeric")
        x = np.array([M.random_point(rng) for _ in range(args.n)])
        y = np.array([M.random_point(rng) for _ in range(args.n)])
        K.kl_divergence_estimate(x[:2], y[:2])  # compile
        best = np.inf
        for _ in range(3):
            t = time.perf_counter()
            K.kl_divergence_estimate(x, y)
            best = min(best, time.perf_counter() - t)
        est = K.kl_divergence_estimate(x[:args.points], y[:args.points])
        t = time.perf_counter()
        slow = np.array([K.kl_divergence(a, b, dps=30) for a, b in zip(x[:args.points], y[:args.points],
                                                                         strict=True)])
        spent = (time.perf_counter() - t) / args.points
        scale = np.maximum(np.abs(slow), 1.0)
        diff = np.abs(est.value - slow)
        per = best / len(x)
        print(f"{M.name:18s} {per * 1e6:9.1f} {spent:13.3f} {spent / per:9.0f} "
              f"{(diff / scale).max():12.2e} {int(np.sum(diff <= est.error + 4e-16 * scale))}/{len(diff)}")


def catalog_section(args, rng):
    print("== catalog families: numeric route against the exact geometry ==")
    print(f"{'family':16s} {'metric':>9s} {'Gamma_1st':>9s} {'T':>9s} {'bracketed':>10s}")
    for name, cls, cargs in CATALOG:
        M = cls(*cargs).with_constants(**TYPICAL_CONSTANTS.get(name, {}))   # numbers for Binomial() ...
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
                # a tensor that vanishes identically is measured against the metric's scale
                scale = max(np.abs(exact).max(), np.abs(estimates[0].value[b]).max() ** (exact.ndim / 2))
                error = np.abs(est.value[b] - exact)
                worst[q] = max(worst[q], error.max() / scale)
                inside += int(np.sum(error <= est.error[b] + 4e-16 * scale))
                total += error.size
        print(f"{name:16s} {worst[0]:9.1e} {worst[1]:9.1e} {worst[2]:9.1e} {inside:5d}/{total}")


def mixture_moments(point):
    """Metric ``g_ij`` and Christoffel symbols of the first kind ``Γ_ij,k`` of the mixture at
    one point, by scipy's ``quad_vec`` (adaptive Gauss-Kronrod in float64, relative
    tolerance 1e-14) on (-30, 31) split at the two means (the mass outside is below 1e-190),
    from derivatives of the density written out by hand: no sympy, no map, no rule of the
    numeric route. With ``p = (1 - w) φ(x) + w φ(x - m)`` and ``s_i = ∂_i p / p``:
    ``p s_i s_j = s_i ∂_j p`` and ``p (s_ij + s_i s_j / 2) s_k = (∂_ij p / p - s_i s_j / 2) ∂_k p``,
    ratios that stay finite where the density is tiny.
    """
    from scipy.integrate import quad_vec

    w, m = float(point[0]), float(point[1])

    def f(x):
        phi0 = np.exp(-x * x / 2) / np.sqrt(2 * np.pi)
        phi1 = np.exp(-(x - m) ** 2 / 2) / np.sqrt(2 * np.pi)
        p = (1 - w) * phi0 + w * phi1
        dp = np.array([phi1 - phi0, w * (x - m) * phi1])
        d2p = np.array([[0.0, (x - m) * phi1], [(x - m) * phi1, w * ((x - m) ** 2 - 1) * phi1]])
        s = dp / p
        metric = np.outer(s, dp)
        first = np.einsum("ij,k->ijk", d2p / p - np.outer(s, s) / 2, dp)
        return np.concatenate([metric.ravel(), first.ravel()])

    value, _ = quad_vec(f, -30.0, 31.0, epsabs=0.0, epsrel=1e-14, points=sorted({0.0, m}),
                        norm="max", limit=4000)
    return value[:4].reshape(2, 2), value[4:].reshape(2, 2, 2)


def reference_geodesic(x, v, rtol=1e-13):
    """End point ``(x, v)`` at t = 1 of the mixture's geodesic from ``x`` with velocity ``v``:
    Christoffel symbols from :func:`mixture_moments`, integrated by scipy's DOP853 (``rtol``,
    atol 1e-15); returns also its speed ``sqrt(g(x)(v, v))`` and the number of fields.
    Independent of the compiled route (its maps, rules and integrator); the tests check
    :func:`mixture_moments` against 30-digit mpmath quadrature.
    """
    from scipy.integrate import solve_ivp

    def rhs(_, state):
        g, first = mixture_moments(state[:2])
        gamma = np.einsum("kl,ijl->kij", np.linalg.inv(g), first)
        vel = state[2:]
        return np.concatenate([vel, -np.einsum("kij,i,j->k", gamma, vel, vel)])

    sol = solve_ivp(rhs, (0, 1), np.concatenate([x, v]), method="DOP853", rtol=rtol, atol=1e-15)
    g0, _ = mixture_moments(x)
    return sol.y[:, -1], float(np.sqrt(np.asarray(v) @ g0 @ np.asarray(v))), sol.nfev


def geomstats_python():
    """The interpreter of a geomstats environment, or None."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    candidates = [os.environ.get("INFOGEOM_GEOMSTATS_PYTHON", ""),
                  os.path.join(here, ".venv-geomstats", "bin", "python"),
                  os.path.join(os.path.dirname(here), ".venv-geomstats", "bin", "python"),
                  "/work/venv-geomstats/bin/python"]
    for path in candidates:
        if path and os.path.exists(path):
            return path
    return None


def geodesic_section(args):
    import json
    import subprocess

    print("== mixture: a geodesic and a distance against a 30-digit-quadrature reference ==")
    K = two_component_mixture().numeric_geometry("numeric")
    x, v = np.array(X0), np.array(V0)
    t = time.perf_counter()
    end, speed, nfev = reference_geodesic(x, v)
    print(f"reference geodesic (scipy quad_vec of the exact integrands + DOP853, {nfev} fields): "
          f"{time.perf_counter() - t:.1f} s; differs from the pinned one by "
          f"{np.abs(end - REFERENCE_END).max():.1e}")
    if args.reference:
        ref = K.reference(dps=30)
        g30 = np.array(ref.metric(list(x)), dtype=float)
        first30 = np.array(ref.christoffel_first(list(x)), dtype=float)
        g, first = mixture_moments(x)
        print(f"  its metric and Christoffel symbols at x against 30-digit mpmath: "
              f"{np.abs(g - g30).max() / np.abs(g30).max():.1e}, "
              f"{np.abs(first - first30).max() / np.abs(first30).max():.1e}")
    y = end[:2]
    t = time.perf_counter()
    K.exp(x, v)
    K.distance(x, y)
    first = time.perf_counter() - t
    best = {}
    for what, f in (("geodesic (exp map)", lambda: K.exp(x, v)),
                    ("distance (log map)", lambda: K.distance(x, y))):
        runs = []
        for _ in range(5):
            t = time.perf_counter()
            f()
            runs.append(time.perf_counter() - t)
        best[what] = min(runs)
    print(f"first exp + distance (compiles or loads the module): {first:.1f} s")
    for what, seconds in best.items():
        print(f"{what:20s} {seconds * 1e3:8.2f} ms")
    ours_end = K.exp(x, v)
    d = float(K.distance(x, y))
    print(f"|exp(x, v) - reference end| = {np.abs(ours_end - y).max():.2e} (relative "
          f"{np.abs(ours_end - y).max() / np.abs(y).max():.2e});  distance {d:.15f}, reference "
          f"{speed:.15f}, relative difference {abs(d - speed) / speed:.2e}")
    print(f"quadrature's share of the end point's error (tol vs 1e-3 tol): "
          f"{K.geodesic_error(x, v).max():.2e}")
    if args.reference:
        # the reference mode of the numeric route: the same geodesic and distance with the
        # Christoffel symbols from mpmath quadratures, 10 digits (K.reference(), docs/guide/
        # any-density.md), what one would otherwise use for certified digits
        ref = K.reference(dps=10)
        t = time.perf_counter()
        ref_end = np.array(ref.exp(x, v), dtype=float)
        ref_exp = time.perf_counter() - t
        fields = ref.fields
        t = time.perf_counter()
        ref_d = float(ref.distance(x, ref_end, guess=K.log(x, ref_end)))
        ref_dist = time.perf_counter() - t
        print(f"mpmath geodesic reference (10 digits, {fields} fields): exp {ref_exp:.1f} s "
              f"(ratio to ours {ref_exp / best['geodesic (exp map)']:.0f}x), |ours - it| "
              f"{np.abs(ours_end - ref_end).max():.1e}, |it - scipy's| {np.abs(ref_end - y).max():.1e}; "
              f"distance {ref_dist:.1f} s (ratio {ref_dist / best['distance (log map)']:.0f}x, "
              f"{ref.newton_steps} Newton steps), relative difference to ours "
              f"{abs(float(K.distance(x, ref_end)) - ref_d) / ref_d:.1e}")
    python = None if args.skip_geomstats else geomstats_python()
    if python is None:
        print("geomstats not installed" + (" (skipped)" if args.skip_geomstats else ""))
        return
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "geomstats_any_density.py")
    payload = json.dumps({"x": x.tolist(), "v": v.tolist(), "y": y.tolist()})
    lines = []
    try:
        run = subprocess.run([python, script, payload], capture_output=True, text=True,
                             timeout=args.geomstats_timeout)
        lines = [ln for ln in run.stdout.splitlines() if ln.startswith("{")]
        timed_out = False
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        lines = [ln for ln in out.splitlines() if ln.startswith("{")]
        timed_out = True
    if not lines:
        print(f"geomstats FisherRaoMetric: no result ({'timed out' if timed_out else run.stderr[-300:]})")
        return
    out = json.loads(lines[-1])
    g_ours = K.metric(x)
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        K.metric(x)
        runs.append(time.perf_counter() - t)
    metric_seconds = min(runs)   # one point per call, as geomstats is called
    g_gs = np.array(out["metric"])
    print("geomstats FisherRaoMetric (support (-20, 21), autograd backend, LSODA / solve_bvp):")
    print(f"  metric   {out['metric_s'] * 1e3:10.1f} ms   ratio to ours "
          f"{out['metric_s'] / metric_seconds:10.0f}x   max rel diff "
          f"{np.abs(g_gs - g_ours).max() / np.abs(g_ours).max():.1e}")
    gs_end = np.array(out["exp"])
    print(f"  geodesic {out['exp_s'] * 1e3:10.1f} ms   ratio to ours "
          f"{out['exp_s'] / best['geodesic (exp map)']:10.0f}x   |end - reference| "
          f"{np.abs(gs_end - y).max():.1e}")
    if "distance" in out:
        print(f"  distance {out['distance_s'] * 1e3:10.1f} ms   ratio to ours "
              f"{out['distance_s'] / best['distance (log map)']:10.0f}x   rel diff to reference "
              f"{abs(out['distance'] - speed) / speed:.1e}")
    else:
        print(f"  distance: no result within {args.geomstats_timeout} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--points", type=int, default=5)
    parser.add_argument("--skip-catalog", action="store_true")
    parser.add_argument("--skip-geodesic", action="store_true")
    parser.add_argument("--skip-geomstats", action="store_true")
    parser.add_argument("--geomstats-timeout", type=float, default=900.0)
    parser.add_argument("--reference", action="store_true",
                        help="check the reference against 30-digit mpmath (seconds to minutes)")
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
