r"""Exact arithmetic for derivations: rational functions of transcendental atoms.

Fisher metrics of the catalog are rational functions of the coordinates and of a few
transcendental functions of them (polygamma, Bessel functions, logarithms, trigonometric
functions). Differentiating such a function gives another one of the same kind. Treating each
transcendental function as an independent generator of a field of rational functions over
:math:`\mathbb{Q}` and differentiating with the chain rule gives exact results that are kept
in canonical (cancelled) form at every step by polynomial gcds, which is far cheaper than
calling ``simplify`` on large expressions. This is the engine behind Christoffel symbols and
curvature.

Before an expression enters the field its functions are brought to a canonical form so that
algebraically related atoms become the same generator:

* ``digamma(z)`` and ``trigamma(z)`` become ``polygamma(0, z)``, ``polygamma(1, z)``;
* ``besseli(n, z)`` for integer ``n`` is reduced to ``besseli(0, z)`` and ``besseli(1, z)``
  by :math:`I_{-n} = I_n` and :math:`I_{n+1} = I_{n-1} - \tfrac{2n}{z} I_n`;
* logarithms of products of positive factors are expanded;
* ``sin(u)`` and ``cos(u)`` are written through :math:`\tau = \tan(u/2)`, so that
  :math:`\sin^2 + \cos^2 = 1` holds inside the field;
* square roots of trigonometric sums are simplified (:math:`\sqrt{\kappa^2\cos^2\mu + \kappa^2\sin^2\mu} = \kappa`).
"""
from __future__ import annotations

import sympy as sp
from sympy.polys.fields import field as _make_field

__all__ = ["canonical_functions", "RationalAlgebra", "normal_form", "simplify_entries", "simplify_array", "flat"]


def _reduce_besseli(expr):
    def rule(order, z):
        if not (order.is_Integer):
            return sp.besseli(order, z)
        n = abs(int(order))
        i0, i1 = sp.besseli(0, z), sp.besseli(1, z)
        if n == 0:
            return i0
        lower, upper = i0, i1
        for m in range(1, n):
            lower, upper = upper, lower - 2 * m / z * upper
        return upper

    return expr.replace(lambda e: isinstance(e, sp.besseli), lambda e: rule(*e.args))


def _half_angle(expr):
    """Write sin and cos through tan of the half angle (a rational parametrisation)."""

    def tan_half(u):
        return sp.tan(u / 2)

    def sin_rule(u):
        t = tan_half(u)
        return 2 * t / (1 + t**2)

    def cos_rule(u):
        t = tan_half(u)
        return (1 - t**2) / (1 + t**2)

    expr = expr.replace(lambda e: isinstance(e, sp.sin), lambda e: sin_rule(e.args[0]))
    return expr.replace(lambda e: isinstance(e, sp.cos), lambda e: cos_rule(e.args[0]))


