"""Scaffolding shared by the benchmark scripts (geodesics.py, transport.py, scale.py).

Each script puts the repository root on ``sys.path`` itself (it runs as a file) and then
imports what it needs from here: best-of-n timing, the Christoffel symbols as a numpy
function for the scipy contenders, peak memory of a block, and random points over a
family's typical box widened to "far" pairs.
"""
import math
import threading
import time

import numpy as np
import sympy

from symbolic.budget import set_default_budget
from symbolic.errors import DomainError

# Derivations are not what these scripts time: on a loaded machine one could outrun the
# session's 5 s symbolic budget, and the numeric layer would then fall back to quadrature
# (with a warning), silently changing what is measured (seen with VonMises' natural chart).
set_default_budget(None)

__all__ = ["PeakMemory", "christoffel_numpy", "far_box", "points_in_box", "timed"]


def timed(f, *args, repeat=1, **kw):
    """(result, best wall time of ``repeat`` runs)."""
    best = np.inf
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f(*args, **kw)
        best = min(best, time.perf_counter() - t)
    return out, best


def christoffel_numpy(M, christoffel=None):
    """``f(x) -> Γ`` of shape (n, n, n) (``Γ[k, i, j] = Γ^k_ij``) at one point, by
    ``sympy.lambdify`` to scipy: the right-hand side a user would write for solve_ivp.
    ``christoffel`` defaults to the Levi-Civita symbols of M; for solve_bvp's vectorised
    calls, x may hold a column of points per coordinate (then Γ has a trailing axis).
    """
    G = M.christoffel(kind=2) if christoffel is None else christoffel
    n = M.dim
    f = sympy.lambdify(M.coordinates, [G[k, i, j] for k in range(n) for i in range(n)
                                       for j in range(n)], "scipy")

    def gamma(*x):
        shape = np.shape(x[0])
        return np.array([np.broadcast_to(e, shape) for e in f(*x)], dtype=float).reshape(
            (n, n, n) + shape)

    return gamma


class PeakMemory:
    """Peak resident memory of this process while the block runs (sampled every 10 ms)."""

    def __enter__(self):
        import psutil

        self._proc = psutil.Process()
        self.start = self._proc.memory_info().rss
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


#: Beta's typical range (0.5, 4) per parameter widened to the far box (0.5, 10): the ratio
#: of the ends goes from 8 to 20, i.e. the log-width grows by log 20 / log 8.
FAR_WIDENING = math.log(20.0) / math.log(8.0)


def far_box(M, widening=FAR_WIDENING):
    """(n, 2) box of far pairs from the typical range of each parameter of M, widened by
    ``widening`` in the coordinate in which the parameter's domain is unbounded: the log
    of a positive parameter (its lower end kept: Beta's (0.5, 4) becomes (0.5, 10)), the
    logit of one in an interval (about its centre), the parameter itself if unbounded
    (about its centre: the Normal's mu in (-2, 2) becomes (-2.9, 2.9)).
    """
    box = []
    for p in M.parameters:
        lo, hi = (float(t) for t in p.typical)
        if p.lower is not None and p.upper is not None:
            a, b = float(p.lower), float(p.upper)
            logit = [math.log((t - a) / (b - t)) for t in (lo, hi)]
            mid, half = sum(logit) / 2, (logit[1] - logit[0]) / 2 * widening
            box.append([a + (b - a) / (1 + math.exp(-(mid + s * half))) for s in (-1, 1)])
        elif p.lower is not None:
            a = float(p.lower)
            box.append([lo, a + (lo - a) * ((hi - a) / (lo - a)) ** widening])
        elif p.upper is not None:
            b = float(p.upper)
            box.append([b - (b - hi) * ((b - lo) / (b - hi)) ** widening, hi])
        else:
            mid, half = (lo + hi) / 2, (hi - lo) / 2 * widening
            box.append([mid - half, mid + half])
    return np.array(box)


def points_in_box(M, box, count, rng):
    """``count`` uniform random points of the box that M's domain accepts (its joint
    constraints: the Categorical simplex, a positive definite covariance), shape (count, n).
    """
    out = np.empty((0, M.dim))
    while len(out) < count:
        x = rng.uniform(box[:, 0], box[:, 1], (2 * count, M.dim))
        keep = np.ones(len(x), dtype=bool)
        for k in range(len(x)):
            try:
                M.numeric.validate(x[k])
            except DomainError:
                keep[k] = False
        out = np.concatenate([out, x[keep]])
    return out[:count]
