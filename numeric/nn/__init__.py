"""Neural networks: Fisher geometry of multilayer perceptrons and stochastic neurons.

:mod:`numeric.nn.activations` is the one table of activations and noise models (scalar numba
cores shared by the CPU and CUDA kernels; names, ranges and sympy forms from
:mod:`symbolic.activations`); :mod:`numeric.nn.mlp` the one MLP (layout, forward pass,
Jacobians) that the other modules share; :mod:`numeric.nn.supervised` its
likelihoods and Fisher diagnostics (Fisher, empirical Fisher, GGN, Hessian);
:mod:`numeric.nn.blocks` the network-scale relative Fisher (RFIM) blocks, K-FAC and RNGD on
the CPU (numba) or the GPU (:mod:`numeric.nn.cuda`), and on a Dask cluster over sharded samples
(:mod:`numeric.nn.sharded`). Modules load on first use (scipy).
"""
import importlib

__all__ = ["activations", "blocks", "cuda", "mlp", "sharded", "supervised"]


def __getattr__(name):
    if name in __all__:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
