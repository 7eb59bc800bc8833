"""Command line: exact geometry, geodesics, distances and exercise checks without a REPL.

::

    python -m manifolds derive Beta scalar_curvature --latex
    python -m manifolds geodesic Normal --latex                   # the geodesic equations
    python -m manifolds geodesic Normal --start 0,1 --velocity 1,0 --t1 1 --points 5
    python -m manifolds distance Normal 0,1 1,2
    python -m manifolds check Poisson fisher_metric "Matrix([[1/lam]])"

Family names and quantities are looked up in fixed tables (the catalog and
:meth:`manifolds.StatisticalManifold.quantity`); points are read as comma-separated floats and
answers by the safe parser (:mod:`symbolic.parsing`): nothing a user types is executed.

Exit codes: 0 success (for ``check``: the answer is correct), 1 the answer is incorrect or
undecided, 2 bad usage or bad input (unknown family or quantity, malformed answer or point,
point outside the domain; the message names the cause).
"""
from __future__ import annotations

import argparse
import math
import re
import sys

import sympy as sp

from symbolic.errors import AnswerError, DerivationError, DomainError
from symbolic.latex import latex as to_latex

from .base import StatisticalManifold
from .catalog import CATALOG

__all__ = ["main", "FAMILIES", "QUANTITIES", "make_family"]

#: The families the command line knows, by class name (one optional numeric argument).
FAMILIES = {cls.__name__: cls for _, cls, _ in CATALOG}
#: The quantities ``derive`` and ``check`` accept (those of :meth:`StatisticalManifold.quantity`).
QUANTITIES = tuple(sorted(StatisticalManifold._QUANTITIES))

EXIT_OK, EXIT_INCORRECT, EXIT_USAGE = 0, 1, 2

_FAMILY = re.compile(r"^([A-Za-z]+)(?:\((\d+|\d*\.\d+)\))?$")


class UsageError(Exception):
    """Bad input on the command line (exit code 2)."""


def make_family(text):
    """The manifold named by ``text``: a catalog class name, with an optional numeric argument
    in parentheses (``"Dirichlet(4)"``, ``"Binomial(10)"``, ``"NormalMean(2)"``).

    Examples
    --------
    >>> make_family("Dirichlet(4)").dim
    4
    >>> make_family("Gauss")
    Traceback (most recent call last):
    ...
    manifolds.__main__.UsageError: unknown family 'Gauss'; known: Bernoulli, Beta, ...
    """
    match = _FAMILY.match(text.strip())
    if match is None or match.group(1) not in FAMILIES:
        raise UsageError(f"unknown family {text!r}; known: {', '.join(sorted(FAMILIES))} "
                         f"(with an optional number in parentheses, e.g. Dirichlet(4))")
    cls, arg = FAMILIES[match.group(1)], match.group(2)
    if arg is None:
        return cls()
    try:
        return cls(int(arg) if arg.isdigit() else float(arg))
    except TypeError:
        raise UsageError(f"{cls.__name__} takes no argument; write {cls.__name__}") from None
    except (DomainError, ValueError) as exc:
        raise UsageError(f"{text}: {exc}") from exc


def _quantity(name):
    if name not in QUANTITIES:
        raise UsageError(f"unknown quantity {name!r}; known: {', '.join(QUANTITIES)}")
    return name


def _point(text, M, label):
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"{label} must be {M.dim} comma-separated numbers "
                         f"({', '.join(str(c) for c in M.coordinates)}), got {text!r}") from None
    if len(values) != M.dim:
        raise UsageError(f"{label} must have {M.dim} coordinates "
                         f"({', '.join(str(c) for c in M.coordinates)}), got {len(values)}")
    if not all(math.isfinite(v) for v in values):
        raise UsageError(f"{label} must be finite, got {text!r}")
    return values


def _show(expr, latex):
    return to_latex(expr) if latex else sp.sstr(expr)


def _derive(args, out):
    M = make_family(args.family)
    name = _quantity(args.quantity)
    # with --latex: the lecture-notes form of StatisticalManifold.latex (Greek coordinates,
    # psi^(n), indexed components of tensors)
    print(M.latex(name) if args.latex else sp.sstr(M.quantity(name)), file=out)
    return EXIT_OK


def _geodesic_equations(M):
    """The geodesic equations, one per coordinate, as sympy equations in ``t``."""
    t = sp.Symbol("t", real=True)
    x = [sp.Function(c.name)(t) for c in M.coordinates]
    on_curve = dict(zip(M.coordinates, x, strict=True))
    G = M.christoffel()
    n = M.dim
    return [sp.Eq(x[k].diff(t, 2) + sum(G[k, i, j].xreplace(on_curve) * x[i].diff(t) * x[j].diff(t)
                                        for i in range(n) for j in range(n)), 0) for k in range(n)]


