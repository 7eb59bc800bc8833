"""Compile sympy expressions into numba kernels, cached on disk.

A kernel evaluates one quantity (a scalar, a Matrix or an N-dimensional Array) at points of
a manifold. :func:`compile_kernel` runs common-subexpression elimination jointly over all
entries, prints the result with :class:`KernelPrinter` (scalar ``math``-module code that
numba can type; special functions map to :mod:`numeric.compile.special`) and writes a Python module
holding two ``@njit(cache=True)`` functions per quantity:

``<name>_core(x, p, out)``
    the scalar core: ``x`` the coordinates (1-d, length n), ``p`` the parameters (1-d),
    ``out`` a preallocated array of shape :attr:`Kernel.core_shape` that it fills. It
    allocates nothing, so other ``njit`` code (an integrator, say) can call it in a loop.
``<name>_batch(x, p, out)``
    ``x`` of shape ``(m, n)``, ``out`` of shape ``(m, *core_shape)``: the m points on numba's
    number of threads, through the compiled serial loop ``<name>_rows(lo, hi, x, p, out)``
    (``nogil``; see :mod:`numeric.compile.rows`, which says why not ``prange``).

The module's name is a hash of the inputs and of the toolchain (see :mod:`numeric.compile.cache`),
so a second process finds the module, and numba's compiled code beside it, without
eliminating subexpressions, printing or compiling again.

:func:`build_module` is the building block underneath: it also generates boolean cores
(``inside_core(x, p)`` from a condition such as ``sigma > 0``) and appends further code, so
that :mod:`numeric.geodesics.integrate` compiles its integrator in the same cached module as the
Christoffel core it calls.

Conventions: batch axes first, coordinates last (``x.shape == (..., n)``); coordinate order
is the order of ``args``; output entries keep the index order of the sympy object (for a
Christoffel array ``out[k, i, j] = Γ^k_ij``).
"""
import itertools
import keyword
from collections.abc import Mapping

import numpy as np
import sympy

from symbolic.progress import progress
from symbolic.validation import real

from .cache import TOOLCHAIN, load_generated_module, module_key
from .printer import (
    KernelPrinter,
    polygamma_difference,
    rewrite_bessel,
    rewrite_polygamma_differences,
)

__all__ = ["Kernel", "build_module", "compile_kernel", "compile_kernels"]

# Local names the generated functions use themselves; user symbols must not shadow them.
_RESERVED = frozenset({
    "x", "p", "out", "i", "math", "njit", "prange", "abs", "min", "max", "int", "float",
    "range", "True", "False", "None",
})


