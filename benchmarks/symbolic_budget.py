"""Every symbolic call on every catalog family and on the seven own models of issue 11, timed
against its budget.

Each call of ``StatisticalManifold`` (metric, inverse metric, Christoffel symbols, the
Amari-Chentsov tensor, the alpha = 1 connection, scalar curvature at alpha = 0 and 1,
expectation parameters, dual potential, KL divergence) either returns or raises within its time
budget (``--budget`` seconds, the session default of ``symbolic.budget`` otherwise): a
``NotClosedFormError`` naming the integral that was running, a ``DerivationError`` naming the
sum or integral sympy gave up on, or a ``ValueError`` for a quantity the model does not have
(a dual potential outside exponential families). The calls run in order on one object, as a
user would make them, so a later call reuses what an earlier one derived. Every row prints
the outcome and the wall time; a call that takes longer than its budget plus ``--slack``
seconds is marked ``OVER`` and makes the script exit with status 1.

    python benchmarks/symbolic_budget.py                 # everything (a few minutes)
    python benchmarks/symbolic_budget.py --families Normal Rayleigh --budget 5
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.own_models import OWN_MODELS  # noqa: E402
from manifolds import CATALOG  # noqa: E402
from symbolic import budget  # noqa: E402
from symbolic.errors import DeclarationError, DerivationError  # noqa: E402

CALLS = [
    ("fisher_metric", lambda M: M.fisher_metric()),
    ("inverse_metric", lambda M: M.inverse_metric()),
    ("christoffel", lambda M: M.christoffel()),
    ("amari_chentsov", lambda M: M.amari_chentsov()),
    ("alpha_connection(1)", lambda M: M.alpha_connection(1)),
    ("scalar_curvature", lambda M: M.scalar_curvature()),
    ("scalar_curvature(1)", lambda M: M.scalar_curvature(alpha=1)),
    ("expectation_parameters", lambda M: M.expectation_parameters()),
    ("dual_potential", lambda M: M.dual_potential()),
    ("kl_divergence", lambda M: M.kl_divergence()),
]


def families():
    out = {name: (lambda cls=cls, args=args: cls(*args)) for name, cls, args in CATALOG}
    out.update(OWN_MODELS)
    return out


def run_family(name, build, seconds, slack, calls):
    """Rows ``(family, call, outcome, seconds, over)`` for one family."""
    rows = []
    M = build()
    for label, call in CALLS:
        if calls and label not in calls:
            continue
        start = time.perf_counter()
        try:
            value = call(M)
            outcome = f"ok ({len(str(value))} characters)"
        except DerivationError as exc:  # NotClosedFormError included
            outcome = f"{type(exc).__name__}: {str(exc)[:70]}..."
        except DeclarationError as exc:
            outcome = f"DeclarationError: {str(exc)[:70]}..."
        except ValueError as exc:
            outcome = f"ValueError: {str(exc)[:60]}..."
        elapsed = time.perf_counter() - start
        rows.append((name, label, outcome, elapsed, elapsed > seconds + slack))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", nargs="*", help="families to run (default: all)")
    parser.add_argument("--calls", nargs="*", help="calls to run (default: all)")
    parser.add_argument("--budget", type=float, default=None, help="seconds per call (default: the session's)")
    parser.add_argument("--slack", type=float, default=2.0, help="seconds over the budget still accepted")
    args = parser.parse_args(argv)
    if args.budget is not None:
        budget.set_default_budget(args.budget)
    seconds = budget.default_budget()
    table = families()
    names = args.families or list(table)
    unknown = [n for n in names if n not in table]
    if unknown:
        parser.error(f"unknown families {unknown}; known: {', '.join(table)}")
    print(f"budget {seconds:g} s per call (+{args.slack:g} s slack)")
    print(f"{'family':24s} {'call':24s} {'s':>7s}  outcome")
    over = 0
    total = 0.0
    for name in names:
        for fam, call, outcome, elapsed, late in run_family(name, table[name], seconds, args.slack, args.calls):
            over += late
            total += elapsed
            print(f"{fam:24s} {call:24s} {elapsed:7.2f}  {'OVER ' if late else ''}{outcome}", flush=True)
    print(f"{len(names)} families, {total:.1f} s in all, {over} call(s) over budget")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
