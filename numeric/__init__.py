"""Numerics: sympy expressions compiled into cached numba kernels, and what runs on them.

``numeric`` never imports ``manifolds`` (imports go one way: manifolds -> symbolic, numeric).
"""
from . import blocks, distances, landscape, natural_gradient, shooting, special, supervised
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
