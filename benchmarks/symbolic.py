r"""Benchmark: the exact curvature chain of every catalog family, toolkit against two peers.

For each family the chain is metric -> Christoffel symbols -> Riemann tensor -> Ricci tensor
-> scalar curvature. Timed in the same run:

toolkit
  ``M = cls(*args); M.scalar_curvature()`` on a fresh object in a fresh interpreter: the
  constructor, the metric *derived from the density* and the scalar curvature ("toolkit s",
  wall clock; "cpu s", the process's CPU time, which other load on the machine does not
  inflate). "chain s" is ``curvature_chain`` alone with *every* entry built and factored
  (Christoffel symbols of both kinds, Riemann, Ricci, scalar), started from the same metric
  with sympy's cache cleared, i.e. from the same state as the peers; it is skipped for the
  larger sizes. Best of ``--repeat`` fresh processes (3 by default, 1 with ``--quick``).
sympy.diffgeom (given the toolkit's metric Matrix)
  ``Manifold``/``Patch``/``CoordSystem`` on the coordinates, the metric as
  ``sum g_ij TensorProduct(dx_i, dx_j)``, then ``metric_to_Christoffel_2nd``,
  ``metric_to_Riemann_components``, ``metric_to_Ricci_components`` (a user who wants every
  stage calls all three; each recomputes the earlier stages internally, softened by sympy's
  cache), the trace with ``g.inv()`` and a final ``simplify``.
plain sympy (given the toolkit's metric Matrix)
  ``diff``, ``g.inv()``, explicit loops for Christoffel, Riemann (every component) and Ricci,
  the trace, and one ``simplify`` at the end.

Every peer runs per family in its own interpreter (``--worker``) under a wall-clock alarm of
``--timeout`` seconds (default 300) set just before its timing starts, and under an
address-space limit (``--mem-gb``), so the benchmark always finishes; a peer that runs out
is reported as ``timeout >300 s`` and its ratio as a lower bound, ``>N x``. Ratios are peer
time / toolkit time *including* the metric derivation, which the peers are spared, so they
understate the toolkit's advantage on the chain itself.

Agreement: each peer's scalar curvature is compared with the toolkit's by
``sympy.simplify(a - b) == 0`` (in a worker, limited to ``--check-timeout`` seconds); when
that does not give zero, by evaluating both with mpmath at 30 digits at 5 random points of
the domain (``M.random_point``, fixed symbols from ``M.model.constants``). A peer that
disagrees makes the script exit with status 1; missed speed targets do not (benchmarks
report speed, tests check correctness).

Sign conventions
----------------
The toolkit (:mod:`symbolic.conventions`):
:math:`R^i{}_{jkl} = \partial_k\Gamma^i_{lj} - \partial_l\Gamma^i_{kj}
+ \Gamma^i_{km}\Gamma^m_{lj} - \Gamma^i_{lm}\Gamma^m_{kj}`,
:math:`R_{jl} = R^i{}_{jil}`, :math:`R = g^{jl}R_{jl}`.
sympy.diffgeom (1.14 source): ``metric_to_Christoffel_2nd(g)[i, j, k]`` is
:math:`\Gamma^i_{jk}`; ``metric_to_Riemann_components(g)[rho, sig, mu, nu]`` is
:math:`\partial_\mu\Gamma^\rho_{\sigma\nu} - \partial_\nu\Gamma^\rho_{\sigma\mu}
+ \Gamma^\rho_{l\mu}\Gamma^l_{\sigma\nu} - \Gamma^\rho_{l\nu}\Gamma^l_{\sigma\mu}`, which
for the (symmetric) Levi-Civita connection is our :math:`R^i{}_{jkl}` with
``(rho, sig, mu, nu) = (i, j, k, l)``; ``metric_to_Ricci_components(g)[i, j]`` is
``sum_k riemann[k, i, k, j]`` = our :math:`R_{ij}`. So the mapping is the identity and no
sign is flipped: both give the Normal :math:`R = -1` and Categorical(3) :math:`R = 1/2`
(checked every run, as for every family).

One trap on the diffgeom route: the coordinate symbols must be replaced by the base scalar
fields with ``xreplace``. ``subs`` substitutes one symbol after the other and also rewrites
the symbols stored *inside* the coordinate system of a field already substituted, so the
metric then refers to two coordinate systems and ``twoform_to_matrix`` refuses it
(Categorical(3)).

Larger sizes (issue 16: ``MultivariateNormal(3)``, ``Dirichlet(5)``, ``Dirichlet(6)``,
``Categorical(6)``, ``Categorical(8)``) run with ``--large`` or when named; their peers get
``--large-timeout`` seconds (default 60) and are reported as ``timeout >60 s``: neither
peer finishes any of them (sympy.diffgeom needs over 300 s for MultivariateNormal(2)).

Run: ``python benchmarks/symbolic.py [--families Normal Dirichlet(3)] [--timeout 300]
[--quick] [--large]``.
"""
import argparse
import contextlib
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import time

