"""Parallel transport and Fréchet means: this toolkit against what a user would otherwise write.

Same random inputs for every contender; ours is the best of --repeat runs. Prints times,
ratios and accuracies:

- parallel transport of one vector along 1,000 Gamma geodesics (scale with --n), at α = 0 and
  α = 0.5. Contender: scipy's solve_ivp (DOP853, rtol 1e-10, atol 1e-12) on the same
  (x, v, w) system with a numpy right-hand side made by sympy.lambdify from the same
  α-Christoffel symbols, one geodesic at a time. Accuracy: the largest relative difference of
  the transported vectors between the two, and at α = 0 the drift of the squared norm
  ``g(w, w)`` (an invariant).
- the Fréchet mean of 50 Normal distributions. Contender: scipy.optimize.minimize (BFGS) on
  the sum of squared closed-form Fisher-Rao distances (possible only where the family has a
  closed-form distance; ours shoots the log map and needs none). Accuracy: the largest
  relative difference of the two means' coordinates.

Usage: python benchmarks/transport.py [--n 1.0] [--repeat 3]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import christoffel_numpy, timed  # noqa: E402
from manifolds import Gamma, Normal  # noqa: E402


def scipy_transport(M, alpha, x, v, w):
    from scipy.integrate import solve_ivp

    n = M.dim
    g0 = christoffel_numpy(M)
    ga = christoffel_numpy(M, M.alpha_connection(alpha, kind=2))

    def rhs(t, y):
        p, u, q = y[:n], y[n:2 * n], y[2 * n:]
        return np.concatenate([u, -np.einsum("kij,i,j->k", g0(*p), u, u),
                               -np.einsum("kij,i,j->k", ga(*p), u, q)])

    out = np.empty_like(w)
    for k in range(len(x)):
        sol = solve_ivp(rhs, (0, 1), np.concatenate([x[k], v[k], w[k]]), method="DOP853",
                        rtol=1e-10, atol=1e-12)
        out[k] = sol.y[2 * n:, -1]
    return out


def transport_rows(n_points, repeat, rng):
    M = Gamma()
    K = M.numeric
    x = np.column_stack([rng.uniform(0.5, 4, n_points), rng.uniform(0.5, 3, n_points)])
    v = rng.uniform(-0.3, 0.3, (n_points, 2)) * x
    w = rng.standard_normal((n_points, 2))
    rows = []
    for alpha in (0.0, 0.5):
        K.parallel_transport(x[:2], v[:2], w[:2], alpha=alpha)   # compile or load
        ours, t_ours = timed(K.parallel_transport, x, v, w, alpha=alpha, repeat=repeat)
        m = max(1, n_points // 10)   # scipy is slow: a tenth of the points, time scaled up
        theirs, t_scipy = timed(scipy_transport, M, alpha, x[:m], v[:m], w[:m])
        t_scipy *= n_points / m
        diff = np.max(np.abs(ours[:m] - theirs) / np.maximum(np.abs(theirs), 1e-300))
        drift = ""
        if alpha == 0.0:
            y = K.exp(x, v)
            before = np.einsum("mi,mij,mj->m", w, K.metric(x), w)
            after = np.einsum("mi,mij,mj->m", ours, K.metric(y), ours)
            drift = f", max |g(w,w) drift| / g(w,w): {np.max(np.abs(after - before) / before):.1e}"
        rows.append(f"transport, Gamma, alpha={alpha}, {n_points} geodesics: ours {t_ours * 1e3:.1f} ms, "
                    f"scipy solve_ivp {t_scipy * 1e3:.0f} ms (ratio {t_scipy / t_ours:.0f}x), "
                    f"max rel. difference {diff:.1e}{drift}")
    return rows


def normal_distance(x, y):
    arg = 1 + ((x[..., 0] - y[..., 0]) ** 2 / 2 + (x[..., 1] - y[..., 1]) ** 2) / (2 * x[..., 1] * y[..., 1])
    return np.sqrt(2) * np.arccosh(arg)


def mean_rows(repeat, rng):
    from scipy.optimize import minimize

    K = Normal().numeric
    P = np.column_stack([rng.normal(0, 1, 50), np.exp(rng.normal(0, 0.5, 50))])
    K.frechet_mean(P[:3])   # compile or load
    ours, t_ours = timed(K.frechet_mean, P, repeat=repeat)

    def scipy_mean():
        f = lambda z: np.sum(normal_distance(np.array([z[0], np.exp(z[1])]), P) ** 2)  # noqa: E731
        r = minimize(f, [P[:, 0].mean(), np.log(P[:, 1]).mean()], method="BFGS", options={"gtol": 1e-10})
        return np.array([r.x[0], np.exp(r.x[1])])

    theirs, t_scipy = timed(scipy_mean, repeat=repeat)
    gap = float(np.max(np.abs(ours.x - theirs) / np.abs(theirs)))
    return [f"Frechet mean, Normal, 50 points: ours {t_ours * 1e3:.0f} ms ({ours.iterations} Karcher "
            f"steps, {ours.status.name}), scipy BFGS on the closed-form distance {t_scipy * 1e3:.0f} ms "
            f"(ratio {t_scipy / t_ours:.3f}x), max rel. difference of the means {gap:.1e}"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=float, default=1.0, help="scale of the problem sizes")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    rows = transport_rows(max(10, int(1000 * args.n)), args.repeat, rng) + mean_rows(args.repeat, rng)
    for row in rows:
        print(row)
    return rows


if __name__ == "__main__":
    main()