class Kernel:
    """A compiled quantity, evaluated at points given as an array of shape ``(..., n)``.

    Made by :func:`compile_kernel` or :func:`compile_kernels`; not constructed directly.

    Attributes
    ----------
    name : str
    args : tuple of sympy.Symbol
        The coordinates, in the order of the last axis of ``x``.
    params : tuple of sympy.Symbol
        Extra scalar parameters, passed after ``x`` (positionally or by name).
    defaults : dict of str to float
        Values of the parameters that may be left out (by name); empty unless a caller
        binds some (:meth:`numeric.geodesics.integrate.GeodesicSolver.with_defaults`).
    shape : tuple of int
        Shape of the quantity at one point (``()`` for a scalar).
    core_shape : tuple of int
        Shape of the ``out`` argument of :attr:`core`: :attr:`shape`, or ``(1,)`` for a
        scalar.
    core : numba dispatcher
        ``core(x, p, out)`` (see :mod:`numeric.compile.kernels`), for use inside other ``njit`` code.
    batch : callable
        ``batch(x, p, out)`` with ``x`` of shape ``(m, n)``, parallel over the m points (on
        numba's number of threads, :func:`numeric.compile.rows.over_rows`).
    rows : numba dispatcher
        ``rows(lo, hi, x, p, out)``: the compiled loop over the points ``lo .. hi - 1``.
    source : str
        The generated module's source.
    path : str
        Where that source lives in the cache folder.
    """

    def __init__(self, name, args, params, shape, module, defaults=None):
        self.name = name
        self.args = tuple(args)
        self.params = tuple(params)
        self.defaults = dict(defaults or {})
        self.shape = tuple(shape)
        self.core_shape = self.shape or (1,)
        self.core = getattr(module, f"{name}_core")
        self.batch = getattr(module, f"{name}_batch")
        self.rows = getattr(module, f"{name}_rows")
        self.path = module.__file__
        self._param_names = [str(s) for s in self.params]

    @property
    def source(self):
        """The generated module's source, read from :attr:`path`."""
        with open(self.path, encoding="utf-8") as handle:
            return handle.read()

    def __repr__(self):
        return (
            f"Kernel(name={self.name!r}, args={self.args}, params={self.params}, "
            f"shape={self.shape})"
        )

    def _parameter_array(self, values, named):
        values = list(values)
        if len(values) > len(self.params):
            raise ValueError(
                f"{self.name} takes {len(self.params)} parameter(s) "
                f"{tuple(self._param_names)}, got {len(values)}"
            )
        for key in named:
            if key not in self._param_names:
                raise ValueError(
                    f"{self.name} has no parameter {key!r}; its parameters are "
                    f"{tuple(self._param_names)}"
                )
        p = np.empty(len(self.params))
        for k, pname in enumerate(self._param_names):
            if k < len(values):
                if pname in named:
                    raise ValueError(f"parameter {pname} given twice")
                value = values[k]
            elif pname in named:
                value = named[pname]
            elif pname in self.defaults:
                value = self.defaults[pname]
            else:
                raise ValueError(f"missing parameter {pname} of {self.name}")
            p[k] = real(pname, value)  # TypeError for a non-number, DomainError for nan/inf
        return p

    def check_points(self, x, name="x"):
        """``x`` as a float64 array of shape (..., n); TypeError (not real numbers) or
        ValueError (shape, NaN, infinity) naming ``name``.
        """
        n = len(self.args)
        if isinstance(x, (str, bytes)):
            raise TypeError(f"{name} must hold real numbers, got {type(x).__name__} {x!r:.60}")
        try:
            x = np.asarray(x)
        except (TypeError, ValueError) as exc:  # ragged nested lists and the like
            raise ValueError(f"{name} must be an array of shape (..., {n}): {exc}") from exc
        if x.dtype.kind not in "biuf":
            # a wrong type (docs/errors.md): strings, objects, complex numbers
            raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
        x = x.astype(np.float64, copy=False)
        if x.ndim == 0 and n == 1:
            x = x.reshape(1)
        if x.ndim == 0 or x.shape[-1] != n:
            names = ", ".join(map(str, self.args))
            raise ValueError(
                f"{name} must have shape (..., {n}), the last axis holding the coordinates "
                f"({names}); got shape {x.shape}"
            )
        finite = np.isfinite(x)
        if not finite.all():
            where = tuple(int(i) for i in np.argwhere(~finite)[0])
            raise ValueError(f"{name} must be finite, got {name}[{where}] = {x[where]}")
        return x

    def __call__(self, x, *params, **named):
        """Evaluate at the points ``x``.

        Parameters
        ----------
        x : array_like, shape (..., n)
            Points (a scalar is accepted when n = 1).
        *params, **named : float
            The kernel's parameters, in the order of :attr:`params` or by name.

        Returns
        -------
        numpy.ndarray, shape (..., *shape)
            float64; a numpy scalar for a scalar quantity at a single point.
        """
        x = self.check_points(x)
        p = self._parameter_array(params, named)
        batch_shape = x.shape[:-1]
        points = np.ascontiguousarray(x.reshape(-1, x.shape[-1]))
        out = np.empty((points.shape[0],) + self.core_shape)
        kind = "core" if points.shape[0] == 1 else "batch"
        # numba compiles (or loads from its cache) each function on its first call
        first = kind not in self.__dict__.setdefault("_called", set())
        self._called.add(kind)
        with progress(f"kernel {self.name!r}: first call, compiling", show=first):
            if points.shape[0] == 1:
                # skip the parallel launch for a single point
                self.core(points[0], p, out[0])
            elif points.shape[0] > 1:
                self.batch(points, p, out)
        result = out.reshape(batch_shape + self.shape)
        return result[()] if result.ndim == 0 else result


