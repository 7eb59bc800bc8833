"""Input generators of the fuzz suite: points per family (typical, near the boundary, just
outside, NaN/inf, extreme magnitudes), wrong shapes and wrong types, and an independent
oracle of the domain (bounds and constraints evaluated with sympy, not the package's check).
"""
from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
import sympy as sp
from hypothesis import strategies as st

from tests.catalog_points import build

TINY = (5e-324, 1e-300, 1e-160, 1e-12)
HUGE = (1e8, 1e150, 1e300, 1.7e308)
#: Values of a wrong type where an array of reals is expected.
WRONG_TYPES = ("0.5", b"1", None, 1 + 2j, [1 + 1j, 2.0], object(), {"x": 1.0}, [["a", "b"]],
               np.array(["1.0"]), np.array([1.0], dtype=object), sp.Symbol("x"))


@functools.lru_cache(maxsize=None)
def manifold(name):
    return build(name)


def inside(M, x):
    """Whether the point ``x`` lies in the domain (the oracle, not the package's check)."""
    x = [float(v) for v in x]
    if not all(math.isfinite(v) for v in x):
        return False
    for p, v in zip(M.parameters, x, strict=True):
        if p.lower is not None and not v > p.lower:
            return False
        if p.upper is not None and not v < p.upper:
            return False
    subs = {c: sp.Float(v, 30) for c, v in zip(M.coordinates, x, strict=True)}
    subs.update({k: sp.sympify(v, strict=True) for k, v in M.model.constants.items()})
    return all(bool(sp.N(c.expr.xreplace(subs), 30) > 0) for c in M.model.constraints)


def _coordinate(p):
    lo = p.lower if p.lower is not None else None
    hi = p.upper if p.upper is not None else None
    typical = st.floats(*p.typical)
    edge = []
    if lo is not None:
        edge += [st.sampled_from([lo + t for t in TINY] + [math.nextafter(lo, math.inf)]),
                 st.sampled_from([lo, lo - 1e-12, math.nextafter(lo, -math.inf), lo - 1.0])]
    if hi is not None:
        edge += [st.sampled_from([hi - t for t in TINY if hi - t < hi] + [math.nextafter(hi, -math.inf)]),
                 st.sampled_from([hi, hi + 1e-12, math.nextafter(hi, math.inf), hi + 1.0])]
    if hi is None:
        edge.append(st.sampled_from(HUGE))
    if lo is None:
        edge.append(st.sampled_from([-h for h in HUGE]))
    return st.one_of(typical, typical, *edge)


def points(M):
    """A point of ``M``: every coordinate typical, near/at/just outside a bound or extreme."""
    return st.tuples(*[_coordinate(p) for p in M.parameters]).map(lambda t: np.array(t, dtype=np.float64))


def nonfinite_points(M):
    n = M.dim
    return st.tuples(st.integers(0, n - 1), st.sampled_from([math.nan, math.inf, -math.inf]),
                     points(M)).map(lambda t: _put(t[2], t[0], t[1]))


def _put(x, i, v):
    x = x.copy()
    x[i] = v
    return x


def wrong_shapes(M):
    n = M.dim
    # a bare scalar is a valid point of a one-dimensional family
    shapes = [(n + 1,), (2, n + 1), (3, n + 2)] + ([(n - 1,), ()] if n > 1 else [(0,)])
    return st.sampled_from(shapes).map(lambda s: np.full(s, 0.5))


@functools.lru_cache(maxsize=None)
def mp_function(name, what):
    """``what`` of family ``name`` (a sympy quantity) lambdified to mpmath, constants in."""
    M = manifold(name)
    expr = {"metric": M.fisher_metric, "christoffel": lambda: M.christoffel(kind=2)}[what]()
    consts = {k: sp.sympify(v, strict=True) for k, v in M.model.constants.items()}
    expr = sp.Array(expr).xreplace(consts) if consts else sp.Array(expr)
    flat_expr = list(sp.flatten(expr))
    # cse: each polygamma at each argument once (a 1,000-digit psi costs tens of ms)
    f = sp.lambdify(M.coordinates, flat_expr, "mpmath", cse=True)
    return f, expr.shape


def _digits_for(x, dps):
    """Enough digits for a reference at ``x``: sums of coordinates decades apart (a + b,
    1 - I1(k)/I0(k) at k = 1e150) lose as many digits as the decades they span, and a
    40-digit reference was itself wrong there.
    """
    sizes = [abs(float(v)) for v in x if float(v) != 0.0 and math.isfinite(float(v))]
    spread = math.log10(max(sizes)) - math.log10(min(sizes)) if sizes else 0.0
    top = math.log10(max(sizes)) if sizes else 0.0
    # twice: a quantity such as 1 - A/k - A**2 (von Mises) cancels at two levels
    return max(dps, 40 + 2 * int(math.ceil(max(spread, abs(top)))))


def exact(name, what, x, dps=40):
    """``what`` at ``x`` evaluated with mpmath at ``dps`` digits, rounded to float64 (inf where
    it overflows); None when mpmath cannot evaluate it (no reference then).
    """
    f, shape = mp_function(name, what)
    with mpmath.workdps(_digits_for(x, dps)):
        try:
            vals = f(*[mpmath.mpf(float(v)) for v in x])
        except (ZeroDivisionError, ValueError, TypeError, OverflowError):
            return None
        out = []
        for v in vals:
            v = mpmath.mpmathify(v)
            if isinstance(v, mpmath.mpc):
                if abs(v.imag) > 1e-30 * max(1, abs(v.real)):
                    return None
                v = v.real
            if mpmath.isnan(v):
                return None
            out.append(float(v) if abs(v) < mpmath.mpf("1.7976931348623157e308") else math.copysign(math.inf, v))
    return np.array(out).reshape(shape)


def exact_inverse(name, x, dps=40):
    """The inverse of the exact metric, inverted in mpmath (an identity check of g^ij)."""
    f, shape = mp_function(name, "metric")
    shape = tuple(int(s) for s in shape)
    with mpmath.workdps(_digits_for(x, dps)):
        try:
            g = mpmath.matrix(shape[0], shape[1])
            vals = f(*[mpmath.mpf(float(v)) for v in x])
            for k, v in enumerate(vals):
                g[k // shape[1], k % shape[1]] = mpmath.mpmathify(v)
            # Jacobi-scaled first (D^-1/2 g D^-1/2, D its diagonal): mpmath's LU calls a
            # matrix singular when its entries span hundreds of orders of magnitude
            n = shape[0]
            d = [mpmath.sqrt(abs(g[i, i])) for i in range(n)]
            scaled = mpmath.matrix(n, n)
            for i in range(n):
                for j in range(n):
                    scaled[i, j] = g[i, j] / (d[i] * d[j])
            s_inv = scaled ** -1
            inv = mpmath.matrix(n, n)
            for i in range(n):
                for j in range(n):
                    inv[i, j] = s_inv[i, j] / (d[i] * d[j])
        except (ZeroDivisionError, ValueError, TypeError, OverflowError):
            return None
        out = [[float(inv[i, j]) if abs(inv[i, j]) < mpmath.mpf("1.7976931348623157e308")
                else math.copysign(math.inf, inv[i, j]) for j in range(shape[1])] for i in range(shape[0])]
    return np.array(out)
