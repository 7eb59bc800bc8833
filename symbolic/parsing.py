"""The one safe reader of strings: every string the toolkit accepts is parsed here.

A string (an exercise answer, an ``alpha=``, a loss, a constructor argument) is parsed with
:func:`ast.parse` and the tree is walked against a whitelist; the sympy object is built node
by node from the tree. No string is ever given to ``eval``, ``exec``, ``sympify`` or
``parse_expr``, so a string cannot run code, import modules or reach attributes.

Accepted
    numbers (integers, decimals), the names passed as ``symbols``, the constants ``pi``,
    ``E``, ``oo``, ``EulerGamma``, the operators ``+ - * / **`` and unary ``+``/``-``,
    parentheses, calls of the mathematical functions in :data:`FUNCTIONS` with positional
    arguments, ``Matrix([...])``, ``Array([...])``, ``diag(...)`` and list/tuple literals.
Refused (:class:`~symbolic.errors.AnswerError`, naming the parameter and the position)
    attribute access, subscripts, dunder or private names, keyword arguments, ``*args``,
    lambdas, comprehensions, conditional expressions, comparisons, boolean operators, the
    walrus, f-strings, string/bytes literals, ``^`` (write ``**``), unknown names; and
    resource bombs: strings longer than :data:`MAX_LENGTH` characters, nesting deeper than
    :data:`MAX_DEPTH`, more than :data:`MAX_NODES` nodes, a numeric power whose value would
    have more than :data:`MAX_DIGITS` digits (``10**(10**8)``, ``9**9**9**9``), an integer
    power of a symbolic base above :data:`MAX_SYMBOLIC_EXPONENT`, ``factorial``,
    ``binomial``, ``gamma`` and the polygammas of numbers above :data:`MAX_SPECIAL_ARGUMENT`
    in absolute value, and more than :data:`MAX_TOTAL_DIGITS` digits created by powers and
    factorials in one string.

Examples
--------
>>> import sympy as sp
>>> lam = sp.Symbol("lam", positive=True)
>>> parse_expression("Matrix([[1/lam]])", {"lam": lam})
Matrix([[1/lam]])
>>> parse_expression("__import__('os').system('true')", {"lam": lam})
Traceback (most recent call last):
...
symbolic.errors.AnswerError: answer: attribute access (column 1) is refused: only named mathematical functions may be called
>>> parse_expression("__import__('os')", {"lam": lam})
Traceback (most recent call last):
...
symbolic.errors.AnswerError: answer: '__import__' (column 1) is refused: names starting with '_' are not allowed
>>> parse_expression("10**(10**8)", {})
Traceback (most recent call last):
...
symbolic.errors.AnswerError: answer: the power at column 1 is refused: its value would have about 100000000 digits (at most 10000)
>>> to_sympy("1/4", "slope")
1/4
>>> to_sympy(None, "slope")
Traceback (most recent call last):
...
TypeError: slope must be a number, a sympy expression or a string, got NoneType None
"""
from __future__ import annotations

import ast
import decimal
import difflib
import io
import keyword
import math
import numbers
import tokenize

import numpy as np
import sympy as sp

from .errors import AnswerError

__all__ = [
    "parse_expression",
    "to_sympy",
    "FUNCTIONS",
    "CONSTANTS",
    "MAX_LENGTH",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_DIGITS",
    "MAX_TOTAL_DIGITS",
    "MAX_SYMBOLIC_EXPONENT",
    "MAX_SPECIAL_ARGUMENT",
]

#: Longest string read (characters); a 4x4x4 array of textbook entries fits easily.
MAX_LENGTH = 20_000
#: Deepest nesting of the syntax tree.
MAX_DEPTH = 60
#: Most nodes of the syntax tree.
MAX_NODES = 5_000
#: Most decimal digits of one number created by a power or a factorial.
MAX_DIGITS = 10_000
#: Most decimal digits created by powers and factorials in one string together, so that
#: many allowed powers cannot be multiplied into a number too large to handle.
MAX_TOTAL_DIGITS = 40_000
#: Largest integer exponent of a symbolic base: ``(a + b)**10**6`` would make the
#: simplification of a check expand a million terms.
MAX_SYMBOLIC_EXPONENT = 1_000
#: Largest absolute value of a numeric argument of the functions that sympy evaluates
#: exactly at integers (``factorial(10**7)`` is a 65-million-digit integer,
#: ``digamma(10**7)`` a harmonic number of that size).
MAX_SPECIAL_ARGUMENT = 1_000

