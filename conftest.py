"""Test-session setup shared by tests, doctests and examples.

numba reads ``NUMBA_ENABLE_CUDASIM`` once, when it is first imported, so the CUDA simulator
is chosen here, before any test module imports numba: machines without a GPU (CI) run the
``numba.cuda`` kernels in the simulator.
"""
import os
import shutil

if shutil.which("nvidia-smi") is None:
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

# Figures written by examples and the tour never need a screen.
os.environ.setdefault("MPLBACKEND", "Agg")