def _as_sympy_array(expr):
    """(shape, flat entries in row-major order) of a scalar, Matrix, Array or nested list."""
    if isinstance(expr, (list, tuple)):
        expr = sympy.Array(expr)
    if isinstance(expr, (sympy.MatrixBase, sympy.NDimArray)):
        shape = tuple(int(s) for s in expr.shape)
        entries = [sympy.sympify(expr[idx], strict=True) for idx in itertools.product(*map(range, shape))]
        return shape, entries
    expr = sympy.sympify(expr, strict=True)
    if not isinstance(expr, sympy.Expr):
        raise ValueError(f"expr must be a sympy expression, Matrix or Array, got {expr!r}")
    return (), [expr]


def _local_names(args, params):
    """Readable, collision-free Python names for the coordinate and parameter symbols."""
    names = {}
    used = set()
    for prefix, symbols in (("_x", args), ("_p", params)):
        for k, s in enumerate(symbols):
            name = str(s)
            clash = (
                not name.isidentifier()
                or keyword.iskeyword(name)
                or name.startswith("_")
                or name in _RESERVED
                or name in used
            )
            names[s] = f"{prefix}{k}" if clash else name
            used.add(names[s])
    return names


def _check_symbols(kind, symbols):
    symbols = tuple(symbols)
    for s in symbols:
        if not isinstance(s, sympy.Symbol):
            raise ValueError(f"{kind} must be sympy Symbols, got {s!r}")
    if len(set(symbols)) != len(symbols):
        raise ValueError(f"{kind} contains a symbol twice: {symbols}")
    return symbols


# Highest order with a fused implementation in numeric.compile.special (polygamma_upto<m>).
_FUSED_POLYGAMMA_MAX = 4


def _fuse_polygammas(entries):
    """Share the polygammas of one argument and the differences of one pair of arguments.

    Where ``polygamma(n, z)`` occurs for two or more orders ``1 <= n <= 4`` of the same ``z``
    (a metric's ``trigamma`` and the ``polygamma(2, z)`` of its Christoffel symbols, say),
    the orders are replaced by symbols that one call of
    :func:`numeric.compile.special.polygamma_upto2` (``3``, ``4``) computes together, at about
    the cost of one separate call. Each ``polygamma_difference(n, x, s)``, ``1 <= n <= 4``,
    is replaced likewise by a symbol of one
    :func:`numeric.compile.special.polygamma_difference_upto2` (``3``, ``4``) call per pair
    ``(x, s)``, which is handed the fused polygammas of ``x + s`` (computed for it if the
    entries do not hold them), so that a well-conditioned difference costs one fused
    evaluation at ``x``.

    Returns
    -------
    (entries, fused, differences)
        The rewritten entries; ``[(symbols, z), ...]`` where ``symbols[n - 1]`` stands for
        ``polygamma(n, z)``, ``n = 1 .. len(symbols)``; and ``[(symbols, x, s, reference),
        ...]`` where ``symbols[n - 1]`` stands for ``polygamma_difference(n, x, s)`` and
        ``reference`` are the symbols of the polygammas of ``x + s``.
    """
    orders = {}
    difference_orders = {}
    for e in entries:
        for call in e.atoms(sympy.polygamma):
            n, z = call.args
            if n.is_Integer and 1 <= n <= _FUSED_POLYGAMMA_MAX:
                orders.setdefault(z, set()).add(int(n))
        for call in e.atoms(polygamma_difference):
            n, x, s = call.args
            if n.is_Integer and 1 <= n <= _FUSED_POLYGAMMA_MAX:
                difference_orders.setdefault((x, s), set()).add(int(n))
    for (x, s), needed in difference_orders.items():
        # the fused difference needs the reference's orders 1 .. its own highest (at least 2)
        orders.setdefault(x + s, set()).update(range(1, max(2, *needed) + 1))
    mapping = {}
    fused = []
    jets = {}
    for z in sorted(orders, key=sympy.default_sort_key):
        if len(orders[z]) < 2:
            continue
        g = len(fused)
        symbols = tuple(sympy.Symbol(f"_pg{g}_{n}") for n in range(1, max(orders[z]) + 1))
        for n in orders[z]:
            mapping[sympy.polygamma(n, z)] = symbols[n - 1]
        fused.append((symbols, z))
        jets[z] = symbols
    differences = []
    for x, s in sorted(difference_orders, key=sympy.default_sort_key):
        g = len(differences)
        top = max(2, *difference_orders[(x, s)])
        symbols = tuple(sympy.Symbol(f"_pd{g}_{n}") for n in range(1, top + 1))
        for n in difference_orders[(x, s)]:
            mapping[polygamma_difference(n, x, s)] = symbols[n - 1]
        differences.append((symbols, x, s, jets[x + s][:top]))
    if mapping:
        entries = [e.xreplace(mapping) for e in entries]
    return entries, fused, differences


