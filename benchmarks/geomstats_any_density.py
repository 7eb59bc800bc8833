"""geomstats' FisherRaoMetric on the two-component mixture (1 - w) N(0, 1) + w N(m, 1).

Run by ``benchmarks/any_density.py`` in geomstats' own interpreter (geomstats pins
numpy < 2.4, see benchmarks/requirements-geomstats.txt; FisherRaoMetric differentiates the
density with the autograd backend, so ``autograd`` must be installed there too). Imports
only geomstats and numpy; prints one JSON line: seconds per metric, per geodesic (exp map)
and per distance, and the values, for the caller to compare.

Usage: python benchmarks/geomstats_any_density.py '{"x": [...], "v": [...], "y": [...]}'
"""
import json
import os
import sys
import time

os.environ.setdefault("GEOMSTATS_BACKEND", "autograd")

import geomstats.backend as gs  # noqa: E402
from geomstats.geometry.base import VectorSpaceOpenSet  # noqa: E402
from geomstats.geometry.euclidean import Euclidean  # noqa: E402
from geomstats.information_geometry.base import InformationManifoldMixin  # noqa: E402
from geomstats.information_geometry.fisher_rao_metric import FisherRaoMetric  # noqa: E402
from geomstats.numerics.bvp import ScipySolveBVP  # noqa: E402
from geomstats.numerics.geodesic import ExpODESolver, LogODESolver  # noqa: E402
from geomstats.numerics.ivp import ScipySolveIVP  # noqa: E402


class Mixture(InformationManifoldMixin, VectorSpaceOpenSet):
    """(w, m): the weight in (0, 1) and the second mean; the support is the real line."""

    def __init__(self):
        super().__init__(support_shape=(), dim=2, embedding_space=Euclidean(2), equip=False)

    def belongs(self, point, atol=gs.atol):
        return gs.logical_and(point[..., 0] > 0, point[..., 0] < 1)

    def projection(self, point):
        return point

    def point_to_pdf(self, point):
        # geomstats' convention: pdf(x) has shape [..., n_x]
        w, m = point[..., 0, None], point[..., 1, None]

        def pdf(x):
            x = gs.reshape(gs.array(x, dtype=gs.float64), (-1,))
            return ((1 - w) * gs.exp(-x**2 / 2) + w * gs.exp(-(x - m) ** 2 / 2)) / gs.sqrt(2 * gs.pi)

        return pdf


def main():
    args = json.loads(sys.argv[1])
    space = Mixture()
    # on (-inf, inf) FisherRaoMetric returns NaN (its integrand (dp)^2 / p is 0/0 where the
    # density underflows); the mass outside (-20, 21) is below 1e-88
    space.equip_with_metric(FisherRaoMetric, support=args.get("support", [-20.0, 21.0]))
    metric = space.metric
    # the solvers geomstats gives its own information manifolds (Gamma, Dirichlet)
    metric.exp_solver = ExpODESolver(space, integrator=ScipySolveIVP(method="LSODA"))
    metric.log_solver = LogODESolver(space, n_nodes=1000, integrator=ScipySolveBVP(max_nodes=1000))
    x, v, y = (gs.array(args[k], dtype=gs.float64) for k in ("x", "v", "y"))
    out = {}
    t = time.perf_counter()
    out["metric"] = gs.to_numpy(metric.metric_matrix(x)).tolist()
    out["metric_s"] = time.perf_counter() - t
    t = time.perf_counter()
    out["exp"] = gs.to_numpy(metric.exp(v, x)).tolist()
    out["exp_s"] = time.perf_counter() - t
    print(json.dumps(out), flush=True)
    t = time.perf_counter()
    out["distance"] = float(metric.dist(x, y))
    out["distance_s"] = time.perf_counter() - t
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
