"""Numerics: sympy expressions compiled into cached numba kernels, and what runs on them.

The subpackages follow the pipeline (``docs/architecture.md``):

- :mod:`numeric.compile` -- printer, kernels, on-disk cache, special functions;
- :mod:`numeric.geodesics` -- the DOP853 integrator, shooting, closed-form distances, the
  mpmath reference;
- :mod:`numeric.optim` -- natural gradient, mirror descent, landscapes, damped solves;
- :mod:`numeric.nn` -- activations, MLPs, supervised Fisher diagnostics, RFIM blocks, K-FAC,
  RNGD, CUDA kernels.

``numeric`` never imports ``manifolds`` (imports go one way: manifolds -> symbolic, numeric).
"""
import importlib

from symbolic.version import __version__

from . import compile, geodesics
from .compile import Kernel, compile_kernel, compile_kernels
from .geodesics import (
    GeodesicSolver,
    IntegrationStatus,
    ShootingResult,
    ShootingStatus,
    Solution,
    VariationalSolution,
    compile_geodesic,
    shoot,
)

__all__ = [
    "__version__",
    "GeodesicSolver", "IntegrationStatus", "Kernel", "ShootingResult", "ShootingStatus", "Solution",
    "VariationalSolution", "compile", "compile_geodesic", "compile_kernel", "compile_kernels",
    "geodesics", "nn", "optim", "shoot",
]

# Imported on first use: they pull in scipy (about 0.35 s), which a process that only
# computes geodesics and distances does not need.
_LAZY = ("nn", "optim")


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