import mpmath
import numpy as np
import sympy as sp
from sympy.core.cache import clear_cache

# The repository root goes *first*: Python puts this script's folder on sys.path, and this
# file's name would otherwise shadow the ``symbolic`` package.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from manifolds import CATALOG, Categorical, Dirichlet, MultivariateNormal  # noqa: E402
from manifolds.catalog import TYPICAL_CONSTANTS  # noqa: E402
from symbolic import curvature_chain  # noqa: E402

#: The sizes of issue 16, with their targets in seconds (constructor to scalar curvature).
LARGE = {"MultivariateNormal(3)": (MultivariateNormal, (3,), 60.0), "Dirichlet(5)": (Dirichlet, (5,), 10.0),
         "Dirichlet(6)": (Dirichlet, (6,), 30.0), "Categorical(6)": (Categorical, (6,), None),
         "Categorical(8)": (Categorical, (8,), 10.0)}
FAMILIES = {name: (cls, args) for name, cls, args in CATALOG}
FAMILIES.update({name: (cls, args) for name, (cls, args, _) in LARGE.items()})
PEERS = ("diffgeom", "plain")
RESULT_MARK = "@@result "
#: Seconds a worker may overrun its own alarm (startup, parsing, a slow C call) before the
#: parent kills it.
GRACE_S = 60
CHECK_POINTS = 5
CHECK_DIGITS = 30
#: Digits the numeric comparison leaves to cancellation inside unsimplified expressions.
CHECK_SLACK_DIGITS = 10

TARGET_DIRICHLET_S = 3.0
TARGET_TWO_PARAMETER_S = 1.0
TARGET_MVN_S = 60.0
TARGET_SUM_RATIO = 10.0


# -- the two peer routes ---------------------------------------------------------------------
def diffgeom_scalar_curvature(g, coordinates):
    """Scalar curvature through sympy.diffgeom, as a user would write it (see module doc)."""
    from sympy.diffgeom import (
        CoordSystem,
        Manifold,
        Patch,
        TensorProduct,
        metric_to_Christoffel_2nd,
        metric_to_Ricci_components,
        metric_to_Riemann_components,
    )

    n = len(coordinates)
    chart = CoordSystem("C", Patch("P", Manifold("M", n)), list(coordinates))
    fields, dx = chart.coord_functions(), chart.base_oneforms()
    # xreplace, not subs: see "One trap on the diffgeom route" in the module docstring.
    to_fields = dict(zip(coordinates, fields, strict=True))
    metric = sp.S.Zero
    for i in range(n):
        for j in range(n):
            if g[i, j] != 0:
                metric += g[i, j].xreplace(to_fields) * TensorProduct(dx[i], dx[j])
    metric_to_Christoffel_2nd(metric)
    metric_to_Riemann_components(metric)
    ricci = metric_to_Ricci_components(metric)
    to_symbols = dict(zip(fields, coordinates, strict=True))
    ginv = g.inv()
    scalar = sp.S.Zero
    for i in range(n):
        for j in range(n):
            scalar += ginv[i, j] * ricci[i, j].xreplace(to_symbols)
    return sp.simplify(scalar)