_SPECIAL = ("factorial", "factorial2", "binomial", "gamma", "loggamma", "digamma", "trigamma",
            "polygamma", "beta", "harmonic", "besseli", "besselj", "besselk", "bessely", "rf", "ff")

#: The functions a string may call (positional arguments only).
FUNCTIONS = {name: getattr(sp, name) for name in (
    "sqrt", "cbrt", "root", "log", "exp", "sin", "cos", "tan", "cot", "sec", "csc",
    "asin", "acos", "atan", "atan2", "acot", "sinh", "cosh", "tanh", "coth", "sech", "csch",
    "asinh", "acosh", "atanh", "gamma", "loggamma", "digamma", "trigamma", "polygamma",
    "beta", "besseli", "besselj", "besselk", "bessely", "erf", "erfc", "Abs", "sign",
    "binomial", "factorial", "Rational", "Integer", "Min", "Max", "floor", "ceiling",
)}
FUNCTIONS["ln"] = sp.log
#: The constants a string may name.
CONSTANTS = {"pi": sp.pi, "E": sp.E, "oo": sp.oo, "EulerGamma": sp.EulerGamma}
#: Names that read as a non-number (Python's float("nan"), numpy's inf): never made symbols,
#: so that ``slope="nan"`` is refused instead of becoming a symbol printed as nan.
_NOT_A_NUMBER = frozenset({"nan", "NaN", "NAN", "inf", "Inf", "INF", "infinity", "Infinity", "zoo"})
_CONTAINERS = ("Matrix", "Array", "diag")
#: What a name a student may write for a function the whitelist spells differently means.
_FUNCTION_ALIASES = {
    "psi": "digamma(x) or polygamma(n, x)", "Psi": "digamma(x) or polygamma(n, x)",
    "lgamma": "loggamma", "lngamma": "loggamma", "gammaln": "loggamma", "Gamma": "gamma",
    "B": "beta", "Beta": "beta", "abs": "Abs", "max": "Max", "min": "Min", "arcsin": "asin",
    "arccos": "acos", "arctan": "atan", "arctan2": "atan2", "arcsinh": "asinh",
    "arccosh": "acosh", "arctanh": "atanh", "log10": "log(x, 10)", "I0": "besseli(0, x)",
    "I1": "besseli(1, x)", "Heaviside": "a Piecewise given as a sympy object",
}


def _unknown_name(ident, symbols, coordinates, where):
    """The message for a name the model does not know, with the coordinates and a near miss."""
    known = ", ".join(sorted(symbols)) or "none"
    coords = f" (coordinates are {', '.join(coordinates)})" if coordinates else ""
    near = difflib.get_close_matches(ident, list(symbols), n=1, cutoff=0.5)
    hint = f"; did you mean {near[0]}?" if near else ""
    why = f"{ident!r} is a Python keyword, which no coordinate is named; " if keyword.iskeyword(ident) else ""
    return (f"unknown symbol {ident}{coords}{where} is refused: the model does not know it{hint} "
            f"({why}it may use {known} and the constants {', '.join(CONSTANTS)})")


def _keyword_used_as_name(text):
    """The first Python keyword in ``text`` that a formula can only mean as a name, or None."""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.NAME and keyword.iskeyword(tok.string) and tok.string not in ("True", "False", "None"):
                return tok.string, tok.start[1]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return None


def _where(node):
    col = getattr(node, "col_offset", None)
    if col is None:
        return ""
    line = getattr(node, "lineno", 1)
    return f" (column {col + 1})" if line == 1 else f" (line {line}, column {col + 1})"


