"""Print sympy expressions as scalar ``math``-module code that numba compiles.

:class:`KernelPrinter` maps special functions to :mod:`numeric.compile.special`. Rewrites
applied before printing keep kernels finite and accurate where the textbook formula is not:
:func:`rewrite_bessel` (modified Bessel functions that overflow), and
:func:`rewrite_polygamma_differences` (differences of polygammas that cancel), both applied to
every kernel; :func:`rewrite_quotients` (quotients such as ``(x - mu)**2 / sigma**2`` whose
numerator and denominator overflow or underflow separately), applied to log-densities.
"""
from collections import defaultdict

import sympy
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import PythonCodePrinter

__all__ = [
    "KernelPrinter",
    "bessel_i1_over_i0",
    "bessel_i1_over_i0_d1",
    "bessel_i1_over_i0_d2",
    "besseli_scaled",
    "log_besseli0",
    "polygamma_difference",
    "ratio_power",
    "rewrite_bessel",
    "rewrite_polygamma_differences",
    "trigamma_excess",
    "trigamma_excess_difference",
    "rewrite_quotients",
    "log1p_square_ratio",
]

# Integers beyond this are not exactly representable in float64 and overflow int64 typing.
_EXACT_INT = 2 ** 53


class besseli_scaled(sympy.Function):
    """Exponentially scaled modified Bessel function ``exp(-|x|) I_nu(x)`` (integer ``nu``).

    Only a code-generation device: :func:`rewrite_bessel` writes ``besseli(nu, x)`` as
    ``exp(|x|) * besseli_scaled(nu, x)`` so that the exponential factors cancel symbolically in
    ratios, and :class:`KernelPrinter` prints it as :func:`numeric.compile.special.bessel_ine`.
    """

    nargs = 2


class log_besseli0(sympy.Function):
    """``log(besseli(0, x))``, printed as :func:`numeric.compile.special.log_bessel_i0`."""

    nargs = 1


def rewrite_bessel(expr):
    """Rewrite modified Bessel functions so that kernels stay finite for large arguments.

    ``I_nu(x)`` overflows for ``|x| > 713`` although the quantities built from it (``I1/I0``,
    ``log I0``, Fisher metrics of the von Mises family) are moderate. This writes
    ``log(besseli(0, x))`` as :class:`log_besseli0`, ``log(besseli(nu, x))`` as
    ``|x| + log(besseli_scaled(nu, x))`` and every other ``besseli(nu, x)`` as
    ``exp(|x|) besseli_scaled(nu, x)``, then pulls common factors out of sums
    (``sympy.factor_terms``) so that the exponentials cancel wherever the expression is a
    ratio. Where an expression is a ratio of polynomials of one degree in ``I0``, ``I1``,
    ``I2`` of a positive argument it is then written through ``A = I1/I0`` and its
    derivatives (:class:`bessel_i1_over_i0`, ``_d1``, ``_d2``; see :func:`_bessel_ratio_form`),
    whose cancellations at large arguments happen symbolically; for a radius
    ``sqrt(theta1**2 + theta2**2)`` (the von Mises natural chart) as a ``Piecewise``, that
    form from 1 on and the Bessel form below (:func:`_radius_ratio_form`).

    Parameters
    ----------
    expr : sympy.Expr

    Returns
    -------
    sympy.Expr
        ``expr`` itself if it contains no ``besseli``.

    Examples
    --------
    >>> import sympy
    >>> k = sympy.Symbol("kappa", positive=True)
    >>> rewrite_bessel(sympy.besseli(1, k) / sympy.besseli(0, k) + sympy.besseli(2, k))
    exp(kappa)*besseli_scaled(2, kappa) + besseli_scaled(1, kappa)/besseli_scaled(0, kappa)
    >>> rewrite_bessel(sympy.diff(sympy.besseli(1, k) / sympy.besseli(0, k), k))
    bessel_i1_over_i0_d1(kappa)
    """
    if not isinstance(expr, sympy.Basic) or not expr.has(sympy.besseli):
        return expr

    def is_log_of_bessel(e):
        return isinstance(e, sympy.log) and isinstance(e.args[0], sympy.besseli)

    def log_of_bessel(e):
        nu, z = e.args[0].args
        if nu == 0:
            return log_besseli0(z)
        return sympy.Abs(z) + sympy.log(besseli_scaled(nu, z))

    expr = expr.replace(is_log_of_bessel, log_of_bessel)
    expr = expr.replace(
        sympy.besseli, lambda nu, z: sympy.exp(sympy.Abs(z)) * besseli_scaled(nu, z)
    )
    expr = sympy.factor_terms(expr)
    arguments = {call.args[1] for call in expr.atoms(besseli_scaled)}
    for z in sorted(arguments, key=sympy.default_sort_key):
        expr = _bessel_ratio_form(expr, z)
    return expr


class bessel_i1_over_i0(sympy.Function):
    """``A(x) = besseli(1, x) / besseli(0, x)``, printed as
    :func:`numeric.compile.special.bessel_i1_over_i0`; made by :func:`rewrite_bessel`.

    Examples
    --------
    >>> import sympy
    >>> k = sympy.Symbol("kappa", positive=True)
    >>> bessel_i1_over_i0(k).diff(k)
    bessel_i1_over_i0_d1(kappa)
    """

    nargs = 1

    def _eval_rewrite_as_besseli(self, x, **kwargs):
        return sympy.besseli(1, x) / sympy.besseli(0, x)

    def fdiff(self, argindex=1):
        """The derivative ``A'(x)``."""
        if argindex != 1:
            raise sympy.ArgumentIndexError(self, argindex)
        return bessel_i1_over_i0_d1(self.args[0])


class bessel_i1_over_i0_d1(sympy.Function):
    """``A'(x) = 1 - A^2 - A/x`` for ``A = besseli(1, x) / besseli(0, x)``, printed as
    :func:`numeric.compile.special.bessel_i1_over_i0_d1` (no cancellation for large ``x``).

    Examples
    --------
    >>> import sympy
    >>> k = sympy.Symbol("kappa", positive=True)
    >>> bessel_i1_over_i0_d1(k).rewrite(sympy.besseli)
    1 - besseli(1, kappa)**2/besseli(0, kappa)**2 - besseli(1, kappa)/(kappa*besseli(0, kappa))
    """

    nargs = 1

    def _eval_rewrite_as_besseli(self, x, **kwargs):
        a = sympy.besseli(1, x) / sympy.besseli(0, x)
        return 1 - a ** 2 - a / x

    def fdiff(self, argindex=1):
        """The second derivative ``A''(x)``."""
        if argindex != 1:
            raise sympy.ArgumentIndexError(self, argindex)
        return bessel_i1_over_i0_d2(self.args[0])