def plain_scalar_curvature(g, x):
    """Scalar curvature in plain sympy: explicit loops, one ``simplify`` at the end."""
    n = len(x)
    ginv = g.inv()
    dg = [[[sp.diff(g[i, j], x[k]) for k in range(n)] for j in range(n)] for i in range(n)]
    gamma = [[[sp.S.Zero] * n for _ in range(n)] for _ in range(n)]  # [k][i][j] = Γ^k_ij
    for k in range(n):
        for i in range(n):
            for j in range(n):
                for l in range(n):
                    gamma[k][i][j] += ginv[k, l] * (dg[j][l][i] + dg[i][l][j] - dg[i][j][l]) / 2
    riemann = [[[[sp.S.Zero] * n for _ in range(n)] for _ in range(n)] for _ in range(n)]
    for i in range(n):
        for j in range(n):
            for k in range(n):
                for l in range(n):
                    v = sp.diff(gamma[i][l][j], x[k]) - sp.diff(gamma[i][k][j], x[l])
                    for m in range(n):
                        v += gamma[i][k][m] * gamma[m][l][j] - gamma[i][l][m] * gamma[m][k][j]
                    riemann[i][j][k][l] = v
    ricci = [[sum((riemann[i][j][i][l] for i in range(n)), sp.S.Zero) for l in range(n)] for j in range(n)]
    scalar = sp.S.Zero
    for j in range(n):
        for l in range(n):
            scalar += ginv[j, l] * ricci[j][l]
    return sp.simplify(scalar)


PEER_ROUTES = {"diffgeom": diffgeom_scalar_curvature, "plain": plain_scalar_curvature}


# -- workers: one fresh interpreter per measurement ------------------------------------------
class _Alarm(BaseException):
    """Raised by SIGALRM; a BaseException so that sympy's ``except Exception`` cannot eat it."""


def _on_alarm(signum, frame):
    raise _Alarm


@contextlib.contextmanager
def _alarm(seconds):
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _limited(work, seconds):
    """Run ``work()`` (which returns a dict) under an alarm; timeouts and memory as data."""
    t0 = time.perf_counter()
    try:
        with _alarm(seconds):
            return work()
    except _Alarm:
        return {"timeout": True, "seconds": time.perf_counter() - t0}
    except MemoryError:
        return {"memory": True, "seconds": time.perf_counter() - t0}


def _toolkit_work(family):
    cls, args = FAMILIES[family]
    t0, c0 = time.perf_counter(), time.process_time()
    M = cls(*args)
    scalar = M.scalar_curvature()
    t1, c1 = time.perf_counter(), time.process_time()
    g = M.fisher_metric()
    out = {"seconds": t1 - t0, "cpu_seconds": c1 - c0,
           "metric": sp.srepr(sp.ImmutableMatrix(g)), "coordinates": sp.srepr(sp.Tuple(*M.coordinates)),
           "scalar": sp.srepr(scalar)}
    if family not in LARGE:
        clear_cache()
        t2 = time.perf_counter()
        chain = curvature_chain(g, M.coordinates)
        for key in chain:  # every entry, factored: the stages the peers compute
            chain[key]
        out["chain_seconds"] = time.perf_counter() - t2
    return out


def _peer_work(route, metric, coordinates):
    g, x = sp.Matrix(sp.sympify(metric)), tuple(sp.sympify(coordinates))
    clear_cache()  # start from the state the toolkit's chain-only timing starts from

    def work():
        t0 = time.perf_counter()
        scalar = PEER_ROUTES[route](g, x)
        return {"seconds": time.perf_counter() - t0, "scalar": sp.srepr(scalar)}

    return work


