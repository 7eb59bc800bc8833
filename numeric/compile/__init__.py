"""Compilation: sympy expressions printed as scalar code, cached on disk, compiled by numba.

The public entry points are :func:`compile_kernels` and :func:`compile_kernel` (a
:class:`Kernel` evaluates a quantity at a batch of points) and :func:`build_module`, the
building block that lets an integrator be compiled in the same cached module as the cores it
calls. :mod:`numeric.compile.special` holds the special functions that kernels call.
"""
# cache first: it makes sure numba can cache special's functions before they are decorated
from . import cache, special
from .cache import cache_dir, heal_numba_cache
from .kernels import Kernel, build_module, compile_kernel, compile_kernels
from .printer import KernelPrinter, rewrite_bessel

__all__ = [
    "Kernel", "KernelPrinter", "build_module", "cache", "cache_dir", "compile_kernel", "compile_kernels",
    "heal_numba_cache", "rewrite_bessel", "special",
]
