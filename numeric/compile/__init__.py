"""Compilation: sympy expressions printed as scalar code, cached on disk, compiled by numba.

The public entry points are :func:`compile_kernels` and :func:`compile_kernel` (a
:class:`Kernel` evaluates a quantity at a batch of points) and :func:`build_module`, the
building block that lets an integrator be compiled in the same cached module as the cores it
calls. :mod:`numeric.compile.special` holds the special functions that kernels call.
"""
from . import special
from .cache import cache_dir
from .kernels import Kernel, build_module, compile_kernel, compile_kernels
from .printer import KernelPrinter, rewrite_bessel

__all__ = [
    "Kernel", "KernelPrinter", "build_module", "cache_dir", "compile_kernel", "compile_kernels",
    "rewrite_bessel", "special",
]
