r"""LaTeX for lecture notes: Greek coordinates, polygamma as :math:`\psi^{(n)}`, and tensors
written as their labelled components.

sympy prints a symbol named ``lam`` as ``lam`` (``lambda`` is a Python keyword, so the catalog
names the coordinate ``lam``) and ``polygamma(1, a)`` as ``\operatorname{polygamma}``; a
Christoffel array prints as nested matrices whose index order the reader has to guess. Here
``lam`` prints as :math:`\lambda`, ``polygamma(n, z)`` as :math:`\psi^{(n)}(z)`, and a
three- or four-index quantity of a manifold as the list of its non-zero components with their
indices in the order of :mod:`symbolic.conventions` (:math:`\Gamma^k{}_{ij}` for ``[k, i, j]``).
"""
from __future__ import annotations

import itertools
import re

import sympy as sp
from sympy.printing.latex import LatexPrinter

__all__ = ["latex", "quantity_latex"]

__all__ = ["latex", "quantity_latex", "GREEK_ALIASES"]

#: Symbol names that stand for a Greek letter sympy does not recognise.
GREEK_ALIASES = {"lam": "lambda", "lamda": "lambda"}

_NAME = re.compile(r"^([A-Za-z]+?)(_?)(\d*)$")


def _symbol_names(expr):
    names = {}
    for s in getattr(expr, "free_symbols", ()):
        m = _NAME.match(s.name)
        if m and m.group(1) in GREEK_ALIASES:
            base = "\\" + GREEK_ALIASES[m.group(1)]
            names[s] = base + (f"_{{{m.group(3)}}}" if m.group(3) else "")
    return names


class _Printer(LatexPrinter):
    def _print_polygamma(self, expr, exp=None):
        n, z = expr.args
        head = r"\psi" if n == 0 else rf"\psi^{{({self._print(n)})}}"
        text = rf"{head}\left({self._print(z)}\right)"
        return rf"\left({text}\right)^{{{exp}}}" if exp is not None else text

    def _print_digamma(self, expr, exp=None):
        return self._print_polygamma(sp.polygamma(0, expr.args[0], evaluate=False), exp)

    def _print_trigamma(self, expr, exp=None):
        return self._print_polygamma(sp.polygamma(1, expr.args[0], evaluate=False), exp)


def latex(expr, **settings):
    r"""``sympy.latex`` with Greek names for ``lam`` and :math:`\psi^{(n)}` for polygamma.

    Examples
    --------
    >>> import sympy as sp
    >>> lam, a = sp.symbols("lam a", positive=True)
    >>> latex(1 / lam + sp.polygamma(1, a))
    '\\psi^{(1)}\\left(a\\right) + \\frac{1}{\\lambda}'
    """
    settings.setdefault("symbol_names", _symbol_names(expr))
    return _Printer(settings).doprint(expr)


# quantity name -> (head, positions of upper indices, positions of lower indices, symmetric pair)
_LABELS = {
    "christoffel": (r"\Gamma", (0,), (1, 2)),
    "christoffel_2nd": (r"\Gamma", (0,), (1, 2)),
    "christoffel_1st": (r"\Gamma", (), (0, 1, 2)),
    "amari_chentsov": ("T", (), (0, 1, 2)),
    "riemann": ("R", (0,), (1, 2, 3)),
}


def _is_duplicate(name, idx):
    """Components that a symmetry repeats are listed once."""
    if name in ("christoffel", "christoffel_2nd"):
        return idx[1] > idx[2]
    if name == "christoffel_1st":
        return idx[0] > idx[1]
    if name == "amari_chentsov":
        return list(idx) != sorted(idx)
    if name == "riemann":
        return idx[2] > idx[3]
    return False


def quantity_latex(value, name=None, coordinates=()):
    r"""LaTeX of a manifold's quantity: a Matrix or scalar as itself, a Christoffel array, the
    Amari-Chentsov tensor or the Riemann tensor (``name`` as in ``StatisticalManifold.quantity``)
    as an ``aligned`` list of the non-zero components with their indices, the coordinates as
    index labels; components repeated by a symmetry are listed once.

    Examples
    --------
    >>> from manifolds import Poisson
    >>> M = Poisson()
    >>> print(quantity_latex(M.christoffel(), "christoffel", M.coordinates))
    \begin{aligned}\Gamma^{\lambda}{}_{\lambda\lambda} &= - \frac{1}{2 \lambda}\end{aligned}
    """
    if name not in _LABELS or not isinstance(value, sp.NDimArray) or not coordinates:
        return latex(value)
    head, upper, lower = _LABELS[name]
    labels = [latex(c) for c in coordinates]
    lines = []
    for idx in itertools.product(range(len(coordinates)), repeat=value.rank()):
        entry = value[idx]
        if entry == 0 or _is_duplicate(name, idx):
            continue
        up = "".join(labels[idx[p]] for p in upper)
        down = ("" if name != "christoffel_1st" else "") + "".join(
            labels[idx[p]] + ("," if name == "christoffel_1st" and p == 1 else "") for p in lower)
        sym = head + (f"^{{{up}}}{{}}" if up else "") + f"_{{{down}}}"
        lines.append(f"{sym} &= {latex(entry)}")
    if not lines:
        return rf"{head}_{{\cdot}} = 0 \text{{ (every component)}}"
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"