def _simplify_radicands(expr):
    """Inside roots, use sin^2 = 1 - cos^2 and factor: cheap where ``trigsimp`` is not."""

    def is_trig_radical(e):
        return (
            e.is_Pow
            and e.exp.is_Rational
            and not e.exp.is_Integer
            and e.base.has(sp.sin, sp.cos)
        )

    def even_sin(e):
        return e.is_Pow and isinstance(e.base, sp.sin) and e.exp.is_Integer and e.exp > 0 and e.exp % 2 == 0

    def rule(e):
        base = e.base.replace(even_sin, lambda p: (1 - sp.cos(p.base.args[0]) ** 2) ** (p.exp // 2))
        return sp.factor(sp.expand(base)) ** e.exp

    return expr.replace(is_trig_radical, rule)


def _normalise_radicals(expr):
    """Write roots of expressions in negative symbols through the positive ``-s``, so that
    ``sqrt(-1/t)`` and ``1/sqrt(-t)`` become one atom, and split roots of products.
    """

    def is_root(e):
        return e.is_Pow and e.exp.is_Rational and not e.exp.is_Integer

    def rule(e):
        negs = {s: -sp.Dummy(positive=True) for s in e.base.free_symbols if s.is_negative}
        value = sp.expand_power_base(sp.Pow(e.base.xreplace(negs), e.exp), force=False)
        return value.xreplace({-v: -k for k, v in negs.items()})

    return expr.replace(is_root, rule)


def canonical_functions(expr):
    """Rewrite special functions of ``expr`` into the canonical forms the field relies on.

    Examples
    --------
    >>> import sympy as sp
    >>> z = sp.Symbol("z", positive=True)
    >>> canonical_functions(sp.besseli(2, z) + sp.trigamma(z))
    besseli(0, z) + polygamma(1, z) - 2*besseli(1, z)/z
    """
    expr = sp.sympify(expr, strict=True)
    if expr.has(sp.digamma):
        expr = expr.replace(lambda e: isinstance(e, sp.digamma), lambda e: sp.polygamma(0, e.args[0]))
    if expr.has(sp.trigamma):
        expr = expr.replace(lambda e: isinstance(e, sp.trigamma), lambda e: sp.polygamma(1, e.args[0]))
    if expr.has(sp.besseli):
        expr = _reduce_besseli(expr)
    if expr.has(sp.sin, sp.cos):
        expr = _simplify_radicands(expr)
    if expr.has(sp.log):
        expr = expr.replace(lambda e: isinstance(e, sp.log), lambda e: sp.expand_log(e, force=False))
    if any(s.is_negative for s in expr.free_symbols) or expr.has(sp.Pow):
        expr = _normalise_radicals(expr)
    return expr


def _exp_factors(e):
    """``exp(sum c_k u_k)`` as ``[(exp(u_k / q_k), p_k)]`` with ``c_k = p_k / q_k``, so that
    ``exp(2 s)`` and ``exp(-2 s)`` are powers of the one atom ``exp(s)``.
    """
    out = []
    for term in sp.Add.make_args(sp.expand(e.args[0])):
        c, rest = term.as_coeff_Mul()
        if not c.is_Rational or rest == 1:
            out.append((sp.exp(term), 1))
        else:
            out.append((sp.exp(rest / c.q), int(c.p)))
    return out


def _atoms_of(expr, generators):
    """Subexpressions of ``expr`` that are not rational in ``generators``: the atoms."""
    found = []

    def walk(e):
        if e in generators or e.is_Rational:
            return
        if e.is_Add or e.is_Mul:
            for a in e.args:
                walk(a)
            return
        if e.is_Pow and e.exp.is_Integer:
            walk(e.base)
            return
        if isinstance(e, sp.exp):
            for atom, _ in _exp_factors(e):
                if atom not in found:
                    found.append(atom)
            return
        if e.is_Pow and e.exp.is_Rational:
            # base**(p/q) = (base**(1/q))**p: the q-th root is the atom
            root = sp.Pow(e.base, sp.Rational(1, e.exp.q), evaluate=False)
            if root not in found:
                found.append(root)
            return
        if e not in found:
            found.append(e)

    walk(expr)
    return found


def _rationalise_powers(expr):
    """Rewrite ``b**(p/q)`` as ``(b**(1/q))**p`` so that roots become single atoms."""

    def is_root(e):
        return e.is_Pow and e.exp.is_Rational and not e.exp.is_Integer and e.exp.q != 1 and e.exp.p != 1

    return expr.replace(
        is_root, lambda e: sp.Pow(sp.Pow(e.base, sp.Rational(1, e.exp.q), evaluate=False), e.exp.p, evaluate=False)
    )


class RationalAlgebra:
    r"""A differential field: rational functions over :math:`\mathbb{Q}` of coordinates,
    constants and transcendental atoms, closed under :math:`\partial/\partial x_k`.

    Parameters
    ----------
    coordinates : sequence of Symbol
        The variables of differentiation.
    exprs : iterable of Expr
        Expressions whose atoms seed the field.
    order : int
        How many times elements may be differentiated (the closure depth of the atoms).
    symbols : sequence of Symbol
        Further constants (generators with zero derivative), such as a symbolic alpha.

    Examples
    --------
    >>> import sympy as sp
    >>> a = sp.Symbol("a", positive=True)
    >>> A = RationalAlgebra([a], [sp.polygamma(1, a)], order=1)
    >>> g = A.element(sp.polygamma(1, a) * a)
    >>> A.expr(A.diff(g, 0))
    a*polygamma(2, a) + polygamma(1, a)
    """

    def __init__(self, coordinates, exprs, order=2, symbols=()):
        self.coordinates = tuple(coordinates)
        exprs = [canonical_functions(e) for e in exprs]
        constants = set(symbols)
        for e in exprs:
            constants |= {s for s in e.free_symbols if s not in self.coordinates}
        self.constants = tuple(sorted(constants, key=sp.default_sort_key))
        base = set(self.coordinates) | set(self.constants)
        atoms = []
        for e in exprs:
            atoms += [a for a in _atoms_of(self._prepare(e), base) if a not in atoms]
        # close the atoms under differentiation up to the requested depth
        frontier = list(atoms)
        derivs = {}
        for _ in range(order):
            new = []
            for atom in frontier:
                for k, x in enumerate(self.coordinates):
                    d = self._prepare(canonical_functions(sp.diff(atom, x)))
                    derivs[(atom, k)] = d
                    for extra in d.free_symbols - base:
                        base.add(extra)
                        self.constants += (extra,)
                    for a in _atoms_of(d, base):
                        if a not in atoms and a not in new:
                            new.append(a)
            atoms += new
            frontier = new
        self.atoms = tuple(atoms)
        self._dummies = tuple(sp.Dummy(f"A{i}") for i in range(len(atoms)))
        self._to_dummy = dict(zip(self.atoms, self._dummies, strict=True))
        self._from_dummy = dict(zip(self._dummies, self.atoms, strict=True))
        gens = self.coordinates + self.constants + self._dummies
        self.field, *self.gens = _make_field(gens, sp.ZZ)
        self.zero, self.one = self.field.zero, self.field.one
        # derivative of every generator with respect to every coordinate
        n = len(self.coordinates)
        self._dgen = []
        for k in range(n):
            row = []
            for g in gens:
                if g in self.coordinates:
                    row.append(self.one if g == self.coordinates[k] else self.zero)
                elif g in self.constants:
                    row.append(self.zero)
                else:
                    atom = self._from_dummy[g]
                    row.append(self._to_field(derivs[(atom, k)]) if (atom, k) in derivs else None)
            self._dgen.append(row)

    @staticmethod
    def _prepare(expr):
        if expr.has(sp.sin, sp.cos):
            expr = _half_angle(expr)
        return _rationalise_powers(expr)

    def _to_field(self, prepared):
        to_dummy = self._to_dummy

        def root_power(e):
            root = sp.Pow(e.base, sp.Rational(1, e.exp.q), evaluate=False)
            return to_dummy[root] ** e.exp.p if root in to_dummy else e

        # whole atoms first (an atom may contain a root, like erfc(sqrt(2)*x)), then the
        # remaining powers of roots
        def exp_power(e):
            parts = _exp_factors(e)
            if all(a in to_dummy for a, _ in parts):
                return sp.Mul(*[to_dummy[a] ** k for a, k in parts])
            return e

        prepared = prepared.xreplace(to_dummy)
        prepared = prepared.replace(lambda e: isinstance(e, sp.exp), exp_power)
        prepared = prepared.replace(lambda e: e.is_Pow and e.exp.is_Rational and not e.exp.is_Integer, root_power)
        return self.field.from_expr(prepared)

    def element(self, expr):
        """The field element of a sympy expression."""
        expr = self._prepare(canonical_functions(sp.sympify(expr, strict=True)))
        try:
            return self._to_field(expr)
        except (ValueError, sp.polys.polyerrors.CoercionFailed) as exc:
            raise ValueError(f"{expr} is not rational in the atoms {self.atoms}") from exc

    def expr(self, elem, factor=False):
        """The sympy expression of a field element (atoms substituted back)."""
        num, den = elem.numer.as_expr(), elem.denom.as_expr()
        if factor:
            num, den = sp.factor(num), sp.factor(den)
        return (num / den).xreplace(self._from_dummy)

    def _diff_poly(self, poly, k):
        result = self.zero
        row = self._dgen[k]
        for i, dg in enumerate(row):
            if dg is None or not dg:
                if dg is None and poly.degree(i) > 0:
                    raise RuntimeError("differentiated beyond the closure depth of RationalAlgebra")
                continue
            if poly.degree(i) <= 0:
                continue
            result += self.field(poly.diff(i)) * dg
        return result

    def diff(self, elem, k):
        r""":math:`\partial elem / \partial x_k` as a field element."""
        num, den = elem.numer, elem.denom
        dnum = self._diff_poly(num, k)
        if den == 1:
            return dnum
        if dnum.denom == 1:
            fast = self._quotient_rule(num, den, dnum.numer, k)
            if fast is not None:
                return fast
        dden = self._diff_poly(den, k)
        fden = self.field(den)
        return dnum / fden - self.field(num) * dden / fden**2

    def _factors(self, den):
        """The irreducible factors of a denominator with their multiplicities (cached)."""
        cache = self.__dict__.setdefault("_factor_cache", {})
        if den not in cache:
            cache[den] = den.factor_list()[1]
        return cache[den]

    def _quotient_rule(self, num, den, dnum, k):
        r"""The derivative of a cancelled ``num/den`` without a gcd of the numerators.

        With :math:`den = c\prod f_i^{e_i}` (irreducible :math:`f_i`, factored once) and
        :math:`P` the product of the factors that depend on :math:`x_k`,
        :math:`(num/den)' = (num'\,P - num \sum_i e_i f_i' P/f_i) / (den\,P)`. That is
        already cancelled except where :math:`f_i` divides :math:`f_i'` (an exponential
        atom), which is checked by trial division; only the integer content is left to
        remove. ``None`` when a factor's derivative is not a polynomial.
        """
        moving = []
        for f, e in self._factors(den):
            df = self._diff_poly(f, k)
            if not df:
                continue
            if df.denom != 1:
                return None
            moving.append((f, e, df.numer))
        if not moving:
            return self._cancel(dnum, den, dict(self._factors(den)))
        ring = self.field.ring
        P, rest = ring.one, ring.zero
        for f, _, _ in moving:
            P *= f
        for f, e, df in moving:
            rest += df.mul_ground(e) * P.exquo(f)
        top, bottom = dnum * P - num * rest, den * P
        # only where f divides f' (an exponential atom) can f divide the new numerator
        divisible = {f: e + 1 for f, e, df in moving if not df.div(f)[1]}
        return self._cancel(top, bottom, divisible)

    def gen_index(self, symbol):
        """Index of a coordinate or constant among the field's generators."""
        return (self.coordinates + self.constants).index(symbol)

    def matrix(self, M):
        """Field elements of a sympy Matrix, as nested lists."""
        return [[self.element(M[i, j]) for j in range(M.shape[1])] for i in range(M.shape[0])]

    def sum(self, terms):
        """The sum of field elements with a single cancellation.

        Numerators over a shared denominator are added first; the distinct denominators,
        factored once each (they are small), are brought to their least common multiple,
        and the total is cancelled by trial division by those factors. Adding term by term
        would take a gcd of ever larger numerators at every step.
        """
        groups = {}
        for t in terms:
            if t:
                groups[t.denom] = groups[t.denom] + t.numer if t.denom in groups else t.numer
        if not groups:
            return self.zero
        ring, ZZ = self.field.ring, self.field.ring.domain
        top = {}
        coeff = ZZ.one
        for den in groups:
            coeff = ZZ.lcm(coeff, den.content())
            for f, e in self._factors(den):
                top[f] = max(top.get(f, 0), e)
        lcm = ring(coeff)
        for f, e in top.items():
            lcm *= f**e
        num = sum((v * lcm.exquo(den) for den, v in groups.items()), ring.zero)
        return self._cancel(num, lcm, top)

    def _cancel(self, top, bottom, factors):
        """``top/bottom`` cancelled, given the irreducible factors of ``bottom`` (a mapping
        factor -> multiplicity): trial division, then the integer content and the sign.
        """
        if not top:
            return self.zero
        for f, e in factors.items():
            for _ in range(e):
                q, r = top.div(f)
                if r:
                    break
                top, bottom = q, bottom.exquo(f)
        c = bottom.content()
        if c != 1:
            c = self.field.ring.domain.gcd(c, top.content())
            if c != 1:
                top, bottom = top.quo_ground(c), bottom.quo_ground(c)
        if bottom.LC < 0:
            top, bottom = -top, -bottom
        return self.field.raw_new(top, bottom)

    def inverse(self, rows):
        r"""Inverse of a square matrix of field elements.

        Structure first: the matrix splits into the blocks that its zero pattern connects
        (each inverted alone); a block that is diagonal plus a constant times the all-ones
        matrix, :math:`D + c\,\mathbf{1}\mathbf{1}^\top` (the Dirichlet and Categorical
        metrics), has the closed-form inverse of Sherman and Morrison,
        :math:`D^{-1} - c\,D^{-1}\mathbf{1}\mathbf{1}^\top D^{-1} / (1 + c\,\mathbf{1}^\top D^{-1}\mathbf{1})`;
        any other block goes through Gauss-Jordan elimination.

        Raises ``ZeroDivisionError`` for a singular matrix.

        Examples
        --------
        >>> import sympy as sp
        >>> p1, p2, p3 = sp.symbols("p1 p2 p3", positive=True)
        >>> A = RationalAlgebra([p1, p2, p3], [], order=0)
        >>> q = 1 - p1 - p2 - p3
        >>> g = sp.Matrix(3, 3, lambda i, j: (1 / (p1, p2, p3)[i] if i == j else 0) + 1 / q)
        >>> [A.expr(v) for v in A.inverse(A.matrix(g))[0]]
        [-p1**2 + p1, -p1*p2, -p1*p3]
        """
        n = len(rows)
        out = [[self.zero] * n for _ in range(n)]
        for block in _blocks(rows):
            sub = [[rows[i][j] for j in block] for i in block]
            inv = self._sherman_morrison(sub) or self._gauss_jordan(sub)
            for a, i in enumerate(block):
                for b, j in enumerate(block):
                    out[i][j] = inv[a][b]
        return out

    def _sherman_morrison(self, rows):
        n = len(rows)
        if n < 3:
            return None
        c = rows[0][1]
        if not c or any(rows[i][j] != c for i in range(n) for j in range(n) if i != j):
            return None
        d = [rows[i][i] - c for i in range(n)]
        if not all(d):
            return None
        dinv = [1 / v for v in d]
        s = self.one + c * self.sum(dinv)
        if not s:
            raise ZeroDivisionError("the matrix is singular")
        w = c / s
        return [[(dinv[i] if i == j else self.zero) - w * dinv[i] * dinv[j] for j in range(n)] for i in range(n)]

    def _gauss_jordan(self, rows):
        n = len(rows)
        a = [list(r) + [self.one if i == j else self.zero for j in range(n)] for i, r in enumerate(rows)]
        for c in range(n):
            p = next((r for r in range(c, n) if a[r][c]), None)
            if p is None:
                raise ZeroDivisionError("the matrix is singular")
            a[c], a[p] = a[p], a[c]
            inv = 1 / a[c][c]
            a[c] = [v * inv for v in a[c]]
            for r in range(n):
                if r != c and a[r][c]:
                    f = a[r][c]
                    a[r] = [vr - f * vc for vr, vc in zip(a[r], a[c], strict=True)]
        return [row[n:] for row in a]


def _blocks(rows):
    """Index sets of the diagonal blocks of a square matrix: the connected components of
    the graph with an edge wherever an entry (or its transpose) is nonzero.
    """
    n = len(rows)
    seen, blocks = set(), []
    for start in range(n):
        if start in seen:
            continue
        block, stack = [], [start]
        seen.add(start)
        while stack:
            i = stack.pop()
            block.append(i)
            for j in range(n):
                if j not in seen and (rows[i][j] or rows[j][i]):
                    seen.add(j)
                    stack.append(j)
        blocks.append(sorted(block))
    return blocks


def normal_form(expr, coordinates=()):
    """A canonical form of ``expr``: rational in its atoms, cancelled, numerator and
    denominator factored. Two expressions that are equal as rational functions of their
    atoms get the same normal form.

    Examples
    --------
    >>> import sympy as sp
    >>> s = sp.Symbol("sigma", positive=True)
    >>> normal_form(1/s**2 + 1/(2*s**2) - sp.besseli(2, s) + sp.besseli(0, s))
    (4*sigma*besseli(1, sigma) + 3)/(2*sigma**2)
    """
    expr = sp.sympify(expr, strict=True)
    A = RationalAlgebra(coordinates, [expr], order=0)
    return A.expr(A.element(expr), factor=True)


def simplify_entries(exprs, coordinates=(), factor=True):
    """Normal forms of several expressions through one shared field (cheaper than one each)."""
    exprs = [sp.sympify(e, strict=True) for e in exprs]
    A = RationalAlgebra(coordinates, exprs, order=0)
    return [A.expr(A.element(e), factor=factor) for e in exprs]


def simplify_array(arr, coordinates=(), factor=True):
    """A sympy Matrix or N-dim Array with every entry in normal form."""
    if isinstance(arr, sp.MatrixBase):
        return sp.Matrix(arr.shape[0], arr.shape[1], simplify_entries(list(arr), coordinates, factor))
    arr = sp.Array(arr)
    return sp.ImmutableDenseNDimArray(simplify_entries(flat(arr), coordinates, factor), arr.shape)


def flat(arr):
    """The entries of a Matrix or N-dim Array in row-major order."""
    if isinstance(arr, sp.MatrixBase):
        return list(arr)
    return list(sp.flatten(sp.Array(arr).tolist())) if sp.Array(arr).rank() else [sp.Array(arr)[()]]