def _function_source(name, args, params, shape, entries):
    """Source lines of ``<name>_core`` and ``<name>_batch``, plus the specials they use."""
    names = _local_names(args, params)
    free = set().union(*(e.free_symbols for e in entries)) if entries else set()
    unknown = free - set(names)
    if unknown:
        raise ValueError(
            f"expression for {name!r} has free symbols {sorted(map(str, unknown))} that are "
            f"neither args {args} nor params {params}"
        )
    entries, fused, differences = _fuse_polygammas(entries)
    replacements, reduced = sympy.cse(
        entries, symbols=sympy.numbered_symbols("_t"), order="none"
    )
    symbol_names = dict(names)
    symbol_names.update({t: str(t) for t, _ in replacements})
    for symbols, *_ in fused + differences:
        symbol_names.update({s: str(s) for s in symbols})
    printer = KernelPrinter({"symbol_names": symbol_names})

    def code(e):
        try:
            return printer.doprint(e)
        except ValueError:
            raise
        except NotImplementedError as exc:  # sympy's PrintMethodNotImplementedError
            raise ValueError(f"cannot compile {name!r}: {exc}") from exc

    lines = [
        "",
        "@njit(cache=True, error_model='numpy')",
        f"def {name}_core(x, p, out):",
    ]
    body = []
    for array, symbols in (("x", args), ("p", params)):
        for k, s in enumerate(symbols):
            if s not in free:
                continue  # a core reads only what it uses: x may be shorter than args
            renamed = f"  # {s}" if names[s] != str(s) else ""
            body.append(f"{names[s]} = {array}[{k}]{renamed}")
    for symbols, z in fused:
        function = f"polygamma_upto{len(symbols)}"
        printer.special_functions.add(function)
        body.append(f"{', '.join(map(str, symbols))} = _sp_{function}({code(z)})")
    for symbols, x, s, reference in differences:
        function = f"polygamma_difference_upto{len(reference)}"
        printer.special_functions.add(function)
        arguments = ", ".join([code(x), code(s), *map(str, reference)])
        body.append(f"{', '.join(map(str, symbols))} = _sp_{function}({arguments})")
    for t, value in replacements:
        body.append(f"{t} = {code(value)}")
    indices = list(itertools.product(*map(range, shape))) if shape else [(0,)]
    for idx, value in zip(indices, reduced, strict=True):
        target = ", ".join(map(str, idx))
        body.append(f"out[{target}] = {code(value)}")
    lines += ["    " + line for line in body]
    lines += [
        "",
        "",
        "@njit(cache=True, error_model='numpy', nogil=True)",
        f"def {name}_rows(lo, hi, x, p, out):",
        "    for i in range(lo, hi):",
        f"        {name}_core(x[i], p, out[i])",
        "",
        "",
        f"def {name}_batch(x, p, out):",
        f"    _over_rows({name}_rows, x.shape[0], x, p, out)",
        "",
    ]
    return lines, printer.special_functions


def _predicate_source(name, args, params, condition):
    """Source lines of ``<name>_core(x, p) -> bool`` from a sympy condition."""
    names = _local_names(args, params)
    condition = sympy.sympify(condition, strict=True)
    if not isinstance(condition, sympy.logic.boolalg.Boolean):
        raise ValueError(f"{name} must be a sympy condition (e.g. sigma > 0), got {condition!r}")
    unknown = condition.free_symbols - set(names)
    if unknown:
        raise ValueError(
            f"condition {name!r} has free symbols {sorted(map(str, unknown))} that are "
            f"neither args {args} nor params {params}"
        )
    printer = KernelPrinter({"symbol_names": names})
    if condition is sympy.true:
        test = "True"
    elif condition is sympy.false:
        test = "False"
    else:
        test = printer.doprint(condition)
    body = []
    for array, symbols in (("x", args), ("p", params)):
        for k, s in enumerate(symbols):
            if s in condition.free_symbols:
                body.append(f"{names[s]} = {array}[{k}]")
    body.append(f"return {test}")
    lines = [
        "",
        "@njit(cache=True, error_model='numpy')",
        f"def {name}_core(x, p):",
        *("    " + line for line in body),
        "",
    ]
    return lines, printer.special_functions


