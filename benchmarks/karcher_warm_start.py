"""The Karcher iteration with and without the warm start of its log maps.

Same points, same first iterate; the Fréchet mean of m random members of a family by
``numeric.geodesics.means.karcher_mean`` on the shooting log map, cold (each log map from its
own first guess) and warm (from the previous iterate's tangent vectors moved by the step).
Prints, per family, the Karcher iterations, the integrations of the shooting's Newton
iterations (the work of the log maps, summed over all points and iterations), the wall
times, their ratios, and the largest relative difference of the two means.

Usage: python benchmarks/karcher_warm_start.py [--m 50] [--seed 0]
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from manifolds import Gamma, Normal  # noqa: E402
from numeric.geodesics.means import karcher_mean, mean_weights  # noqa: E402


def run(M, points, warm):
    K = M.numeric
    count = {"integrations": 0, "log_calls": 0}

    def log(X, Y, guess=None):
        r = K.log(X, Y, throw=False, tol=1e-12, full_output=True, v0=guess)
        count["integrations"] += int(np.sum(r.iterations))
        count["log_calls"] += 1
        v = np.array(r.v)
        v[~np.asarray(r.status == 0)] = np.nan
        return v

    w = mean_weights(None, len(points))
    x0 = w @ points
    t = time.perf_counter()
    r = karcher_mean(K.exp, log, K.metric, points, w, x0, tol=1e-10, warm_start=warm)
    return r, count, time.perf_counter() - t


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--m", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    for M in (Normal(), Gamma()):
        points = np.array([M.random_point(rng) for _ in range(args.m)], dtype=float)
        run(M, points[:2], False)                         # compile outside the timing
        cold, c_cold, t_cold = run(M, points, False)
        warm, c_warm, t_warm = run(M, points, True)
        diff = float(np.max(np.abs(cold.x - warm.x) / np.abs(cold.x)))
        print(f"{M.name}, {args.m} points: status cold {cold.status.name}, warm {warm.status.name}")
        print(f"  Karcher iterations  cold {cold.iterations:4d}   warm {warm.iterations:4d}")
        print(f"  log-map calls       cold {c_cold['log_calls']:4d}   warm {c_warm['log_calls']:4d}")
        print(f"  shooting integrations cold {c_cold['integrations']:6d} warm {c_warm['integrations']:6d}   "
              f"ratio cold/warm {c_cold['integrations'] / max(c_warm['integrations'], 1):.2f}")
        print(f"  wall time           cold {t_cold:.3f} s  warm {t_warm:.3f} s  ratio {t_cold / t_warm:.2f}")
        print(f"  largest relative difference of the means {diff:.1e}")


if __name__ == "__main__":
    main()