class bessel_i1_over_i0_d2(sympy.Function):
    """``A''(x) = A/x^2 - A'/x - 2 A A'`` for ``A = besseli(1, x) / besseli(0, x)``, printed
    as :func:`numeric.compile.special.bessel_i1_over_i0_d2`.

    Examples
    --------
    >>> import sympy
    >>> k = sympy.Symbol("kappa", positive=True)
    >>> e = bessel_i1_over_i0_d2(k).rewrite(sympy.besseli)
    >>> sympy.simplify(e - sympy.diff(sympy.besseli(1, k) / sympy.besseli(0, k), k, 2))
    0
    """

    nargs = 1

    def _eval_rewrite_as_besseli(self, x, **kwargs):
        a = sympy.besseli(1, x) / sympy.besseli(0, x)
        d = 1 - a ** 2 - a / x
        return a / x ** 2 - d / x - 2 * a * d

    def fdiff(self, argindex=1):
        """The third derivative, from the Riccati equation ``A' = 1 - A^2 - A/x``."""
        if argindex != 1:
            raise sympy.ArgumentIndexError(self, argindex)
        x = self.args[0]
        a, d, e = bessel_i1_over_i0(x), bessel_i1_over_i0_d1(x), bessel_i1_over_i0_d2(x)
        return -2 * d ** 2 - 2 * a * e - e / x + 2 * d / x ** 2 - 2 * a / x ** 3


def _reduce_by_riccati(expr, a, d, e, z):
    """``expr``, a polynomial in ``a = A(z)``, ``d = A'(z)``, ``e = A''(z)``, reduced with
    ``A^2 = 1 - A/z - A'`` and ``A A' = (A/z^2 - A'/z - A'')/2`` to one without ``A^2`` or
    ``A A'``: the exact cancellations of the Bessel ratio happen symbolically.
    """
    while True:
        expr = sympy.expand(expr)
        changed = False
        terms = []
        for term in sympy.Add.make_args(expr):
            powers = term.as_powers_dict()
            if powers.get(a, 0) >= 2:
                term = term / a ** 2 * (1 - a / z - d)
                changed = True
            elif powers.get(a, 0) == 1 and powers.get(d, 0) >= 1:
                term = term / (a * d) * (a / z ** 2 - d / z - e) / 2
                changed = True
            terms.append(term)
        if not changed:
            return expr
        expr = sympy.Add(*terms)


def _sign_groups(expr, negative):
    """The signs of the terms of the sum ``expr`` by group of terms that share the same
    factors of unknown sign (``alpha`` of an alpha-connection, ``cos(mu)``): a dict from
    those factors to the set of signs (True: positive); the symbols in ``negative`` are
    negative, the others' signs come from their assumptions.
    """
    groups = {}
    for term in sympy.Add.make_args(expr):
        c, rest = term.as_coeff_Mul()
        sign = bool(c > 0)
        unknown = []
        for factor in sympy.Mul.make_args(rest):
            base, exp = factor.as_base_exp()
            if base in negative and exp.is_Integer:
                sign ^= bool(exp % 2)
            elif factor.is_positive:
                continue
            elif factor.is_negative:
                sign = not sign
            else:
                unknown.append(factor)
        groups.setdefault(sympy.Mul(*unknown), set()).add(sign)
    return groups


def _bessel_ratio_form(expr, z, square=None):
    """``expr`` with the scaled Bessel functions of ``z`` (orders 0 to 2) written through
    ``A = I1/I0`` and its derivatives, where that leaves sums of one sign; ``expr`` itself
    otherwise.

    The von Mises metric ``A' = (I0^2 - I1^2 - I0 I1/z) / I0^2 ~ 1/(2 z^2)`` and its
    Christoffel symbols (``A''/(2 A')``) subtract terms near 1 for large ``z``: at
    ``kappa = 1e4`` the kernels returned noise. With ``I1 = A I0`` and ``I2 = I0 - 2 A I0 / z``
    (DLMF 10.29.1) an expression homogeneous of degree 0 in the Bessel functions is a
    rational function of ``A`` and ``z``; its numerator and denominator are reduced by the
    Riccati equation ``A' = 1 - A^2 - A/z`` and its derivative (:func:`_reduce_by_riccati`),
    where the cancelling terms cancel exactly. The result is kept unless a group of terms
    (those sharing a factor of unknown sign such as ``alpha``) that had one sign in ``A``
    gets terms of both (``A, A' > 0`` and ``A'' < 0`` for ``z > 0``): the metric becomes
    ``A'``, the Christoffel symbols ``A''/(2 A')``, ``(A' + A/z)/(2A)`` and ``-(z A' + A)/(2 A')``.

    ``z`` that sympy does not know to be positive goes to :func:`_radius_ratio_form`, which
    calls this with ``z`` a positive symbol and ``square`` the polynomial ``z**2`` (the
    radius of the von Mises natural chart): then numerator and denominator are also reduced
    modulo ``z**2 = square`` (:func:`_reduce_by_square`).
    """
    if not isinstance(expr, sympy.Expr):
        return expr
    if not z.is_positive:
        return _radius_ratio_form(expr, z)
    orders = {c.args[0] for c in expr.atoms(besseli_scaled) if c.args[1] == z}
    if not orders <= {0, 1, 2, -1, -2}:
        return expr
    i0 = besseli_scaled(0, z)
    a = sympy.Dummy("A", positive=True)
    d = sympy.Dummy("D", positive=True)
    e = sympy.Dummy("E", negative=True)
    ratio = {besseli_scaled(n, z): i0 * v for n, v in (
        (1, a), (-1, a), (2, 1 - 2 * a / z), (-2, 1 - 2 * a / z))}
    plains, parts, degrees = [], [], []
    for part in sympy.together(expr.xreplace(ratio)).as_numer_denom():
        part = sympy.expand(part)
        degree = {t.as_powers_dict().get(i0, 0) for t in sympy.Add.make_args(part)}
        if len(degree) != 1:
            return expr
        degrees.append(degree.pop())
        plains.append(sympy.expand(part / i0 ** degrees[-1]))
        parts.append(_reduce_by_riccati(plains[-1], a, d, e, z))
        if parts[-1].has(besseli_scaled):
            return expr
    if degrees[0] != degrees[1]:
        return expr
    if square is not None:
        parts = _reduce_by_square(parts, z, square)
    for plain, part in zip(plains, parts, strict=True):
        # a group of terms of one sign must not become one of both (A^2 -> 1 - A/z - A'
        # cancels for small z); groups of both signs cancel in both forms
        before, after = _sign_groups(plain, {e}), _sign_groups(part, {e})
        if any(len(signs) > 1 and len(before.get(key, (0, 1))) < 2
               for key, signs in after.items()):
            return expr
    numerator, denominator = parts
    back = {a: bessel_i1_over_i0(z), d: bessel_i1_over_i0_d1(z), e: bessel_i1_over_i0_d2(z)}
    return sympy.factor_terms(numerator.xreplace(back) / denominator.xreplace(back))