def _module_source(args, params, outputs, predicates, extra_source, extra_imports):
    header = [
        '"""Generated by numeric.compile.kernels; do not edit (the file name is a content hash)."""',
        f"# coordinates: {', '.join(map(str, args)) or '-'}",
        f"# parameters:  {', '.join(map(str, params)) or '-'}",
    ]
    bodies = []
    specials = set()
    for name, (shape, entries) in outputs.items():
        header.append(f"# {name}: shape {shape}")
        lines, used = _function_source(name, args, params, shape, entries)
        bodies += ["", *lines]
        specials |= used
    for name, condition in predicates.items():
        header.append(f"# {name}: {condition}")
        lines, used = _predicate_source(name, args, params, condition)
        bodies += ["", *lines]
        specials |= used
    header += ["import math", "", "import numpy as np", "from numba import njit, prange", "",
               "from numeric.compile.rows import over_rows as _over_rows"]
    if specials:
        imported = ", ".join(f"{f} as _sp_{f}" for f in sorted(specials))
        header.append(f"from numeric.compile.special import {imported}")
    header += list(extra_imports)
    return "\n".join(header + bodies + ["", extra_source]).rstrip() + "\n"


def _prepare_outputs(exprs, rewrite):
    if not isinstance(exprs, Mapping):
        raise ValueError("exprs must be a mapping from names to expressions")
    outputs = {}
    for name, expr in exprs.items():
        if not (isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)):
            raise ValueError(f"kernel name must be a Python identifier, got {name!r}")
        shape, entries = _as_sympy_array(expr)
        if rewrite:
            entries = [rewrite_polygamma_differences(rewrite_bessel(e)) for e in entries]
        outputs[name] = (shape, entries)
    return outputs


def build_module(args, params, exprs, predicates=None, rewrite=True, extra_source="",
                 extra_imports=(), depends_on=()):
    """Generate, cache and import a module of kernel cores plus optional extra code.

    The building block of :func:`compile_kernels`, also used by integrators that must be
    compiled in the same module as the cores they call (numba caches a function only
    together with the module that defines it; a core passed as an argument is typed by its
    identity and recompiled in every process).

    Parameters
    ----------
    args, params : sequence of sympy.Symbol
    exprs : mapping of str to sympy expression, Matrix or Array
        Each gives ``<name>_core(x, p, out)`` and ``<name>_batch(x, p, out)``.
    predicates : mapping of str to sympy condition, optional
        Each gives ``<name>_core(x, p) -> bool`` (e.g. a domain test ``sigma > 0``).
    rewrite : bool
        Apply :func:`numeric.compile.printer.rewrite_bessel` and
        :func:`numeric.compile.printer.rewrite_polygamma_differences` to ``exprs``.
    extra_source : str
        Python source appended to the module; it may call the generated cores by name.
    extra_imports : sequence of str
        Import lines for the extra source.
    depends_on : sequence of str
        Further files of the ``numeric`` package whose content the extra source depends on
        (part of the cache key).

    Returns
    -------
    (module, outputs)
        The imported module, and ``{name: (shape, entries)}`` of the prepared ``exprs``.
    """
    args = _check_symbols("args", args)
    params = _check_symbols("params", params)
    if set(args) & set(params):
        raise ValueError(f"params {params} overlap with args {args}")
    outputs = _prepare_outputs(exprs, rewrite)
    predicates = {k: sympy.sympify(v, strict=True) for k, v in (predicates or {}).items()}
    for name in predicates:
        if name in outputs or not name.isidentifier():
            raise ValueError(f"predicate name {name!r} is not a free Python identifier")
    key = module_key(
        [sympy.srepr(args), sympy.srepr(params)]
        + [f"{name}{shape}{sympy.srepr(entries)}" for name, (shape, entries) in outputs.items()]
        + [f"{name}:{sympy.srepr(c)}" for name, c in predicates.items()]
        + [extra_source, *extra_imports],
        depends_on=(*TOOLCHAIN, *depends_on),
    )
    module = load_generated_module(
        key,
        lambda: _module_source(args, params, outputs, predicates, extra_source, extra_imports),
    )
    return module, outputs