def _check_work(a, b):
    a, b = sp.sympify(a), sp.sympify(b)
    return lambda: {"zero": bool(sp.simplify(a - b) == 0)}


def worker(task):
    """Entry point of ``--worker TASK``: JSON payload on stdin, one result line on stdout."""
    payload = json.loads(sys.stdin.read())
    limit = int(payload["mem_gb"] * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        if task == "toolkit":
            out = _limited(lambda: _toolkit_work(payload["family"]), payload["timeout"])
        elif task in PEER_ROUTES:
            out = _limited(_peer_work(task, payload["metric"], payload["coordinates"]), payload["timeout"])
        elif task == "check":
            out = _limited(_check_work(payload["a"], payload["b"]), payload["timeout"])
        else:
            raise ValueError(f"unknown worker task {task!r}")
    except Exception as exc:  # reported to the parent as data; the traceback goes to stderr
        import traceback

        traceback.print_exc()
        out = {"error": f"{type(exc).__name__}: {exc}"}
    print(RESULT_MARK + json.dumps(out), flush=True)


def run_worker(task, payload, timeout):
    """Run one worker in a fresh interpreter; its result dict (errors and timeouts as data)."""
    payload = dict(payload, timeout=timeout)
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", task]
    try:
        proc = subprocess.run(cmd, input=json.dumps(payload), capture_output=True, text=True,
                              timeout=timeout + GRACE_S)
    except subprocess.TimeoutExpired:
        return {"timeout": True, "seconds": timeout}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    if proc.returncode < 0 or "MemoryError" in proc.stderr:
        return {"error": f"worker died (status {proc.returncode}): {tail}"}
    return {"error": f"worker failed (status {proc.returncode}): {tail}"}


# -- agreement -------------------------------------------------------------------------------
def numeric_agreement(M, a, b, seed):
    """Compare ``a`` and ``b`` with mpmath at 30 digits at random points of M's domain.

    Returns ``(True, None)`` or ``(False, message)``.
    """
    constants = dict(M.model.constants)
    symbols = list(M.coordinates) + list(constants)
    fa = sp.lambdify(symbols, a, modules="mpmath")
    fb = sp.lambdify(symbols, b, modules="mpmath")
    rng = np.random.default_rng(seed)
    tol = mpmath.mpf(10) ** (CHECK_SLACK_DIGITS - CHECK_DIGITS)
    with mpmath.workdps(CHECK_DIGITS):
        fixed = [mpmath.mpf(str(v)) for v in constants.values()]
        for _ in range(CHECK_POINTS):
            point = M.random_point(rng)
            args = [mpmath.mpf(v) for v in point] + fixed
            va, vb = mpmath.mpmathify(fa(*args)), mpmath.mpmathify(fb(*args))
            scale = max(mpmath.mpf(1), abs(va), abs(vb))
            if not (mpmath.isfinite(va) and mpmath.isfinite(vb)) or abs(va - vb) > tol * scale:
                where = ", ".join(f"{s}={v:.6g}" for s, v in zip(M.coordinates, point, strict=True))
                return False, (f"at {where}: toolkit {mpmath.nstr(va, 15)}, "
                               f"peer {mpmath.nstr(vb, 15)}")
    return True, None


def agreement(M, toolkit_scalar, peer_scalar, args):
    """Verdict of one peer against the toolkit: ``(word, detail or None)``."""
    a, b = sp.sympify(toolkit_scalar), sp.sympify(peer_scalar)
    if a - b == 0:
        return "symbolic", None
    check = run_worker("check", {"a": toolkit_scalar, "b": peer_scalar, "mem_gb": args.mem_gb},
                       args.check_timeout)
    if check.get("zero"):
        return "symbolic", None
    ok, detail = numeric_agreement(M, a, b, args.seed)
    if ok:
        return f"numeric({CHECK_POINTS}pt)", None
    return "DISAGREE", detail


# -- table -----------------------------------------------------------------------------------
def _peer_seconds(result):
    """``(seconds, is_lower_bound)`` of a peer result, or ``(None, False)`` if it has none."""
    if result is None or "error" in result:
        return None, False
    return result["seconds"], bool(result.get("timeout") or result.get("memory"))


def _fmt_peer(result, args, limit=None):
    if result is None:
        return "skipped"
    if "error" in result:
        return "error"
    if result.get("timeout"):
        return f"timeout >{limit or args.timeout:g} s"
    if result.get("memory"):
        return f"memory >{args.mem_gb:g} GB"
    return f"{result['seconds']:.3f}"


def _fmt_ratio(seconds, bound, reference):
    if seconds is None or not reference:
        return "-"
    r = seconds / reference
    return f"{'>' if bound else ''}{r:.{2 if r < 10 else 1 if r < 100 else 0}f}x"


COLUMNS = (("family", 22, "<"), ("dim", 3, ">"), ("toolkit s", 9, ">"), ("cpu s", 8, ">"), ("chain s", 8, ">"),
           ("diffgeom s", 15, ">"), ("plain s", 15, ">"), ("dg/tk", 8, ">"), ("plain/tk", 8, ">"),
           ("agreement", 0, "<"))


def _line(cells):
    return "  ".join(f"{c:{a}{w}}" if w else str(c) for c, (_, w, a) in zip(cells, COLUMNS, strict=True)).rstrip()


def bench_family(name, args):
    """Time one family through every route; returns the row's record."""
    cls, cargs = FAMILIES[name]
    M = cls(*cargs).with_constants(**TYPICAL_CONSTANTS.get(name, {}))   # numbers for the numeric comparison
    base = {"family": name, "mem_gb": args.mem_gb}
    runs = [run_worker("toolkit", base, max(args.timeout, 600.0)) for _ in range(args.repeat)]
    good = [r for r in runs if "scalar" in r]
    rec = {"name": name, "dim": M.dim, "peers": {}, "verdicts": {}, "details": []}
    if not good:
        rec["toolkit"] = runs[0]
        rec["details"].append(f"toolkit: {_fmt_peer(runs[0], args)} {runs[0].get('error', '')}".rstrip())
        return rec
    rec["toolkit"] = tk = min(good, key=lambda r: r["seconds"])
    rec["chain"] = min((r["chain_seconds"] for r in good if "chain_seconds" in r), default=None)
    run_peers = not args.quick or M.dim <= 2
    for peer in PEERS:
        if not run_peers:
            rec["peers"][peer] = None
            rec["verdicts"][peer] = "skipped"
            continue
        limit = args.large_timeout if name in LARGE else args.timeout
        res = run_worker(peer, dict(base, metric=tk["metric"], coordinates=tk["coordinates"]), limit)
        rec["peers"][peer] = res
        if "scalar" in res:
            verdict, detail = agreement(M, tk["scalar"], res["scalar"], args)
            if detail:
                rec["details"].append(f"{peer}: {detail}")
        elif "error" in res:
            verdict = "ERROR"
            rec["details"].append(f"{peer}: {res['error']}")
        else:
            verdict = "n/a"
        rec["verdicts"][peer] = verdict
    return rec


def format_row(rec, args):
    tk = rec["toolkit"]
    if "scalar" not in tk:
        return _line([rec["name"], rec["dim"], _fmt_peer(tk, args), "-", "-", "-", "-", "-", "-", "toolkit failed"])
    ratios = [_fmt_ratio(*_peer_seconds(rec["peers"][p]), tk["seconds"]) for p in PEERS]
    verdict = " ".join(f"{p}={rec['verdicts'][p]}" for p in PEERS)
    limit = args.large_timeout if rec["name"] in LARGE else None
    chain = "-" if rec["chain"] is None else f"{rec['chain']:.3f}"
    return _line([rec["name"], rec["dim"], f"{tk['seconds']:.3f}", f"{tk['cpu_seconds']:.3f}", chain,
                  _fmt_peer(rec["peers"]["diffgeom"], args, limit), _fmt_peer(rec["peers"]["plain"], args, limit),
                  *ratios, verdict])


def _sum(recs, peer):
    """Sum of a peer's times over ``recs`` (all must have one), and whether it is a lower bound."""
    total, bound = 0.0, False
    for rec in recs:
        s, b = _peer_seconds(rec["peers"].get(peer))
        total += s
        bound |= b
    return total, bound


def summary(recs, args):
    """The sums over the families run and the issue's targets; returns the lines."""
    ok = [r for r in recs if "scalar" in r["toolkit"]]
    lines = []
    tk_sum = sum(r["toolkit"]["seconds"] for r in ok)
    chain_sum = sum(r["chain"] for r in ok if r["chain"] is not None)
    lines.append(f"sum over {len(ok)} families: toolkit {tk_sum:.2f} s (constructor to scalar curvature), {chain_sum:.2f} s (full chain)")
    sum_ratio = {}
    for peer in PEERS:
        timed = [r for r in ok if _peer_seconds(r["peers"].get(peer))[0] is not None]
        if not timed:
            lines.append(f"  {peer}: not run")
            continue
        total, bound = _sum(timed, peer)
        tks = sum(r["toolkit"]["seconds"] for r in timed)
        chs = sum(r["chain"] for r in timed if r["chain"] is not None)
        gt = ">" if bound else ""
        over = "" if len(timed) == len(ok) else f" (over the {len(timed)} families it ran)"
        full = f", {gt}{total / chs:.1f}x (full chain)" if chs else ""
        lines.append(f"  {peer}: {gt}{total:.2f} s{over}; sum ratio vs toolkit {gt}{total / tks:.1f}x "
                     f"(constructor to scalar){full}")
        sum_ratio[peer] = (total / tks, bound, len(timed))

    by_name = {r["name"]: r for r in ok}
    lines.append("targets (toolkit time = constructor + metric derivation + scalar curvature, wall clock):")

    def target(label, passed, value):
        lines.append(f"  {label:<52s} {value:<38s} {passed}")

    d = by_name.get("Dirichlet(3)")
    target(f"Dirichlet(3) within {TARGET_DIRICHLET_S:g} s",
           "n/a" if d is None else ("PASS" if d["toolkit"]["seconds"] <= TARGET_DIRICHLET_S else "FAIL"),
           "not run" if d is None else f"{d['toolkit']['seconds']:.2f} s")
    two = [r for r in ok if r["dim"] == 2]
    all_two = {n for n, c, a in CATALOG if c(*a).dim == 2} <= set(by_name)
    if two:
        slow = [r for r in two if r["toolkit"]["seconds"] > TARGET_TWO_PARAMETER_S]
        worst = max(two, key=lambda r: r["toolkit"]["seconds"])
        value = f"worst {worst['name']} {worst['toolkit']['seconds']:.2f} s"
        verdict = "FAIL (" + ", ".join(r["name"] for r in slow) + ")" if slow else ("PASS" if all_two else "PASS (partial)")
        target(f"every 2-parameter family within {TARGET_TWO_PARAMETER_S:g} s ({len(two)} run)", verdict, value)
    else:
        target(f"every 2-parameter family within {TARGET_TWO_PARAMETER_S:g} s", "n/a", "none run")
    m = by_name.get("MultivariateNormal(2)")
    target(f"MultivariateNormal(2) within {TARGET_MVN_S:g} s",
           "n/a" if m is None else ("PASS" if m["toolkit"]["seconds"] <= TARGET_MVN_S else "FAIL"),
           "not run" if m is None else f"{m['toolkit']['seconds']:.2f} s")
    for big, (_, _, limit) in LARGE.items():
        if limit is None:
            continue
        r = by_name.get(big)
        target(f"{big} within {limit:g} s (issue 16)",
               "n/a" if r is None else ("PASS" if r["toolkit"]["seconds"] <= limit else "FAIL"),
               "not run" if r is None else f"{r['toolkit']['seconds']:.2f} s (cpu {r['toolkit']['cpu_seconds']:.2f} s)")
    label = f"catalog sum >= {TARGET_SUM_RATIO:g}x faster than sympy.diffgeom"
    r = sum_ratio.get("diffgeom")
    if r is None or r[2] < len(CATALOG) or any(n in LARGE for n in by_name):
        target(label, "n/a (needs every catalog family through diffgeom)", "-" if r is None else f"{r[0]:.1f}x over {r[2]}")
    else:
        ratio, bound, _ = r
        value = f"{'>' if bound else ''}{ratio:.1f}x"
        if ratio >= TARGET_SUM_RATIO:
            verdict = "PASS"
        elif bound:
            verdict = "UNDECIDED (lower bound; raise --timeout)"
        else:
            verdict = "FAIL"
        target(label, verdict, value)
    return lines


def select(names, large=False):
    if not names:
        return [n for n in FAMILIES if large or n not in LARGE]
    out = []
    for n in names:
        hits = [f for f in FAMILIES if f == n] or [f for f in FAMILIES if f.split("(")[0] == n]
        if not hits:
            raise SystemExit(f"unknown family {n!r}; the catalog has: {', '.join(FAMILIES)}")
        out += [h for h in hits if h not in out]
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--families", nargs="+", metavar="NAME",
                   help="catalog names, e.g. Normal 'Dirichlet(3)' (default: the whole catalog)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per peer per family (default 300)")
    p.add_argument("--check-timeout", type=float, default=60.0,
                   help="seconds for simplify(a - b) before the numeric comparison (default 60)")
    p.add_argument("--quick", action="store_true", help="peers only for 1- and 2-parameter families (CI)")
    p.add_argument("--repeat", type=int, default=None,
                   help="toolkit runs per family, best taken (default 3; 1 with --quick)")
    p.add_argument("--large", action="store_true", help="also the larger sizes of issue 16")
    p.add_argument("--large-timeout", type=float, default=60.0,
                   help="seconds per peer for the larger sizes (default 60)")
    p.add_argument("--mem-gb", type=float, default=8.0, help="address-space limit of every worker (default 8)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random points of the numeric check")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args.worker)
        return 0
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    names = select(args.families, args.large)

    print(f"symbolic curvature chain: python {platform.python_version()}, sympy {sp.__version__}, "
          f"{platform.machine()} x{os.cpu_count()} cpus; peer timeout {args.timeout:g} s"
          f"{', quick (peers for dim <= 2 only)' if args.quick else ''}; toolkit best of {args.repeat}; "
          f"load average {os.getloadavg()[0]:.1f}")
    print("toolkit s: fresh object, constructor + metric derived from the density + scalar curvature "
          "(cpu s: its CPU time); chain s: curvature_chain alone from the metric with every entry built "
          "(cold sympy cache, as the peers); ratios: peer / toolkit s")
    print(_line([c for c, _, _ in COLUMNS]))
    recs, failed = [], False
    for name in names:
        rec = bench_family(name, args)
        recs.append(rec)
        print(format_row(rec, args), flush=True)
        for d in rec["details"]:
            print(f"    {d}", flush=True)
        failed |= "scalar" not in rec["toolkit"] or any(v in ("DISAGREE", "ERROR") for v in rec["verdicts"].values())
    print()
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (timings are wall clock; other load inflates them)")
    for line in summary(recs, args):
        print(line)
    if failed:
        print("some route disagreed or failed (see the rows above)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
