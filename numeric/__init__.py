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

# Names resolved on first use, so that importing a numpy-only module such as
# numeric.geodesics.distances (the catalog does) loads neither numba nor scipy.
_LAZY = {
    "compile": None, "geodesics": None, "nn": None, "optim": None,
    "Kernel": "compile", "compile_kernel": "compile", "compile_kernels": "compile",
    "GeodesicSolver": "geodesics", "IntegrationStatus": "geodesics", "ShootingResult": "geodesics",
    "ShootingStatus": "geodesics", "Solution": "geodesics", "VariationalSolution": "geodesics",
    "compile_geodesic": "geodesics", "shoot": "geodesics",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    home = _LAZY[name]
    value = importlib.import_module(f".{name if home is None else home}", __name__)
    if home is not None:
        value = getattr(value, name)
    globals()[name] = value
    return value
