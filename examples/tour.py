"""A tour of the toolkit: the exact geometry of every family in the catalog.

Run with ``python examples/tour.py``. For each family it prints the Fisher metric and the
scalar curvature, and for exponential families the natural parameters, the log-partition and
the dual potential.
"""
import argparse
import sys
import time
from pathlib import Path

import sympy as sp

from manifolds import CATALOG, NotClosedFormError
from symbolic import dual_potential_at_coordinates


def show(label, value):
    text = sp.pretty(value, use_unicode=True)
    if "\n" in text:
        print(f"  {label}:")
        print("\n".join("    " + line for line in text.splitlines()))
    else:
        print(f"  {label}: {text}")


def tour_family(name, M):
    print(f"\n=== {name}: coordinates ({', '.join(p.name for p in M.parameters)}) ===")
    show("Fisher metric g", M.fisher_metric())
    R = M.scalar_curvature()
    show("scalar curvature R", R)
    if M.dim == 2:
        show("Gaussian curvature K = R/2", M.gaussian_curvature())
    if M.is_exponential_family:
        show("natural parameters theta", M.natural_parameters().T)
        show("log-partition F(theta)", M.log_partition())
        try:
            show("dual potential F*(eta)", M.dual_potential())
        except NotClosedFormError:
            show("dual potential F* (no closed form in eta; in the coordinates)",
                 dual_potential_at_coordinates(M.model))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("families", nargs="*", help="names from the catalog (default: all)")
    parser.add_argument("--out", default="out", help="folder for the figures (default: out)")
    parser.add_argument("--symbolic-only", action="store_true", help="skip geodesics and optimisation")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    for name, cls, ctor in CATALOG:
        if args.families and name not in args.families and cls.__name__ not in args.families:
            continue
        tour_family(name, cls(*ctor))
    print(f"\nderived the catalog in {time.perf_counter() - start:.1f} s")
    if args.symbolic_only:
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from geodesics import tour_geodesics

    print("\n=== Geodesics and Fisher-Rao distances (compiled kernels, cached on disk) ===")
    tour_geodesics(args.out)
    from invariance import tour_natural_gradient

    print("\n=== Natural gradient against plain gradient ===")
    tour_natural_gradient()


if __name__ == "__main__":
    main()
