"""GPU path (numba.cuda) of the network-scale Fisher blocks of :mod:`numeric.nn.blocks`.

Most users reach these functions through ``backend="cuda"`` in :mod:`numeric.nn.blocks`; they
take and return numpy arrays (the launchers ``launch_*`` take device arrays, for timing the
kernels alone). On a machine without a GPU, set ``NUMBA_ENABLE_CUDASIM=1`` before numba is
first imported to run the kernels in numba's simulator (the test suite does this), which
executes one OS thread per CUDA thread: use it for tiny problems only.

The kernels (:mod:`numeric.nn.cuda._kernels`) call the scalar ``@njit`` cores of the CPU path,
so both paths compute nu from one source; tests assert that they agree to 1e-12.

Examples
--------
>>> import numpy as np
>>> from numeric.nn import cuda as gpu
>>> W = np.array([[0.5, -1.0, 0.1]]); X = np.array([[1.0, 2.0], [0.0, -1.0]])
>>> Xt = np.hstack([X, np.ones((2, 1))])
>>> if gpu.is_available():
...     nu = gpu.nu_matrix(W, Xt, "tanh", "symmetric")
...     G = gpu.weighted_grams(nu, Xt)
...     assert G.shape == (1, 3, 3)
"""
import numpy as np

__all__ = [
    "is_available",
    "is_simulator",
    "require",
    "nu_from_codes",
    "nu_matrix",
    "weighted_grams",
    "cholesky_blocks",
    "cholesky_solve_blocks",
    "launch_nu",
    "launch_grams",
    "launch_cholesky",
    "launch_cholesky_solve",
    "compile_ptx",
]


def is_simulator():
    """True when numba runs CUDA kernels in its simulator (``NUMBA_ENABLE_CUDASIM=1``)."""
    from numba import config

    return bool(config.ENABLE_CUDASIM)


def is_available():
    """True when the kernels can run: a working CUDA GPU, or the simulator."""
    if is_simulator():
        return True
    try:
        from numba import cuda

        return cuda.is_available()
    except Exception:  # no numba-cuda, or a broken driver install that raises instead
        return False


def require():
    """``(numba.cuda, kernels module)``, or RuntimeError saying how to get a CUDA target."""
    if not is_available():
        raise RuntimeError(
            "backend='cuda' needs a CUDA GPU with a working driver, or numba's simulator: "
            "set NUMBA_ENABLE_CUDASIM=1 before numba is first imported"
        )
    from numba import cuda

    from . import _kernels

    return cuda, _kernels


def _blocks(n, per_block):
    return (n + per_block - 1) // per_block


def launch_nu(W, Xt, act, noise, sigma, param, out):
    """Launch the nu kernel on device arrays: out[n, i] = nu(W[i] . Xt[n])."""
    _, k = require()
    tx, ty = k.NU_THREADS
    grid = (_blocks(Xt.shape[0], tx), _blocks(W.shape[0], ty))
    k.nu_kernel[grid, k.NU_THREADS](W, Xt, act, noise, float(sigma), float(param), out)


def launch_grams(nu_w, Xt, scale, G):
    """Launch the block accumulation on device arrays: G[i] = scale * Xt^T diag(nu_w[:, i]) Xt."""
    _, k = require()
    D = Xt.shape[1]
    tiles = _blocks(D, k.TILE)
    grid = (tiles, tiles, _blocks(nu_w.shape[1], k.NEURONS_PER_BLOCK))
    k.gram_kernel[grid, (k.TILE, k.TILE)](nu_w, Xt, float(scale), G)


def launch_cholesky(A, eps, U, status):
    """Launch the batched damped Cholesky on device arrays (U upper: A + eps I = U^T U)."""
    _, k = require()
    k.cholesky_kernel[A.shape[0], k.SOLVE_THREADS](A, float(eps), U, status)


def launch_cholesky_solve(U, rhs, x):
    """Launch the batched triangular solves on device arrays: x[b] = (U^T U)^-1 rhs[b]."""
    _, k = require()
    k.cholesky_solve_kernel[U.shape[0], k.SOLVE_THREADS](U, rhs, x)


