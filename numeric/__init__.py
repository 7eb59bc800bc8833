"""Numerics: sympy expressions compiled into cached numba kernels, and what runs on them.

``numeric`` never imports ``manifolds`` (imports go one way: manifolds -> symbolic, numeric).
"""
import importlib

from . import distances, shooting, special
from .codegen import Kernel, compile_kernel, compile_kernels
from .integrate import GeodesicSolver, IntegrationError, Solution, Status, VariationalSolution, compile_geodesic
from .shooting import ShootingError, ShootingResult, ShootingStatus, shoot

__all__ = [
    "GeodesicSolver",
    "IntegrationError",
    "Kernel",
    "Solution",
    "Status",
    "compile_geodesic",
    "compile_kernel",
    "compile_kernels",
    "special",
    "blocks",
    "landscape",
    "supervised",
    "distances",
    "natural_gradient",
    "shooting",
    "shoot",
    "ShootingError",
    "ShootingResult",
    "ShootingStatus",
    "VariationalSolution",
]

# Imported on first use: they pull in scipy (about 0.35 s), which a process that only
# computes geodesics and distances does not need (a first distance in a new process is
# timed by benchmarks/geodesics.py).
_LAZY = ("blocks", "landscape", "natural_gradient", "supervised")


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
