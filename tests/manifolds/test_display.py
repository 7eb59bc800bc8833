"""Notebook display of manifolds and quantities (``_repr_html_``, ``_repr_latex_``, ``show``).

The formulas shown are compared with closed forms written by hand: the Normal family's
metric diag(1/sigma^2, 2/sigma^2) and Gaussian curvature -1/2 (Amari & Nagaoka 2000, ch. 2).
"""
import xml.etree.ElementTree as ET

import sympy as sp

from manifolds import Normal, Poisson

SIGMA = sp.Symbol("sigma", positive=True)
NORMAL_METRIC = sp.Matrix([[1, 0], [0, 2]]) / SIGMA**2


def test_manifold_html_is_well_formed_and_shows_the_metric():
    M = Normal()
    text = M._repr_html_()
    table = ET.fromstring(text)                     # well-formed XHTML fragment
    cells = {row[0].text: row[1].text for row in table}
    assert cells["family"] == "Normal"
    assert cells["coordinates"] == r"\((\mu, \sigma)\)"
    assert cells["domain"] == "mu real; sigma > 0"
    assert cells["Fisher metric"] == rf"\(g = {sp.latex(NORMAL_METRIC)}\)"


def test_showing_a_manifold_derives_only_its_metric():
    M = Normal()
    M._repr_html_()
    M._repr_latex_()
    assert not any(isinstance(k, tuple) and k[0] == "chain" for k in M._cache)


def test_quantities_table():
    table = Normal().show("fisher_metric", "gaussian_curvature")
    latex = table._repr_latex_()
    assert latex.startswith(r"$\displaystyle \begin{aligned}") and latex.endswith(r"\end{aligned}$")
    assert f"g &= {sp.latex(NORMAL_METRIC)}" in latex and r"K &= - \frac{1}{2}" in latex
    rows = ET.fromstring(table._repr_html_()).findall("tr")
    assert [r[0].text for r in rows] == ["fisher_metric", "gaussian_curvature"]
    assert repr(table).splitlines()[-1] == "gaussian_curvature: -1/2"


def test_html_escapes_what_it_shows():
    # the '&' column separators of a LaTeX matrix are escaped in the HTML and come back intact
    text = Normal().show("fisher_metric")._repr_html_()
    assert r"\frac{1}{\sigma^{2}} &amp; 0" in text
    cell = ET.fromstring(text).find("tr")[1].text
    assert cell == rf"\(g = {sp.latex(NORMAL_METRIC)}\)"


def test_default_show_is_metric_and_scalar_curvature():
    assert Poisson().show().names == ("fisher_metric", "scalar_curvature")