class _Reader:
    def __init__(self, text, symbols, name, new_symbols, coordinates=None):
        self.text = text
        self.coordinates = coordinates
        self.symbols = symbols
        self.name = name
        self.new_symbols = new_symbols
        self.digits = 0

    def refuse(self, node, what):
        raise AnswerError(f"{self.name}: {what}")

    def refuse_at(self, node, thing, why):
        self.refuse(node, f"{thing}{_where(node)} is refused: {why}")

    # -- the walk ----------------------------------------------------------------------
    def read(self, node, depth=0):
        if depth > MAX_DEPTH:
            self.refuse(node, f"the expression is nested deeper than {MAX_DEPTH} levels")
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            self.refuse_at(node, _describe(node), "only numbers, the model's names, + - * / **, "
                           "calls of mathematical functions and Matrix/Array/diag are allowed")
        return method(node, depth + 1)

    def _Expression(self, node, depth):
        return self.read(node.body, depth)

    def _Constant(self, node, depth):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.refuse_at(node, f"the literal {v!r}"[:80], "only real numbers are allowed")
        if isinstance(v, int):
            return sp.Integer(v)
        # the decimal as written, so that 0.1 is 1/10 to the Float's precision
        segment = (ast.get_source_segment(self.text, node) or repr(v)).replace("_", "")
        d = decimal.Decimal(segment)
        if d and abs(d.adjusted()) > 400:
            # decimal exponents of millions take minutes to convert and to print
            self.refuse_at(node, f"the number {_short(segment)}", "decimal literals must lie within 1e-400 and 1e400 in absolute value")
        return sp.Float(segment)

    def _Name(self, node, depth):
        ident = node.id
        if ident.startswith("_"):
            self.refuse_at(node, repr(ident), "names starting with '_' are not allowed")
        if ident in self.symbols:
            return self.symbols[ident]
        if ident in CONSTANTS:
            return CONSTANTS[ident]
        if ident in FUNCTIONS or ident in _CONTAINERS:
            self.refuse_at(node, repr(ident), "a function must be called")
        if ident in _NOT_A_NUMBER:
            self.refuse_at(node, repr(ident), "not a finite number: give a finite number (oo is the "
                           "symbolic infinity where a bound may be infinite)")
        if self.new_symbols:
            return sp.Symbol(ident)
        self.refuse(node, _unknown_name(ident, self.symbols, self.coordinates, _where(node)))

    def _UnaryOp(self, node, depth):
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.read(node.operand, depth)
            if isinstance(v, list):
                self.refuse_at(node, "a sign before a list", "write Matrix([...]) or Array([...])")
            return -v if isinstance(node.op, ast.USub) else v
        self.refuse_at(node, f"the operator {type(node.op).__name__}", "only unary + and - are allowed")

    def _BinOp(self, node, depth):
        op = node.op
        if isinstance(op, ast.BitXor):
            self.refuse_at(node, "'^'", "write powers with **")
        if not isinstance(op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
            self.refuse_at(node, f"the operator {type(op).__name__}", "only + - * / ** are allowed")
        a = self.read(node.left, depth)
        b = self.read(node.right, depth)
        if isinstance(a, list) or isinstance(b, list):
            # [1] * 10**9 would be Python's list repetition
            self.refuse_at(node, "arithmetic on a list", "write Matrix([...]) or Array([...])")
        try:
            if isinstance(op, ast.Add):
                return a + b
            if isinstance(op, ast.Sub):
                return a - b
            if isinstance(op, ast.Mult):
                return a * b
            if isinstance(op, ast.Div):
                return a / b
        except (TypeError, ValueError, ArithmeticError, sp.ShapeError, sp.NonSquareMatrixError) as exc:
            self.refuse_at(node, "the operation", f"{type(exc).__name__}: {exc}")
        self.check_power(node, a, b)
        try:
            return a**b
        except (TypeError, ValueError, ArithmeticError, sp.ShapeError, sp.NonSquareMatrixError) as exc:
            self.refuse_at(node, "the operation", f"{type(exc).__name__}: {exc}")

    def _List(self, node, depth):
        return [self.read(e, depth) for e in node.elts]

    _Tuple = _List

    def _Call(self, node, depth):
        func = node.func
        if not isinstance(func, ast.Name):
            thing = _describe(func) if isinstance(func, (ast.Attribute, ast.Subscript)) else "a call of " + _describe(func)
            self.refuse_at(func, thing, "only named mathematical functions may be called")
        fname = func.id
        if fname.startswith("_"):
            self.refuse_at(func, repr(fname), "names starting with '_' are not allowed")
        if fname not in FUNCTIONS and fname not in _CONTAINERS:
            alias = f"; write {_FUNCTION_ALIASES[fname]}" if fname in _FUNCTION_ALIASES else ""
            self.refuse(func, f"unknown function {fname}{_where(func)} is refused{alias} (the allowed "
                        f"functions are {', '.join(sorted([*FUNCTIONS, *_CONTAINERS]))})")
        if node.keywords:
            self.refuse_at(node, f"the keyword argument of {fname}", "functions take positional arguments only")
        for a in node.args:
            if isinstance(a, ast.Starred):
                self.refuse_at(a, "'*'", "argument unpacking is not allowed")
        args = [self.read(a, depth) for a in node.args]
        if fname in ("Matrix", "Array"):
            if len(args) != 1 or not isinstance(args[0], list):
                self.refuse_at(node, f"{fname}(...)", f"write {fname}([[...], ...]) with one list of rows")
            return self.build(node, FUNCTIONS.get(fname, getattr(sp, fname)), args)
        if fname == "diag":
            return self.build(node, sp.diag, args)
        for a, sub in zip(args, node.args, strict=True):
            if isinstance(a, list):
                self.refuse_at(sub, f"a list as argument of {fname}", "only Matrix, Array and diag take lists")
            if not isinstance(a, sp.Basic):
                self.refuse_at(sub, f"a {type(a).__name__} as argument of {fname}", "it takes scalar expressions")
        if fname in _SPECIAL:
            self.check_special(node, fname, args)
        return self.build(node, FUNCTIONS[fname], args)

    def build(self, node, f, args):
        try:
            return f(*args)
        except (TypeError, ValueError, ArithmeticError, sp.ShapeError, IndexError) as exc:
            self.refuse_at(node, f"the call of {getattr(f, '__name__', f)}", f"{type(exc).__name__}: {exc}")

    # -- resource limits -------------------------------------------------------------
    def spend(self, node, digits, what):
        if digits > MAX_DIGITS:
            self.refuse_at(node, what, f"its value would have about {_fmt(digits)} digits (at most {MAX_DIGITS})")
        self.digits += digits
        if self.digits > MAX_TOTAL_DIGITS:
            self.refuse_at(node, what, f"the powers and factorials of the string would create more than "
                           f"{MAX_TOTAL_DIGITS} digits")

    def check_power(self, node, base, exponent):
        if not isinstance(exponent, sp.Basic) or not isinstance(base, (sp.Basic, sp.MatrixBase)):
            return  # sympy refuses the other combinations itself
        what = f"the power at column {node.col_offset + 1}" if node.lineno == 1 else "the power"
        where = _Positionless(node)
        if not exponent.is_number or exponent.is_infinite:
            return
        size = _log10_abs(exponent)
        if size is None:
            self.refuse_at(where, what, "the size of its exponent cannot be estimated")
        e = 10.0**min(size, 300.0)
        if isinstance(base, sp.MatrixBase) or not base.is_number:
            if e > MAX_SYMBOLIC_EXPONENT:
                self.refuse_at(where, what, f"an exponent of a symbolic base or a matrix must be at most "
                               f"{MAX_SYMBOLIC_EXPONENT} in absolute value, got {_short(exponent)}")
            if isinstance(base, sp.MatrixBase):
                # the entries of A**k grow at most like (n max|a_ij|)**k
                sizes = [_log10_abs(v) for v in base if v.is_number]
                sizes = [v for v in sizes if v is not None]
                if sizes:
                    self.spend(where, e * max(0.0, max(sizes) + math.log10(max(base.shape))), what)
            return
        lb = _log10_abs(base)
        if lb is None:
            if e > MAX_SYMBOLIC_EXPONENT:
                self.refuse_at(where, what, "the size of its base cannot be estimated")
            return
        if lb == -math.inf or lb == 0.0:  # 0**k and (+-1)**k stay small
            return
        self.spend(where, math.inf if size > 30 else e * abs(lb), what)

    def check_special(self, node, fname, args):
        for a in args:
            if a.is_number:
                size = _log10_abs(a)
                if size is None or (size > -math.inf and size > math.log10(MAX_SPECIAL_ARGUMENT)):
                    self.refuse_at(node, f"{fname}({_short(a)})", f"numeric arguments of {fname} must be at "
                                   f"most {MAX_SPECIAL_ARGUMENT} in absolute value")
                n = 10.0**size if size > -math.inf else 0.0
                # n! has about log10(n!) digits; the same bound covers binomials and gammas
                self.spend(node, math.lgamma(n + 1) / math.log(10) if n > 1 else 1, f"{fname}(...)")


class _Positionless:
    """A node stand-in for messages that already carry the position."""

    def __init__(self, node):
        self.lineno = node.lineno


def _fmt(digits):
    return "infinitely many" if digits == math.inf else f"{digits:.0f}" if digits < 1e15 else f"{digits:.3g}"


def _short(value):
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _describe(node):
    kinds = {
        "Attribute": "attribute access", "Subscript": "a subscript", "Lambda": "a lambda",
        "ListComp": "a comprehension", "SetComp": "a comprehension", "DictComp": "a comprehension",
        "GeneratorExp": "a generator expression", "IfExp": "a conditional expression",
        "NamedExpr": "the walrus operator", "JoinedStr": "an f-string", "Compare": "a comparison",
        "BoolOp": "a boolean operator", "Dict": "a dict", "Set": "a set", "Starred": "'*'",
        "Await": "await", "Yield": "yield", "YieldFrom": "yield",
    }
    return kinds.get(type(node).__name__, f"the syntax {type(node).__name__}")


def _log10_abs(x):
    """log10 |x| of a sympy number, cheaply: exact for rationals, 15 digits otherwise;
    ``-inf`` for zero, ``None`` when it cannot be estimated (a non-finite value).
    """
    if x.is_Rational:
        p, q = abs(int(x.p)), int(x.q)
        if p == 0:
            return -math.inf
        return math.log10(p) - math.log10(q)
    if x.is_Float:
        if x == 0:
            return -math.inf
        m, e = x._mpf_[1], x._mpf_[2]
        return math.log10(m) + e * math.log10(2) if m else -math.inf
    try:
        v = complex(x.evalf(15))
    except (TypeError, ValueError, ArithmeticError):
        return None
    if not (math.isfinite(v.real) and math.isfinite(v.imag)):
        return None
    return math.log10(abs(v)) if v != 0 else -math.inf


def parse_expression(text, symbols=None, *, name="answer", new_symbols=False, coordinates=None):
    """Read ``text`` into a sympy expression, Matrix, Array or list without executing it.

    Parameters
    ----------
    text : str
        The string, e.g. ``"Matrix([[1/sigma**2, 0], [0, 2/sigma**2]])"``.
    symbols : mapping of str to sympy.Symbol, optional
        The names the string may use, and the symbols they mean (the model's symbols with
        their assumptions).
    name : str
        The parameter the string was given as; every message starts with it.
    new_symbols : bool
        Read other plain names (not starting with ``_``) as new sympy Symbols without
        assumptions, as for a symbolic constructor argument; otherwise they are refused.
    coordinates : sequence of str, optional
        The coordinates' names, listed in the message for an unknown name
        (``unknown symbol lambda (coordinates are mu, lam)``).

    Returns
    -------
    sympy.Basic, sympy.Matrix, sympy.Array or list
        A list for a top-level list or tuple literal.

    Raises
    ------
    TypeError
        ``text`` is not a string.
    AnswerError
        The string is unreadable or uses anything outside the whitelist (see the module).

    Examples
    --------
    >>> import sympy as sp
    >>> s = sp.Symbol("sigma", positive=True)
    >>> parse_expression("2/sigma**2 + sqrt(pi)", {"sigma": s})
    sqrt(pi) + 2/sigma**2
    >>> parse_expression("(lambda: 0)()", {})
    Traceback (most recent call last):
    ...
    symbolic.errors.AnswerError: answer: a call of a lambda (column 2) is refused: only named mathematical functions may be called
    """
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a string, got {type(text).__name__}")
    symbols = dict(symbols or {})
    if len(text) > MAX_LENGTH:
        raise AnswerError(f"{name}: the string has {len(text)} characters (at most {MAX_LENGTH})")
    if not text.strip():
        raise AnswerError(f"{name}: could not read an empty string")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        detail = getattr(exc, "msg", None) or str(exc)
        col = getattr(exc, "offset", None)
        where = f" at column {col}" if col else ""
        used = _keyword_used_as_name(text.strip())
        if used is not None and not new_symbols:
            # "1/lambda": a keyword where a name belongs is a name the model does not know
            raise AnswerError(f"{name}: " + _unknown_name(used[0], symbols, coordinates, f" (column {used[1] + 1})")) from None
        raise AnswerError(f"{name}: could not read {_short(text)!r}{where}: {detail}") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_NODES:
        raise AnswerError(f"{name}: the expression has {count} syntax nodes (at most {MAX_NODES})")
    reader = _Reader(text.strip(), symbols, name, new_symbols, coordinates)
    try:
        return reader.read(tree)
    except RecursionError:
        raise AnswerError(f"{name}: the expression is nested too deeply") from None


def to_sympy(value, name, symbols=None, *, new_symbols=True):
    """A user's value as a sympy object: strings through :func:`parse_expression`, numbers and
    sympy objects through ``sympify(..., strict=True)``.

    Use it wherever a public argument may be a number, a sympy expression or a string.

    Parameters
    ----------
    value : str, int, float, numpy scalar, sympy object
    name : str
        The parameter's name, for the messages.
    symbols : mapping of str to sympy.Symbol, optional
        The names a string may use.
    new_symbols : bool
        Let a string name other symbols (read as plain Symbols); see :func:`parse_expression`.

    Raises
    ------
    TypeError
        ``None``, a ``bool``, a list or any other object that is not a number or a sympy object.
    AnswerError
        A string the parser refuses.

    Examples
    --------
    >>> to_sympy(0.5, "alpha")
    0.500000000000000
    >>> to_sympy("1 - 2*a", "alpha")
    1 - 2*a
    >>> to_sympy("a.b", "alpha")
    Traceback (most recent call last):
    ...
    symbolic.errors.AnswerError: alpha: attribute access (column 1) is refused: only numbers, the model's names, + - * / **, calls of mathematical functions and Matrix/Array/diag are allowed
    """
    if isinstance(value, str):
        return parse_expression(value, symbols, name=name, new_symbols=new_symbols)
    if isinstance(value, (bool, np.bool_)) or value is None:
        raise TypeError(f"{name} must be a number, a sympy expression or a string, got "
                        f"{type(value).__name__} {value!r}")
    if isinstance(value, (sp.Basic, sp.MatrixBase, sp.NDimArray)) or isinstance(value, (numbers.Number, np.number)):
        try:
            return sp.sympify(value, strict=True)
        except sp.SympifyError as exc:
            raise TypeError(f"{name} must be a number, a sympy expression or a string, got "
                            f"{type(value).__name__}") from exc
    raise TypeError(f"{name} must be a number, a sympy expression or a string, got "
                    f"{type(value).__name__} {_short(repr(value))}")
