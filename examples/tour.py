"""A tour of the toolkit: the exact geometry of every family in the catalog.

Run with ``python examples/tour.py [FAMILY ...] [--details] [--out DIR] [--symbolic-only]``.
By default one line per family (Fisher metric and scalar curvature), then geodesics and a
natural-gradient comparison: a few screens. ``--details`` prints each family in full: the
metric, the curvature, and for exponential families the natural parameters, the
log-partition and the dual potential. Figures go to ``--out`` (default ``out``).
"""
import argparse
import sys
import time
from pathlib import Path

import sympy as sp

from manifolds import CATALOG, NotClosedFormError

#: Characters of a one-line value before it is cut (``--details`` shows it whole).
WIDTH = 60


def show(label, value):
    text = sp.pretty(value, use_unicode=True)
    if "\n" in text:
        print(f"  {label}:")
        print("\n".join("    " + line for line in text.splitlines()))
    else:
        print(f"  {label}: {text}")


def one_line(value, width=WIDTH):
    """``value`` on one line, rows of a Matrix as a nested list, cut at ``width`` characters."""
    text = sp.sstr(value.tolist() if isinstance(value, sp.MatrixBase) else value)
    return text if len(text) <= width else text[:width - 3] + "..."


def tour_family(name, M, details=False):
    coords = ", ".join(p.name for p in M.parameters)
    if not details:
        print(f"{name + ' (' + coords + ')':34s} R = {one_line(M.scalar_curvature(), 12):12s} "
              f"g = {one_line(M.fisher_metric())}")
        return
    print(f"\n=== {name}: coordinates ({coords}) ===")
    show("Fisher metric g", M.fisher_metric())
    show("scalar curvature R", M.scalar_curvature())
    if M.dim == 2:
        show("Gaussian curvature K = R/2", M.gaussian_curvature())
    if M.is_exponential_family:
        show("natural parameters theta", M.natural_parameters().T)
        show("log-partition F(theta)", M.log_partition())
        try:
            show("dual potential F*(eta)", M.dual_potential())
        except NotClosedFormError:
            show("dual potential F* (no closed form in eta; in the coordinates)", M.dual_potential_at_coordinates())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("families", nargs="*", help="names from the catalog (default: all)")
    parser.add_argument("--details", action="store_true",
                        help="every quantity of every family in full (several hundred lines)")
    parser.add_argument("--out", default="out", help="folder for the figures (default: out)")
    parser.add_argument("--symbolic-only", action="store_true", help="skip geodesics and optimisation")
    args = parser.parse_args(argv)
    known = {name for name, _, _ in CATALOG} | {cls.__name__ for _, cls, _ in CATALOG}
    unknown = [f for f in args.families if f not in known]
    if unknown:
        parser.error(f"unknown families {', '.join(unknown)}; known: {', '.join(n for n, _, _ in CATALOG)}")
    start = time.perf_counter()
    if not args.details:
        print("The exact geometry of the catalog (R: scalar curvature, g: Fisher metric; --details for more)\n")
    for name, cls, ctor in CATALOG:
        if args.families and name not in args.families and cls.__name__ not in args.families:
            continue
        tour_family(name, cls(*ctor), details=args.details)
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