def _geodesic(args, out):
    M = make_family(args.family)
    if args.start is None and args.velocity is None:
        for eq in _geodesic_equations(M):
            print(_show(eq, args.latex), file=out)
        return EXIT_OK
    if args.start is None or args.velocity is None:
        raise UsageError("give both --start and --velocity (or neither, for the equations)")
    if not (math.isfinite(args.t1) and args.t1 > 0):
        raise UsageError(f"--t1 must be a finite number > 0, got {args.t1}")
    if args.points < 2:
        raise UsageError(f"--points must be >= 2, got {args.points}")
    x0, v0 = _point(args.start, M, "--start"), _point(args.velocity, M, "--velocity")
    M.validate(x0)
    t = [args.t1 * k / (args.points - 1) for k in range(args.points)]
    sol = M.numeric.geodesic(x0, v0, args.t1, t_eval=t)
    names = [str(c) for c in M.coordinates]
    rows = [[f"{tk:.6g}"] + [f"{v:.12g}" for v in xk] for tk, xk in zip(t, sol.x, strict=True)]
    if args.latex:
        print(r"\begin{tabular}{" + "r" * (M.dim + 1) + "}", file=out)
        print(" & ".join(["$t$"] + [f"${to_latex(c)}$" for c in M.coordinates]) + r" \\ \hline", file=out)
        for row in rows:
            print(" & ".join(row) + r" \\", file=out)
        print(r"\end{tabular}", file=out)
    else:
        print("\t".join(["t"] + names), file=out)
        for row in rows:
            print("\t".join(row), file=out)
    if int(sol.status) != 0:                      # IntegrationStatus.SUCCESS
        print(f"integration stopped before t1: {sol.message}", file=sys.stderr)
        return EXIT_INCORRECT
    return EXIT_OK


def _distance(args, out):
    M = make_family(args.family)
    x, y = _point(args.x, M, "x"), _point(args.y, M, "y")
    M.validate(x)
    M.validate(y)
    d = float(M.numeric.distance(x, y, method=args.method))
    print(f"{d:.15g}", file=out)
    return EXIT_OK


def _check(args, out):
    M = make_family(args.family)
    result = M.check(_quantity(args.quantity), args.answer)
    print(repr(result), file=out)
    return EXIT_OK if bool(result) else EXIT_INCORRECT


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m manifolds",
        description="Exact information geometry of the catalog's families, from the shell.",
        epilog="Families: " + ", ".join(sorted(FAMILIES)) + ". Exit codes: 0 ok, 1 incorrect "
               "(check) or integration failed (geodesic), 2 usage or bad input.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    family_help = "a catalog family, e.g. Normal, Beta, Dirichlet(4)"
    p = sub.add_parser("derive", help="a derived quantity, exact",
                       description="Print a derived quantity of a family (sympy syntax, or LaTeX).",
                       epilog="Quantities: " + ", ".join(QUANTITIES) + ".")
    p.add_argument("family", help=family_help)
    p.add_argument("quantity", help="what to derive, e.g. fisher_metric, scalar_curvature")
    p.add_argument("--latex", action="store_true", help="print LaTeX (paste into math mode)")
    p.set_defaults(run=_derive)

    p = sub.add_parser("geodesic", help="geodesic equations, or a geodesic integrated",
                       description="Without --start/--velocity: the geodesic equations of the Fisher "
                                   "metric. With them: the geodesic integrated to --t1, as a table.")
    p.add_argument("family", help=family_help)
    p.add_argument("--start", help="comma-separated coordinates of the start, e.g. 0,1")
    p.add_argument("--velocity", help="comma-separated initial velocity, e.g. 1,0")
    p.add_argument("--t1", type=float, default=1.0, help="end time (default 1)")
    p.add_argument("--points", type=int, default=5, help="rows of the table (default 5)")
    p.add_argument("--latex", action="store_true", help="print LaTeX (equations, or a tabular)")
    p.set_defaults(run=_geodesic)

    p = sub.add_parser("distance", help="Fisher-Rao distance of two points",
                       description="The Fisher-Rao distance: the closed form where the family has one, "
                                   "geodesic shooting otherwise.")
    p.add_argument("family", help=family_help)
    p.add_argument("x", help="comma-separated coordinates, e.g. 0,1")
    p.add_argument("y", help="comma-separated coordinates, e.g. 1,2")
    p.add_argument("--method", choices=["auto", "closed_form", "numerical"], default="auto")
    p.set_defaults(run=_distance)

    p = sub.add_parser("check", help="check an answer to an exercise",
                       description="Compare an answer (sympy syntax, read by a safe parser; nothing is "
                                   "executed) with the derived quantity. Exit code 0 if correct, 1 if not.",
                       epilog="Quantities: " + ", ".join(QUANTITIES) + ".")
    p.add_argument("family", help=family_help)
    p.add_argument("quantity", help="what the answer is, e.g. fisher_metric")
    p.add_argument("answer", help='e.g. "Matrix([[1/lam]])"')
    p.set_defaults(run=_check)
    return parser


def main(argv=None, out=None):
    """Run the command line; returns the exit code.

    Examples
    --------
    >>> main(["derive", "Normal", "scalar_curvature"])
    -1
    0
    >>> main(["check", "Poisson", "fisher_metric", "Matrix([[1/lam**2]])"])
    CheckResult(incorrect: difference (expected - answer) = Matrix([[(lam - 1)/lam**2]]))
    1
    """
    out = sys.stdout if out is None else out
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args, out)
    except (UsageError, AnswerError, DomainError, DerivationError, ValueError) as exc:
        # ValueError: e.g. a Gaussian curvature asked of a 3-dimensional family, or the dual
        # potential of a family that is not exponential
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
