"""Benchmark: KL divergences of the catalog, closed form against numerical integration.

For every family of the catalog, in one run:

* derivation: the seconds ``M.kl_divergence()`` takes to give its closed form or to raise
  ``NotClosedFormError`` (issue 13 asks for at most 10 s each);
* evaluation at random pairs of points (families with one observation variable):
  the closed form evaluated with ``M.numeric.divergence`` (mpmath, 30 digits) against what a
  user would otherwise write, ``scipy.integrate.quad`` of ``p log(p/q)`` with the family's
  log-density (numpy, double precision); the ratio is quad time / closed-form time (> 1: the
  closed form is faster) and the largest difference between the two values is printed.

Run: ``python benchmarks/divergences.py [--pairs 20] [--families Normal Cauchy ...]``.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np
import scipy.integrate as si
import scipy.special as special
import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from manifolds import CATALOG, NotClosedFormError  # noqa: E402
from manifolds.catalog import TYPICAL_CONSTANTS  # noqa: E402


def quad_kl(M, x, y):
    model = M.model
    (v,) = model.space.variables
    at = lambda p: dict(zip(model.coordinates, p, strict=True)) | dict(model.constants)  # noqa: E731
    gammaln = sp.Function("gammaln")     # log(n!) without overflow
    logp = model.log_density.replace(lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.factorial),
                                     lambda e: gammaln(e.args[0].args[0] + 1))
    modules = [{"gammaln": special.gammaln}, "scipy", "numpy"]
    lp = sp.lambdify(v, logp.subs(at(x)), modules)
    lq = sp.lambdify(v, logp.subs(at(y)), modules)
    lo, hi = (float(b.subs(model.constants)) for b in (model.space.lower, model.space.upper))
    if model.space.kind == "interval":
        return si.quad(lambda s: np.exp(lp(s)) * (lp(s) - lq(s)), lo, hi, limit=200)[0]
    values = model.space.values if model.space.kind == "finite" else range(int(lo), int(min(hi, 2_000)) + 1)
    return sum(float(np.exp(lp(k)) * (lp(k) - lq(k))) for k in values)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--families", nargs="*")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    print(f"{'family':24s} {'derive s':>9s} {'result':>12s} {'closed ms':>10s} {'quad ms':>9s} {'ratio':>7s} {'max |diff|':>11s}")
    worst = (0.0, "")
    for name, cls, cargs in CATALOG:
        if args.families and name not in args.families:
            continue
        M = cls(*cargs).with_constants(**TYPICAL_CONSTANTS.get(name, {}))   # numbers for Binomial() ...
        t0 = time.perf_counter()
        try:
            M.kl_divergence()
            result = "closed form"
        except NotClosedFormError:
            result = "NotClosedForm"
        derive = time.perf_counter() - t0
        worst = max(worst, (derive, name))
        row = f"{name:24s} {derive:9.2f} {result:>12s}"
        if len(M.model.space.variables) == 1 and result == "closed form":
            pts = [(M.random_point(rng), M.random_point(rng)) for _ in range(args.pairs)]
            M.numeric.divergence("kl", *pts[0])
            t0 = time.perf_counter()
            closed = [M.numeric.divergence("kl", x, y) for x, y in pts]
            t_closed = (time.perf_counter() - t0) / len(pts)
            t0 = time.perf_counter()
            quad = [quad_kl(M, x, y) for x, y in pts]
            t_quad = (time.perf_counter() - t0) / len(pts)
            diff = max(abs(a - b) for a, b in zip(closed, quad, strict=True))
            row += f" {1e3 * t_closed:10.2f} {1e3 * t_quad:9.2f} {t_quad / t_closed:7.2f} {diff:11.2e}"
        print(row, flush=True)
    print(f"slowest derivation: {worst[1]} {worst[0]:.2f} s (limit 10 s)")


if __name__ == "__main__":
    main()