def compile_kernels(args, exprs, params=(), rewrite=True):
    """Compile several named quantities into one cached module.

    One module means one file and one import; each quantity still gets its own fused core
    (one ``cse`` over all of its entries), and numba compiles a function only when it is
    first called, so unused quantities cost nothing.

    Parameters
    ----------
    args : sequence of sympy.Symbol
        Coordinates; their order is the order of the last axis of ``x``.
    exprs : mapping of str to sympy expression, Matrix or Array
        Quantities by name; names must be Python identifiers.
    params : sequence of sympy.Symbol, optional
        Extra scalar parameters (e.g. ``alpha``).
    rewrite : bool, optional
        Apply :func:`numeric.compile.printer.rewrite_bessel` and
        :func:`numeric.compile.printer.rewrite_polygamma_differences` first (default), so
        Bessel ratios stay finite and differences of polygammas keep their digits.

    Returns
    -------
    dict of str to Kernel

    Examples
    --------
    >>> import sympy
    >>> mu, s = sympy.symbols("mu sigma", real=True)
    >>> g = sympy.Matrix([[1 / s**2, 0], [0, 2 / s**2]])
    >>> ks = compile_kernels([mu, s], {"metric": g, "volume": sympy.sqrt(g.det())})
    >>> ks["metric"]([0.0, 2.0]).tolist(), float(ks["volume"]([0.0, 2.0]))
    ([[0.25, 0.0], [0.0, 0.5]], 0.3535533905932738)
    """
    if not isinstance(exprs, Mapping) or not exprs:
        raise ValueError("exprs must be a non-empty mapping from names to expressions")
    module, outputs = build_module(args, params, exprs, rewrite=rewrite)
    return {
        name: Kernel(name, tuple(args), tuple(params), shape, module)
        for name, (shape, _) in outputs.items()
    }


def compile_kernel(args, expr, name="kernel", params=(), rewrite=True):
    """Compile a sympy scalar, Matrix or Array into a batched numba kernel.

    Parameters
    ----------
    args : sequence of sympy.Symbol
        Coordinates; their order is the order of the last axis of ``x``.
    expr : sympy expression, Matrix, Array or nested list
        The quantity. Supported: arithmetic, powers, ``exp``, ``log``, ``sqrt``,
        trigonometric and hyperbolic functions, ``Abs``, ``sign``, ``Min``, ``Max``,
        ``Piecewise``, ``Heaviside``, ``gamma``, ``loggamma``, ``polygamma`` (so ``digamma``
        and ``trigamma``), ``besseli`` of integer order, ``erf``.
    name : str, optional
        A Python identifier, used for the generated functions.
    params : sequence of sympy.Symbol, optional
        Extra scalar parameters, passed after ``x`` when calling the kernel.
    rewrite : bool, optional
        Apply the rewrites of :func:`compile_kernels` first (default).

    Returns
    -------
    Kernel
        ``K(x, *params)`` for ``x`` of shape ``(..., n)`` returns shape ``(..., *K.shape)``.

    Raises
    ------
    ValueError
        If a symbol is neither in ``args`` nor ``params``, or a function is not supported.

    Examples
    --------
    >>> import sympy
    >>> a, b = sympy.symbols("a b", positive=True)
    >>> K = compile_kernel([a, b], sympy.polygamma(1, a) - sympy.polygamma(1, a + b),
    ...                    name="beta_g00")
    >>> K.shape, round(float(K([1.0, 1.0])), 12)    # pi**2/6 - (pi**2/6 - 1)
    ((), 1.0)
    >>> K([[1.0, 1.0], [2.0, 3.0]]).shape
    (2,)
    """
    return compile_kernels(args, {name: expr}, params=params, rewrite=rewrite)[name]