def _device(a):
    cuda, _ = require()
    return cuda.to_device(np.ascontiguousarray(a, dtype=np.float64))


def nu_matrix(W, Xt, activation, noise="gaussian", *, sigma=1.0, slope=0.25, alpha=1.0):
    """nu(W[i] . Xt[n]) for all samples n and neurons i, shape ``(N, n_out)``.

    ``Xt`` already carries the bias column; arguments as :func:`numeric.nn.blocks.neuron_nu`
    (names are checked there, not here).
    """
    from ..activations import codes

    act, nz, param = codes(activation, noise, slope, alpha)
    return nu_from_codes(W, Xt, act, nz, sigma, param)


def nu_from_codes(W, Xt, act, noise, sigma, param):
    """:func:`nu_matrix` for codes already checked by :func:`numeric.nn.activations.codes`."""
    cuda, _ = require()
    out = cuda.device_array((Xt.shape[0], W.shape[0]), dtype=np.float64)
    launch_nu(_device(W), _device(Xt), act, noise, sigma, param, out)
    return out.copy_to_host()


def weighted_grams(nu_w, Xt, scale=None):
    """Per-neuron blocks ``scale * sum_n nu_w[n, i] Xt[n] Xt[n]^T``, shape ``(n_out, D, D)``;
    ``scale`` defaults to ``1 / N`` (the mean over samples).
    """
    cuda, _ = require()
    N, D = Xt.shape
    G = cuda.device_array((nu_w.shape[1], D, D), dtype=np.float64)
    launch_grams(_device(nu_w), _device(Xt), 1.0 / N if scale is None else float(scale), G)
    return G.copy_to_host()


def cholesky_blocks(G, damping=0.0):
    """Lower Cholesky factors of ``G[i] + damping I`` and a status per block (0 or the
    1-based index of the first non-positive pivot).
    """
    cuda, _ = require()
    U = cuda.device_array(G.shape, dtype=np.float64)
    status = cuda.device_array(G.shape[0], dtype=np.int64)
    launch_cholesky(_device(G), damping, U, status)
    return np.ascontiguousarray(np.swapaxes(U.copy_to_host(), 1, 2)), status.copy_to_host()


def cholesky_solve_blocks(L, g):
    """``(L[i] L[i]^T)^-1 g[i]`` for every block."""
    cuda, _ = require()
    U = _device(np.swapaxes(L, 1, 2))
    x = cuda.device_array(g.shape, dtype=np.float64)
    launch_cholesky_solve(U, _device(g), x)
    return x.copy_to_host()


def compile_ptx(cc=(9, 0)):
    """Compile every kernel to PTX for compute capability ``cc`` without running it.

    Returns a dict ``{kernel name: PTX text}``. Needs the real CUDA target (not the simulator)
    and, in numba-cuda 0.30, the CUDA driver library (a kernel that calls a device function
    asks the current device for its compute capability) and NVRTC (architecture selection);
    raises ``RuntimeError`` naming what is missing otherwise.
    """
    if is_simulator():
        raise RuntimeError("compile_ptx needs the real CUDA target; NUMBA_ENABLE_CUDASIM is set")
    from numba import cuda

    from . import _kernels as k

    signatures = {
        "nu_kernel": "void(float64[:, :], float64[:, :], int64, int64, float64, float64, float64[:, :])",
        "gram_kernel": "void(float64[:, :], float64[:, :], float64, float64[:, :, :])",
        "cholesky_kernel": "void(float64[:, :, :], float64, float64[:, :, :], int64[:])",
        "cholesky_solve_kernel": "void(float64[:, :, :], float64[:, :], float64[:, :])",
    }
    ptx = {}
    for name, sig in signatures.items():
        try:
            ptx[name], _ = cuda.compile_ptx(getattr(k, name).py_func, sig, cc=cc)
        except Exception as exc:  # the toolkit pieces are looked up lazily, deep inside numba
            reason = " ".join(str(exc).split())[:300]
            raise RuntimeError(
                f"cannot compile {name} to PTX for sm_{cc[0]}{cc[1]} here: "
                f"{type(exc).__name__}: {reason}"
            ) from exc
    return ptx

