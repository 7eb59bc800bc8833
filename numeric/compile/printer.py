"""Print sympy expressions as scalar ``math``-module code that numba compiles.

:class:`KernelPrinter` maps special functions to :mod:`numeric.compile.special`;
:func:`rewrite_bessel` rewrites modified Bessel functions so that kernels stay finite.
"""
import sympy
from sympy.printing.pycode import PythonCodePrinter

__all__ = ["KernelPrinter", "besseli_scaled", "log_besseli0", "rewrite_bessel"]

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
    ratio.

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
    >>> rewrite_bessel(sympy.diff(sympy.besseli(1, k) / sympy.besseli(0, k), k))
    (besseli_scaled(0, kappa)/2 + besseli_scaled(2, kappa)/2 - besseli_scaled(1, kappa)**2/besseli_scaled(0, kappa))/besseli_scaled(0, kappa)
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
    return sympy.factor_terms(expr)


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

    def _print_log_besseli0(self, expr):
        return self._special("log_bessel_i0", self._print(expr.args[0]))
