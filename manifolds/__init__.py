"""The catalog of statistical manifolds and the object a person holds in the REPL.

>>> from manifolds import Normal
>>> Normal().fisher_metric()
Matrix([
[sigma**(-2),           0],
[          0, 2/sigma**2]])
"""
import importlib

from symbolic.errors import AnswerError, DeclarationError, DerivationError, DomainError, NotClosedFormError
from symbolic.version import __version__

from .base import StatisticalManifold
from .catalog import (
    CATALOG,
    Bernoulli,
    Beta,
    Binomial,
    Categorical,
    Cauchy,
    Dirichlet,
    Exponential,
    Gamma,
    Geometric,
    InverseGaussian,
    Laplace,
    LogNormal,
    MultivariateNormal,
    Normal,
    NormalMean,
    Poisson,
    StudentT,
    VonMises,
)
from .neuron import Neuron

__all__ = [
    "__version__",
    "StatisticalManifold", "CATALOG", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy",
    "Dirichlet", "Exponential", "Gamma", "Geometric", "InverseGaussian", "Laplace", "LogNormal",
    "MultivariateNormal", "Normal", "NormalMean", "Poisson", "StudentT", "VonMises", "Neuron",
    "optim", "MixtureFamily", "AnswerError", "DeclarationError", "DerivationError", "DomainError", "NotClosedFormError",
]


def __getattr__(name):
    # manifolds.optim imports numeric.optim.gradient_methods and with it scipy: on first use only
    if name == "optim":
        module = importlib.import_module(".optim", __name__)
        globals()[name] = module
        return module
    if name == "MixtureFamily":     # manifolds.mixtures loads scipy too
        from .mixtures import MixtureFamily

        globals()[name] = MixtureFamily
        return MixtureFamily
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