def _reduce_by_square(parts, r, square):
    """Numerator and denominator ``parts``, sums of terms with powers of ``r`` (negative
    ones from the Riccati reduction), multiplied by a common power of ``r`` so that none is
    negative, and reduced modulo ``r**2 = square``: ``r**k`` becomes
    ``square**(k // 2) r**(k % 2)``, expanded. Every polynomial identity of ``r`` and the
    coordinates (``r**2 - theta1**2 - theta2**2 = 0``) then cancels symbolically; without
    it the von Mises natural chart's Christoffel symbols kept terms of order 1 that cancel
    to order ``1/r``.
    """
    lowest = min((t.as_powers_dict().get(r, 0) for part in parts
                  for t in sympy.Add.make_args(part)), default=0)
    shift = r ** -lowest if lowest < 0 else 1
    out = []
    for part in parts:
        terms = []
        for term in sympy.Add.make_args(sympy.expand(part * shift)):
            k = term.as_powers_dict().get(r, 0)
            terms.append(term / r ** k * square ** (k // 2) * r ** (k % 2))
        out.append(sympy.expand(sympy.Add(*terms)))
    return out


def _radius_ratio_form(expr, z):
    """:func:`_bessel_ratio_form` for an argument ``z >= 0`` that sympy does not know to be
    positive, ``z = sqrt(b)``: the radius ``sqrt(theta1**2 + theta2**2)`` of the von Mises
    natural chart (where ``kappa`` is that radius), whose metric
    ``A' n n^T + (A/r)(1 - n n^T)`` and Christoffel symbols cancelled like those in
    ``kappa`` did (5e-12 relative at ``r = 100``, 6e-8 at ``1e4``), so that its log map
    missed ``tol = 1e-11``.

    ``z`` is written as a positive symbol ``r`` (``b**(k/2)`` as ``r**k``, for every
    integer ``k``), the ratio form taken in ``r`` modulo ``r**2 = b``, and ``r`` put back
    as ``sqrt(b)``. The result is ``Piecewise((ratio form, z >= 1), (expr, True))``: the
    ratio form divides by ``z`` and cancels like ``1/z**2`` for small ``z`` (see
    ``_RADIUS_RATIO_MIN``), so below 1 (and at ``z = 0``) the kernel evaluates ``expr``
    exactly as before.
    """
    base, exponent = z.as_base_exp()
    if z.is_nonnegative is not True or z.is_number or exponent != sympy.S.Half:
        return expr
    if expr.count_ops() > _RADIUS_RATIO_MAX_OPS:
        # the derivatives of the Christoffel symbols in the variational equations (21,000
        # operations each in the natural chart): 35 s each to rewrite, twice the size after,
        # and the solver's first compile went from about 40 s to about 4 min. They only steer
        # Newton's method (the Jacobian); the residual comes from the rewritten field.
        return expr
    r = sympy.Dummy("r", positive=True)

    def is_half_power(w):
        return (isinstance(w, sympy.Pow) and w.base == base and (2 * w.exp).is_Integer
                and not w.exp.is_Integer)

    in_r = expr.replace(is_half_power, lambda w: r ** (2 * w.exp))
    if in_r.has(z) or not in_r.has(r):
        return expr
    ratio = _bessel_ratio_form(in_r, r, square=sympy.expand(base))
    if ratio is in_r:
        return expr
    return sympy.Piecewise((ratio.xreplace({r: z}), z >= _RADIUS_RATIO_MIN), (expr, True))


# Below this radius _radius_ratio_form keeps the Bessel form: the Riccati reduction
# (A^2 -> 1 - A/z - A') cancels like 1/z^2 for small z, and in the von Mises natural chart no
# group of terms keeps one sign to show it. Measured against mpmath (componentwise relative
# error of the Christoffel symbols): ratio form 4e-11 at r = 0.1, 2e-14 at 1, 6e-15 from 10
# to 1e8; Bessel form 1e-12 at 0.1, 2e-14 at 1, 3e-12 at 10, 1e-9 at 100, 2e+1 at 1e8.
#: Expressions above this many operations keep their Bessel form in the natural chart
#: (see :func:`_radius_ratio_form`).
_RADIUS_RATIO_MAX_OPS = 5000
_RADIUS_RATIO_MIN = 1


class polygamma_difference(sympy.Function):
    """``polygamma(n, x) - polygamma(n, x + s)``, printed as
    :func:`numeric.compile.special.polygamma_difference`, which keeps every digit where the
    two terms nearly cancel.

    Made by :func:`rewrite_polygamma_differences`; ``s`` is an argument of its own so that a
    kernel never forms ``x + s`` and subtracts ``x`` back.

    Examples
    --------
    >>> import sympy
    >>> a, b = sympy.symbols("a b", positive=True)
    >>> polygamma_difference(1, a, b).rewrite(sympy.polygamma)
    polygamma(1, a) - polygamma(1, a + b)
    """

    nargs = 3

    def _eval_rewrite_as_polygamma(self, n, x, s, **kwargs):
        return sympy.polygamma(n, x) - sympy.polygamma(n, x + s)

    def fdiff(self, argindex=1):
        """Derivative in ``x`` (``argindex=2``) or ``s`` (``argindex=3``)."""
        n, x, s = self.args
        if argindex == 2:
            return polygamma_difference(n + 1, x, s)
        if argindex == 3:
            return -sympy.polygamma(n + 1, x + s)
        raise sympy.ArgumentIndexError(self, argindex)


class trigamma_excess(sympy.Function):
    """``x polygamma(1, x) - 1``, printed as :func:`numeric.compile.special.trigamma_excess`.

    The determinant of the Gamma family's metric (and the denominator of its inverse metric
    and Christoffel symbols) is ``a psi'(a) - 1 ~ 1/(2a)``: subtracting 1 from
    ``a psi'(a) ~ 1 + 1/(2a)`` leaves about ``2a eps`` of relative error (1e-8 at
    ``a = 1e8``); the special function sums the asymptotic series of the difference instead.
    Made by :func:`rewrite_polygamma_differences`.

    Examples
    --------
    >>> import sympy
    >>> a = sympy.Symbol("a", positive=True)
    >>> trigamma_excess(a).rewrite(sympy.polygamma)
    a*polygamma(1, a) - 1
    """

    nargs = 1

    def _eval_rewrite_as_polygamma(self, x, **kwargs):
        return x * sympy.polygamma(1, x) - 1

    def fdiff(self, argindex=1):
        """Derivative: ``psi'(x) + x psi''(x)``."""
        if argindex != 1:
            raise sympy.ArgumentIndexError(self, argindex)
        x = self.args[0]
        return sympy.polygamma(1, x) + x * sympy.polygamma(2, x)


class trigamma_excess_difference(sympy.Function):
    """``e(x) - e(x + s)`` with ``e(x) = x polygamma(1, x) - 1`` (:class:`trigamma_excess`),
    printed as :func:`numeric.compile.special.trigamma_excess_difference`.

    Made by :func:`rewrite_polygamma_differences` where a sum of trigammas still cancels
    after the polygamma differences (the determinant of the Beta and Dirichlet metrics).

    Examples
    --------
    >>> import sympy
    >>> a, b = sympy.symbols("a b", positive=True)
    >>> trigamma_excess_difference(a, b).rewrite(sympy.polygamma)
    a*polygamma(1, a) - (a + b)*polygamma(1, a + b)
    """

    nargs = 2

    def _eval_rewrite_as_polygamma(self, x, s, **kwargs):
        return x * sympy.polygamma(1, x) - (x + s) * sympy.polygamma(1, x + s)

    def fdiff(self, argindex=1):
        """Derivative in ``x`` (``argindex=1``) or ``s`` (``argindex=2``): with
        ``e'(t) = psi'(t) + t psi''(t)``, ``e'(x) - e'(x + s) = D_1 + x D_2 - s psi''(x + s)``
        through the differences ``D_n`` of :class:`polygamma_difference`.
        """
        x, s = self.args
        y = x + s
        if argindex == 1:
            return (polygamma_difference(1, x, s) + x * polygamma_difference(2, x, s)
                    - s * sympy.polygamma(2, y))
        if argindex == 2:
            return -(sympy.polygamma(1, y) + y * sympy.polygamma(2, y))
        raise sympy.ArgumentIndexError(self, argindex)


def _excess_form(add, y, below):
    """A sum of products of the trigamma group of ``y`` (``polygamma(1, y)`` and
    ``polygamma_difference(1, x, y - x)`` for ``x`` in ``below``) with terms of both signs,
    written through trigamma excesses where that makes it a quotient of sums of positive
    terms; the sum itself otherwise.

    With ``psi'(x) = (1 + e(x)) / x`` and ``e(x) = E(x, y - x) + e(y)``
    (:class:`trigamma_excess`, :class:`trigamma_excess_difference`, both positive) the terms
    of order one in every ``psi'`` cancel exactly when the numerator is multiplied out as a
    polynomial in the (positive) symbols, ``e(y)`` and the ``E``; where every coefficient
    then has one sign, no float operation of the result cancels. The Beta determinant
    ``D_a D_b - psi'(a + b)^2`` becomes ``(a (1 + e(a + b)) E(a, b) + b (1 + e(a + b))
    E(b, a) + (a + b) E(a, b) E(b, a)) / (a b (a + b))``, where the trigamma form cancels to
    about ``1/min(a, b)`` of its terms (5e-8 relative error at ``a = b = 1e8``).
    """
    group = {sympy.polygamma(1, y): None}
    group.update({polygamma_difference(1, x, y - x): k for k, x in enumerate(below)})
    monomials = []
    for term in add.args:
        c, rest = term.as_coeff_Mul()
        powers = [0] * (len(below) + 1)
        for factor in sympy.Mul.make_args(rest):
            base, exp = factor.as_base_exp()
            if base not in group or not (exp.is_Integer and exp > 0):
                return add
            k = group[base]
            powers[0 if k is None else k + 1] += int(exp)
        monomials.append((c, powers))
    if len({c > 0 for c, _ in monomials}) < 2:
        return add
    u = sympy.Dummy("u", positive=True)
    excesses = [sympy.Dummy(f"E{k}", positive=True) for k in range(len(below))]
    symbols = sorted(set().union(y.free_symbols, *(x.free_symbols for x in below)),
                     key=sympy.default_sort_key)
    if not all(v.is_positive for v in symbols):
        return add
    try:
        ring = [sympy.Poly(v, *symbols, u, *excesses) for v in (y, *below)]
    except sympy.PolynomialError:
        return add
    yp, xs = ring[0], ring[1:]
    one_u = sympy.Poly(1 + u, *symbols, u, *excesses)
    # times L = y^T prod x_k^{D_k}: psi'(y) -> (1 + u), D_k -> y (1 + E_k + u) - x_k (1 + u)
    top = max(sum(p) for _, p in monomials)
    tops = [max(p[k + 1] for _, p in monomials) for k in range(len(below))]
    scaled = [yp * (one_u + sympy.Poly(e, *symbols, u, *excesses)) - x * one_u
              for x, e in zip(xs, excesses, strict=True)]
    numerator = 0
    for c, powers in monomials:
        term = one_u ** powers[0] * yp ** (top - sum(powers))
        for k, x in enumerate(xs):
            term *= scaled[k] ** powers[k + 1] * x ** (tops[k] - powers[k + 1])
        numerator += term * sympy.Integer(c) if c.is_Integer else term * c
    # divide out the factors of L that the numerator holds (a + b of the Beta determinant)
    powers = {}
    for v, n in ((yp, top), *zip(xs, tops, strict=True)):
        while n > 0:
            quotient, remainder = numerator.div(v)
            if not remainder.is_zero:
                break
            numerator, n = quotient, n - 1
        key = v.as_expr()
        powers[key] = powers.get(key, 0) + n
    coefficients = numerator.coeffs()
    if not coefficients or len({c > 0 for c in coefficients}) != 1:
        return add
    back = {u: trigamma_excess(y)}
    back.update({e: trigamma_excess_difference(x, y - x)
                 for e, x in zip(excesses, below, strict=True)})
    denominator = sympy.Mul(*(v ** n for v, n in powers.items()))
    return numerator.as_expr().xreplace(back) / denominator


def _rewrite_excess(expr):
    """Sums of the trigamma group of the largest argument (``polygamma(1, y)`` and the
    ``polygamma_difference(1, x, y - x)``) that still subtract, through excesses
    (:func:`_excess_form`); each distinct sum is converted once.
    """
    differences = [d for d in expr.atoms(polygamma_difference) if d.args[0] == 1]
    if not differences:
        return expr
    tops = defaultdict(list)
    for d in differences:
        tops[d.args[1] + d.args[2]].append(d.args[1])
    cache = {}

    def convert(add):
        if add not in cache:
            out = add
            for y, below in tops.items():
                if out is add and add.has(sympy.polygamma(1, y)):
                    out = _excess_form(add, y, sorted(below, key=sympy.default_sort_key))
            cache[add] = out
        return cache[add]

    return expr.replace(lambda e: e.is_Add, convert)


def _trigamma_excess_term(add):
    """``c (x psi'(x) - 1) + rest`` as ``c trigamma_excess(x) + rest`` for a sum holding
    both ``c x psi'(x)`` and the constant ``-c``; the sum itself otherwise.
    """
    constant = sum((t for t in add.args if t.is_Number), sympy.Integer(0))
    if constant == 0:
        return add
    for term in add.args:
        c, rest = term.as_coeff_Mul()
        if not rest.is_Mul or len(rest.args) != 2:
            continue
        calls = [f for f in rest.args if isinstance(f, sympy.polygamma) and f.args[0] == 1]
        if len(calls) != 1:
            continue
        x = calls[0].args[1]
        if rest == x * calls[0] and constant == -c:
            return add - term - constant + c * trigamma_excess(x)
    return add


def _expand_sums(expr):
    """Multiply out, bottom-up, every sum that holds a :class:`polygamma_difference`, so that
    the reference polygammas cancel symbolically.
    """
    if expr.is_Atom or not expr.has(polygamma_difference):
        return expr
    expr = expr.func(*(_expand_sums(a) for a in expr.args))
    if expr.is_Add:
        return sympy.expand_mul(expr)
    return expr


def rewrite_polygamma_differences(expr, excess=True):
    """Write polygammas of arguments that differ by a positive amount as exact differences.

    ``trigamma(a) - trigamma(a + b)`` (a Beta metric entry) is the difference of two nearly
    equal numbers when ``b`` is small next to ``a``, or when both are large; a kernel that
    subtracts them returns noise (``1.65e-24`` for the true ``1.00e-24`` at
    ``a = 1e-8, b = 1e8``; ``0`` for ``1e-30`` at ``a = 1e10, b = 1e-10``). For each order
    ``n >= 1`` this picks as reference the argument ``y`` that provably exceeds (by the
    symbols' assumptions) the largest number of the other arguments ``x``, substitutes
    ``polygamma(n, x) = polygamma_difference(n, x, y - x) + polygamma(n, y)`` and multiplies
    out the sums holding them, so that ``polygamma(n, y)`` cancels symbolically wherever the
    formula subtracts it. The substitution never creates a cancellation of its own:
    ``polygamma_difference(n, x, y - x)`` and ``polygamma(n, y)`` have the same sign
    ``(-1)^(n+1)`` for ``y > x > 0``. Determinants of metrics (``trigamma(a) trigamma(b) -
    trigamma(a + b) (trigamma(a) + trigamma(b))``) become ``D_a D_b - trigamma(a + b)**2``,
    which still cancels where ``a`` and ``b`` are both large (the two terms agree to about
    ``1/min(a, b)``); a sum of products of trigammas that subtracts like this is then written
    through trigamma excesses, ``psi'(x) = (1 + e(x)) / x`` with ``e(x) = E(x, y - x) +
    e(y)`` (:class:`trigamma_excess_difference`), and multiplied out as a polynomial, where
    the terms of order one cancel exactly; it is kept in that form where every remaining
    term has one sign (the determinants and cofactors of the Beta and Dirichlet metrics,
    so their inverse metrics and Christoffel symbols). The ``polygamma(2, .)`` differences
    of the Christoffel symbols need no more than the first substitution.

    A sum ``c x psi'(x) - c`` becomes ``c trigamma_excess(x)`` first (:class:`trigamma_excess`).
    Digamma (``n = 0``) is rewritten only where the reference ``psi(y)`` then cancels out
    entirely (``psi(a) - psi(a + b)``): digamma changes sign, so a ``psi(x)`` left as
    ``D + psi(y)`` could cancel where the plain value does not.

    Parameters
    ----------
    expr : sympy.Expr
    excess : bool, optional
        Also write the trigamma sums that still cancel through excesses (default). An
        expression that is to be differentiated before it is compiled (the variational
        equations of geodesics) is better rewritten without (its derivatives stay compact)
        and with, after differentiation.

    Returns
    -------
    sympy.Expr
        ``expr`` itself where no argument provably exceeds another.

    Examples
    --------
    >>> import sympy
    >>> a, b = sympy.symbols("a b", positive=True)
    >>> p1 = lambda z: sympy.polygamma(1, z)
    >>> rewrite_polygamma_differences(p1(a) - p1(a + b))
    polygamma_difference(1, a, b)
    >>> det = rewrite_polygamma_differences(p1(a) * p1(b) - p1(a + b) * (p1(a) + p1(b)))
    >>> det.as_numer_denom()[1], len(det.as_numer_denom()[0].args)   # six positive terms
    (a*b*(a + b), 6)
    """
    if not isinstance(expr, sympy.Basic) or not expr.has(sympy.polygamma):
        return expr
    # x psi'(x) - 1 first (the Gamma family's determinant): see trigamma_excess
    expr = expr.replace(lambda e: e.is_Add, _trigamma_excess_term)
    arguments = defaultdict(set)
    for call in expr.atoms(sympy.polygamma):
        n, z = call.args
        if n.is_Integer and n >= 0:
            arguments[int(n)].add(z)
    mapping, references = {}, {}
    for n, args in arguments.items():
        reference, below = None, []
        for y in sorted(args, key=sympy.default_sort_key):
            smaller = [x for x in args if x != y and (y - x).is_positive]
            if len(smaller) > len(below):
                reference, below = y, smaller
        for x in below:
            mapping[sympy.polygamma(n, x)] = (
                polygamma_difference(n, x, reference - x) + sympy.polygamma(n, reference))
        if below:
            references[n] = reference
    digamma = {k: v for k, v in mapping.items() if k.args[0] == 0}
    for key in digamma:
        del mapping[key]
    if mapping:
        expr = _expand_sums(expr.xreplace(mapping))
    if excess:
        expr = _rewrite_excess(expr)
    if digamma:
        # digamma changes sign (at x = 1.46), so psi(x) = D + psi(y) may itself cancel:
        # keep the rewrite only where psi(y) cancels out symbolically (psi(a) - psi(a + b),
        # the Beta and Dirichlet expectation parameters and KL divergences)
        out = _expand_sums(expr.xreplace(digamma))
        if not out.has(sympy.polygamma(0, references[0])):
            expr = out
    return expr


class ratio_power(sympy.Function):
    """``(a / b)**k`` for a positive integer ``k``, kept from sympy's automatic
    ``a**k / b**k`` (which overflows or underflows in the numerator and denominator
    separately, and gives ``0 * inf = nan`` where the quotient is an ordinary number).

    Made by :func:`rewrite_quotients`; printed as ``(a/b)**k``.
    """

    nargs = 3

    def _eval_rewrite_as_Pow(self, a, b, k, **kwargs):
        return (a / b) ** k

    def fdiff(self, argindex=1):
        """Derivative in ``a`` or ``b``, again through ratios: ``k (a/b)**(k-1) / b`` and
        ``-k (a/b)**k / b``.
        """
        a, b, k = self.args
        if argindex == 1:
            return k * (ratio_power(a, b, k - 1) if k > 1 else 1) / b
        if argindex == 2:
            return -k * ratio_power(a, b, k) / b
        raise sympy.ArgumentIndexError(self, argindex)


def _quotient(numerator, denominator):
    """``numerator / denominator`` as ``c * ratio_power(A, B, j) * B**(j - k)`` where the
    numerator factors as ``c A**j`` and the denominator is ``B**k``, ``k >= j`` (or
    ``ratio_power(A, D**(1/j), j)`` for another denominator ``D`` and ``j >= 2``).
    """
    factored = sympy.factor(numerator)
    c, rest = factored.as_coeff_Mul()
    a, j = rest.as_base_exp()
    if not (j.is_Integer and j >= 1) or a.is_number:
        return rewrite_quotients(numerator) / rewrite_quotients(denominator)
    a = rewrite_quotients(a)
    b, k = denominator.as_base_exp()
    if k.is_Integer and k >= j:
        b = rewrite_quotients(b)
        return c * ratio_power(a, b, j) * b ** (j - k)
    if j >= 2:
        return c * ratio_power(a, rewrite_quotients(denominator ** sympy.Rational(1, j)), j)
    return c * a / rewrite_quotients(denominator)


class log1p_square_ratio(sympy.Function):
    """``log(1 + (a/b)**2)``, printed as :func:`numeric.compile.special.log1p_square_ratio`,
    which neither overflows in the square nor loses the small values to ``log(1 + tiny)``.

    Made by :func:`rewrite_quotients` from the logarithms of ``1 + c (a/b)**2`` (Student's
    t) and of sums of two squares ``v**2 + u**2`` with ``v > 0`` (Cauchy).

    Examples
    --------
    >>> import sympy
    >>> a, b = sympy.symbols("a b", positive=True)
    >>> log1p_square_ratio(a, b).rewrite(sympy.log)
    log(a**2/b**2 + 1)
    """

    nargs = 2

    def _eval_rewrite_as_log(self, a, b, **kwargs):
        return sympy.log(1 + a ** 2 / b ** 2)

    def fdiff(self, argindex=1):
        """Derivative in ``a`` (``argindex=1``) or ``b`` (``argindex=2``), as
        ``2 / (b (a/b + b/a))`` and ``-2 / (b (1 + (b/a)**2))``: finite where ``a**2 + b**2``
        would overflow or underflow (a score at a scale of 1e-300), and with ``a = x - mu``
        kept whole (in ``a + b**2/a`` sympy would merge it into the sum, which then
        subtracts ``mu = 1e10`` from ``x`` after adding a small term).
        """
        a, b = self.args
        if argindex == 1:
            return 2 / (b * (ratio_power(a, b, 1) + ratio_power(b, a, 1)))
        if argindex == 2:
            return -2 / (b * (1 + ratio_power(b, a, 2)))
        raise sympy.ArgumentIndexError(self, argindex)


def _log_of_squares(arg):
    """``log(arg)`` through :class:`log1p_square_ratio` where ``arg`` is ``1 + c R`` with
    ``R = ratio_power(a, b, 2)`` and ``c > 0`` a number, or ``p v**2 + q u**2`` with ``p, q``
    positive numbers and ``v`` positive; None otherwise.
    """
    if not arg.is_Add or len(arg.args) != 2:
        return None
    (c0, t0), (c1, t1) = (t.as_coeff_Mul() for t in arg.args)
    if t0 == 1 and c0 == 1:
        c0, t0, c1, t1 = c1, t1, c0, t0
    if t1 == 1 and c1 == 1 and c0 > 0 and isinstance(t0, ratio_power) and t0.args[2] == 2:
        a, b, _ = t0.args
        return _scaled_square_ratio(a, b, c0)
    if not (c0 > 0 and c1 > 0):
        return None
    (v, k0), (u, k1) = t0.as_base_exp(), t1.as_base_exp()
    if not (k0 == 2 and k1 == 2):
        return None
    if v.is_positive is not True:
        v, u, c0, c1 = u, v, c1, c0
    if v.is_positive is not True:
        return None
    return sympy.log(c0) + 2 * sympy.log(v) + _scaled_square_ratio(u, v, c1 / c0)


def _scaled_square_ratio(a, b, c):
    """``log1p_square_ratio`` of ``sqrt(c) a`` and ``b``, the constant put where it does not
    distribute over a sum (``0.47 (x - mu)`` as ``0.47 x - 0.47 mu`` would cancel).
    """
    if c == 1:
        return log1p_square_ratio(a, b)
    if not b.is_Add:
        return log1p_square_ratio(a, b / sympy.sqrt(c))
    return log1p_square_ratio(sympy.Mul(sympy.sqrt(c), a, evaluate=False), b)


def rewrite_quotients(expr):
    """Evaluate quotients as powers of ratios, so that they neither overflow nor give NaN
    where their value is an ordinary number.

    The Normal log-density ``mu x / sigma**2 - x**2 / (2 sigma**2) - mu**2 / (2 sigma**2) -
    log(sigma) - ...`` at ``sigma = 1e-170`` divides by ``sigma**2 = 0`` (underflow) and
    returns ``0 * inf = nan`` at ``x = mu``, where the true value is ``389.5``. In every sum
    this collects the terms over a common denominator ``D`` (numeric factors aside), expands
    and factors their numerator, and where it is ``c A**j`` writes the group as
    ``c (A / B)**j B**(j - k)`` for ``D = B**k`` (``k >= j``), else as ``c (A / D**(1/j))**j``
    (``j >= 2``): ``-(x - mu)**2 / (2 sigma**2)`` is evaluated as ``-((x - mu)/sigma)**2 / 2``.
    Terms over no denominator are left as they are (no expansion of ``(x - x0)**2`` into
    ``x**2 - 2 x x0 + x0**2``, which would cancel). Logarithms of ``1 + c (a/b)**2`` and of
    sums of two squares ``p v**2 + q u**2`` (``v > 0``) become ``log1p_square_ratio`` (plus
    ``log(p) + 2 log(v)``): the Student t and Cauchy log-densities at a scale of 1e-300, or
    ``|x - mu| / sigma`` beyond 1e154, overflowed in the square (``+inf`` or ``-inf`` where
    the value is near 690 or -1150).

    Parameters
    ----------
    expr : sympy.Expr

    Returns
    -------
    sympy.Expr
        Equal to ``expr`` (``.rewrite(sympy.Pow)`` gives it back up to simplification).

    Examples
    --------
    >>> import sympy
    >>> mu, x = sympy.symbols("mu x", real=True)
    >>> s = sympy.Symbol("sigma", positive=True)
    >>> rewrite_quotients(mu * x / s**2 - x**2 / (2 * s**2) - mu**2 / (2 * s**2) - sympy.log(s))
    -log(sigma) - ratio_power(-mu + x, sigma, 2)/2
    """
    if not isinstance(expr, sympy.Basic) or expr.is_Atom:
        return expr
    if not isinstance(expr, sympy.Expr):
        return expr.func(*(rewrite_quotients(a) for a in expr.args))
    if isinstance(expr, sympy.log):
        arg = rewrite_quotients(expr.args[0])
        squares = _log_of_squares(arg)
        return sympy.log(arg) if squares is None else squares
    if not (expr.is_Add or expr.is_Mul):
        return expr.func(*(rewrite_quotients(a) for a in expr.args))
    hidden = {e: sympy.Dummy(positive=True) for e in expr.atoms(sympy.exp)}
    if hidden:
        # exp(a) stays a factor of its own: as_numer_denom() moves exp(-a) below the line as
        # exp(a), and expand() splits exp(-(u - m)**2/2) into exp(-u**2/2) exp(m u) ...; over a
        # common denominator these overflow where the quotient is an ordinary number (the
        # score of the mixture (1 - w) N(0, 1) + w N(m, 1) became inf/inf beyond |u| = 27,
        # where the density is still 1e-158)
        masked = rewrite_quotients(expr.xreplace(hidden))
        return masked.xreplace({d: sympy.exp(rewrite_quotients(e.args[0])) for e, d in hidden.items()})
    terms = expr.args if expr.is_Add else (expr,)
    plain = []
    groups = defaultdict(list)
    for term in terms:
        c, rest = term.as_coeff_Mul()
        numerator, denominator = rest.as_numer_denom()
        if denominator == 1:
            plain.append(term)
        else:
            groups[denominator].append(c * numerator)
    if not groups:
        if expr.is_Mul:
            return expr.func(*(rewrite_quotients(a) for a in expr.args))
        return sympy.Add(*(rewrite_quotients(t) for t in plain))
    out = [rewrite_quotients(t) for t in plain]
    for denominator in sorted(groups, key=sympy.default_sort_key):
        numerator = sympy.expand(sympy.Add(*groups[denominator]))
        # terms that no longer share the denominator after expansion (2 sigma**2 log(sigma)
        # over sigma**2) are split off and treated on their own
        kept = []
        for t in sympy.Add.make_args(numerator):
            q = t / denominator
            if q.as_coeff_Mul()[1].as_numer_denom()[1] == denominator:
                kept.append(t)
            else:
                out.append(rewrite_quotients(q))
        if kept:
            out.append(_quotient(sympy.Add(*kept), denominator))
    return sympy.Add(*out)


class KernelPrinter(PythonCodePrinter):
    """Print sympy expressions as scalar Python code that numba's ``njit`` compiles.

    It prints ``math``-module calls (numpy-style printing gives ``select`` and vectorised
    ``Piecewise`` that numba cannot type), ``Piecewise`` as nested conditional expressions
    (``nan`` where no condition holds), and maps special functions to :mod:`numeric.compile.special`:

    ================================  ==================================================
    sympy                             printed as
    ================================  ==================================================
    ``polygamma(0, x)`` (digamma)     ``_sp_digamma(x)``
    ``polygamma(1, x)`` (trigamma)    ``_sp_trigamma(x)``
    ``polygamma(n, x)``, integer n    ``_sp_polygamma(n, x)``
    ``loggamma(x)``, ``gamma(x)``     ``math.lgamma(x)``, ``math.gamma(x)``
    ``besseli(0, x)``, ``(1, x)``     ``_sp_bessel_i0(x)``, ``_sp_bessel_i1(x)``
    ``besseli(n, x)``, integer n      ``_sp_bessel_in(n, x)`` (stable at small ``x``,
                                      unlike forward recurrence from I0 and I1)
    ``besseli_scaled(n, x)``          ``_sp_bessel_i0e`` / ``_sp_bessel_i1e`` / ``_sp_bessel_ine``
    ``log_besseli0(x)``               ``_sp_log_bessel_i0(x)``
    ``bessel_i1_over_i0(x)``          ``_sp_bessel_i1_over_i0(x)``, ``A = I1/I0``
    ``bessel_i1_over_i0_d1``, ``_d2``  ``_sp_bessel_i1_over_i0_d1(x)`` (``A'``), ``_d2`` (``A''``)
    ``polygamma_difference(n, x, s)`` ``_sp_polygamma_difference(n, x, s)``
    ``trigamma_excess(x)``            ``_sp_trigamma_excess(x)``
    ``trigamma_excess_difference``    ``_sp_trigamma_excess_difference(x, s)``
    ``ratio_power(a, b, k)``          ``(a/b)**k``
    ``log1p_square_ratio(a, b)``      ``_sp_log1p_square_ratio(a, b)``
    ``x**(-k)``, integer k            ``(1/x)**k`` (numba raises ZeroDivisionError for
                                      ``0.0**-k`` whatever the error model; this gives
                                      ``inf``, and overflows only where the value does)
    ================================  ==================================================

    The names ``_sp_*`` are collected in :attr:`special_functions`, to be imported by the
    generated module. Symbols print under the names given in the ``symbol_names`` setting
    (a dict from Symbol to str); any other symbol is an error. Unsupported functions raise
    (``strict`` printing) instead of producing partial code.

    Examples
    --------
    >>> import sympy
    >>> a, b = sympy.symbols("a b", positive=True)
    >>> printer = KernelPrinter({"symbol_names": {a: "a", b: "b"}})
    >>> printer.doprint(sympy.polygamma(1, a) + sympy.besseli(2, b))
    '_sp_bessel_in(2, b) + _sp_trigamma(a)'
    >>> printer.doprint(sympy.Piecewise((a, a < 1), (a**2, b > 2)))
    '((a) if (a < 1) else ((a**2) if (b > 2) else math.nan))'
    >>> sorted(printer.special_functions)
    ['bessel_in', 'trigamma']
    """

    printmethod = "_numba_kernel_code"
    language = "Python (numba njit)"
    _default_settings = dict(
        PythonCodePrinter._default_settings, strict=True, symbol_names={}
    )

    def __init__(self, settings=None):
        super().__init__(settings)
        self.special_functions = set()

    def _special(self, function, *args):
        self.special_functions.add(function)
        return f"_sp_{function}({', '.join(args)})"

    def _print_Symbol(self, expr):
        try:
            return self._settings["symbol_names"][expr]
        except KeyError:
            raise ValueError(
                f"symbol {expr} is neither a coordinate nor a parameter of the kernel"
            ) from None

    def _print_Integer(self, expr):
        if abs(expr.p) < _EXACT_INT:
            return str(expr.p)
        return self._print_huge(expr)

    def _print_Rational(self, expr):
        if abs(expr.p) < _EXACT_INT and expr.q < _EXACT_INT:
            return f"{expr.p}/{expr.q}"
        return self._print_huge(expr)

    def _print_huge(self, expr):
        try:
            return repr(float(expr))
        except OverflowError:
            raise ValueError(f"the number {expr} does not fit in a float64") from None

    def _print_ImaginaryUnit(self, expr):
        raise ValueError("kernels are real-valued: the expression contains the imaginary unit I")

    def _print_Piecewise(self, expr):
        branches = []
        otherwise = "math.nan"
        for value, condition in expr.args:
            if condition is sympy.true:
                otherwise = self._print(value)
                break
            test = self._print(condition)
            if not isinstance(condition, sympy.core.relational.Relational):
                test = f"({test})"  # relationals already print parenthesised
            branches.append((self._print(value), test))
        code = otherwise
        for value, test in reversed(branches):
            code = f"(({value}) if {test} else {code})"
        return code

    def _print_polygamma(self, expr):
        order, z = expr.args
        if not (order.is_Integer and order >= 0):
            raise ValueError(
                f"polygamma needs a constant non-negative integer order, got {order}"
            )
        if order == 0:
            return self._special("digamma", self._print(z))
        if order == 1:
            return self._special("trigamma", self._print(z))
        return self._special("polygamma", str(int(order)), self._print(z))

    def _integer_order(self, nu, function):
        if not nu.is_Integer:
            raise ValueError(f"{function} needs a constant integer order, got {nu}")
        return abs(int(nu))  # I_{-n} = I_n

    def _print_besseli(self, expr):
        n = self._integer_order(expr.args[0], "besseli")
        z = self._print(expr.args[1])
        if n <= 1:
            return self._special(f"bessel_i{n}", z)
        return self._special("bessel_in", str(n), z)

    def _print_besseli_scaled(self, expr):
        n = self._integer_order(expr.args[0], "besseli_scaled")
        z = self._print(expr.args[1])
        if n <= 1:
            return self._special(f"bessel_i{n}e", z)
        return self._special("bessel_ine", str(n), z)

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.args
        if exp.is_Integer and exp < -1:
            inverse = f"1/{self.parenthesize(base, PRECEDENCE['Pow'])}"
            return f"({inverse})**{-int(exp)}"
        return super()._print_Pow(expr, rational=rational)

    def _print_ratio_power(self, expr):
        a, b, k = expr.args
        if not (k.is_Integer and k >= 1):
            raise ValueError(f"ratio_power needs a constant positive integer power, got {k}")
        ratio = (f"{self.parenthesize(a, PRECEDENCE['Mul'])}/"
                 f"{self.parenthesize(b, PRECEDENCE['Pow'])}")
        return f"({ratio})**{int(k)}" if k > 1 else f"({ratio})"

    def _print_polygamma_difference(self, expr):
        n, x, s = expr.args
        if not (n.is_Integer and n >= 0):
            raise ValueError(
                f"polygamma_difference needs a constant non-negative integer order, got {n}")
        return self._special("polygamma_difference", str(int(n)), self._print(x),
                             self._print(s))

    def _print_log1p_square_ratio(self, expr):
        a, b = expr.args
        return self._special("log1p_square_ratio", self._print(a), self._print(b))

    def _print_trigamma_excess(self, expr):
        return self._special("trigamma_excess", self._print(expr.args[0]))

    def _print_trigamma_excess_difference(self, expr):
        x, s = expr.args
        return self._special("trigamma_excess_difference", self._print(x), self._print(s))

    def _print_bessel_i1_over_i0(self, expr):
        return self._special("bessel_i1_over_i0", self._print(expr.args[0]))

    def _print_bessel_i1_over_i0_d1(self, expr):
        return self._special("bessel_i1_over_i0_d1", self._print(expr.args[0]))

    def _print_bessel_i1_over_i0_d2(self, expr):
        return self._special("bessel_i1_over_i0_d2", self._print(expr.args[0]))

    def _print_log_besseli0(self, expr):
        return self._special("log_bessel_i0", self._print(expr.args[0]))
