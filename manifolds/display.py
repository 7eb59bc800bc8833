r"""How a manifold and its quantities look in a notebook: ``_repr_html_`` and ``_repr_latex_``.

Jupyter shows :class:`~manifolds.StatisticalManifold` objects through these, and
:meth:`~manifolds.StatisticalManifold.show` returns a :class:`Quantities` table of derived
quantities (typeset by MathJax in the notebook; the LaTeX form pastes into lecture notes).
Only the quantities asked for are derived: showing a manifold derives its metric, nothing more.

Examples
--------
>>> from manifolds import Poisson
>>> table = Poisson().show("fisher_metric", "scalar_curvature")
>>> print(table._repr_latex_())
$\displaystyle \begin{aligned} g &= \left[\begin{matrix}\frac{1}{lam}\end{matrix}\right] \\ R &= 0\end{aligned}$
"""
from __future__ import annotations

import html

import sympy as sp

__all__ = ["Quantities", "SYMBOLS", "manifold_html", "manifold_latex"]

#: How each quantity is written on the left of its formula.
SYMBOLS = {
    "fisher_metric": "g", "metric": "g", "inverse_metric": "g^{-1}",
    "christoffel": r"\Gamma^{k}_{ij}", "christoffel_2nd": r"\Gamma^{k}_{ij}", "christoffel_1st": r"\Gamma_{ij,k}",
    "amari_chentsov": "T_{ijk}", "riemann": "R^{i}{}_{jkl}", "ricci": "R_{jl}", "scalar_curvature": "R",
    "gaussian_curvature": "K", "natural_parameters": r"\theta", "log_partition": "F(\\theta)",
    "expectation_parameters": r"\eta", "dual_potential": r"F^{*}(\eta)",
    "kl_divergence": r"\mathrm{KL}",
}


def _coordinates(M):
    return ", ".join(sp.latex(c) for c in M.coordinates)


def manifold_latex(M):
    """The manifold on one LaTeX line: its name, coordinates and Fisher metric."""
    return rf"$\text{{{M.name}}}\ ({_coordinates(M)}):\quad g = {sp.latex(M.fisher_metric())}$"


def manifold_html(M):
    """A small table: family, coordinates, domain and Fisher metric (math typeset by MathJax)."""
    domain = "; ".join(f"{p.name} {p.domain_text()}" for p in M.parameters)
    rows = [("family", html.escape(M.name)),
            ("coordinates", rf"\(({html.escape(_coordinates(M))})\)"),
            ("domain", html.escape(domain)),
            ("Fisher metric", rf"\(g = {html.escape(sp.latex(M.fisher_metric()))}\)")]
    body = "".join(f"<tr><th style='text-align:left'>{k}</th><td style='text-align:left'>{v}</td></tr>"
                   for k, v in rows)
    return f"<table class='infogeom-manifold'>{body}</table>"


class Quantities:
    """Derived quantities of a manifold, shown as a table in a notebook (``M.show(...)``)."""

    def __init__(self, manifold, names):
        self.manifold = manifold
        self.names = tuple(names)
        self.values = [manifold.quantity(name) for name in self.names]

    def _label(self, name):
        return SYMBOLS.get(name, r"\text{" + str(name).replace("_", r"\_") + "}")

    def _repr_latex_(self):
        lines = [f"{self._label(n)} &= {sp.latex(v)}" for n, v in zip(self.names, self.values, strict=True)]
        return r"$\displaystyle \begin{aligned} " + r" \\ ".join(lines) + r"\end{aligned}$"

    def _repr_html_(self):
        rows = "".join(f"<tr><td>{html.escape(str(n))}</td><td>\\({html.escape(self._label(n))} = "
                       f"{html.escape(sp.latex(v))}\\)</td></tr>"
                       for n, v in zip(self.names, self.values, strict=True))
        return (f"<table class='infogeom-quantities'><caption>{html.escape(self.manifold.name)}</caption>"
                f"{rows}</table>")

    def __repr__(self):
        return "\n".join(f"{n}: {sp.sstr(v)}" for n, v in zip(self.names, self.values, strict=True))
