"""Optimisation on statistical manifolds: natural gradient, mirror descent, landscapes.

:mod:`numeric.optim.gradient_methods` (descent, flows, Fisher scoring, mirror descent) and
:mod:`numeric.optim.landscape` (Hessian spectra, conditioning) work on plain callables;
:mod:`numeric.optim.linalg` holds the damped solves they share with the network diagnostics.
The modules import scipy, so this package loads them on first use.
"""
import importlib

__all__ = ["gradient_methods", "landscape", "linalg"]


def __getattr__(name):
    if name in __all__:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
