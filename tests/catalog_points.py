"""The catalog list shared by the test battery: (name, constructor) pairs, plus the
scipy.stats law of each family at a point, an independent reference for the declarations.
"""
import numpy as np
import pytest
import scipy.stats as st

from manifolds import CATALOG
from manifolds.catalog import TYPICAL_CONSTANTS


def build(name):
    """The family ``name`` of the catalog, its symbolic constants bound to the catalog's typical
    values (the numeric layer refuses a constant without a value; the symbolic layer keeps the
    symbol either way).
    """
    for n, cls, args in CATALOG:
        if n == name:
            M = cls(*args)
            return M.with_constants(**TYPICAL_CONSTANTS[n]) if n in TYPICAL_CONSTANTS else M
    raise KeyError(name)


NAMES = [n for n, _, _ in CATALOG]

# Families whose exact derivations take seconds (sums over the 5-parameter bivariate normal,
# the Cauchy integrals by residues, Bessel functions of the von Mises); their cases carry the
# slow marker.
SLOW_FAMILIES = ("MultivariateNormal(2)", "Cauchy", "VonMises")


def params(names):
    """``names`` as pytest parameters, the slow families marked ``slow``."""
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_FAMILIES else n for n in names]


def scipy_law(name, point, constants):
    """The same distribution in scipy.stats (location/scale conventions translated)."""
    p = point
    if name == "Bernoulli":
        return st.bernoulli(p[0])
    if name == "Binomial":
        return st.binom(int(constants["n"]), p[0])
    if name == "Geometric":
        return st.geom(p[0], loc=-1)
    if name == "Poisson":
        return st.poisson(p[0])
    if name == "Exponential":
        return st.expon(scale=1 / p[0])
    if name == "NormalMean":
        return st.norm(p[0], constants["sigma"])
    if name == "Normal":
        return st.norm(p[0], p[1])
    if name == "Gamma":
        return st.gamma(p[0], scale=1 / p[1])
    if name == "Beta":
        return st.beta(p[0], p[1])
    if name == "InverseGaussian":
        return st.invgauss(p[0] / p[1], scale=p[1])
    if name == "LogNormal":
        return st.lognorm(p[1], scale=np.exp(p[0]))
    if name == "Cauchy":
        return st.cauchy(p[0], p[1])
    if name == "StudentT":
        return st.t(constants["nu"], p[0], p[1])
    if name == "Laplace":
        return st.laplace(p[0], constants["b"])
    if name == "VonMises":
        return st.vonmises(p[1], loc=p[0])
    if name == "Dirichlet(3)":
        return st.dirichlet(np.asarray(p))
    if name == "Categorical(3)":
        return st.multinomial(1, [p[0], p[1], 1 - p[0] - p[1]])
    if name == "MultivariateNormal(2)":
        return st.multivariate_normal(p[:2], [[p[2], p[3]], [p[3], p[4]]])
    raise KeyError(name)
