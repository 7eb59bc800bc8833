"""The numba.cuda path of numeric.nn.blocks gives the CPU path's numbers (to 1e-12, float64).

Without a GPU these run in numba's CUDA simulator (the root conftest sets
NUMBA_ENABLE_CUDASIM=1 before numba is imported), which runs one OS thread per CUDA thread and
small tile sizes (numeric/cuda/_kernels.py), so the problems are tiny but still span several
tiles, partial tiles and strided loops.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from numeric.nn import blocks as B
from numeric.nn import cuda as gpu
from symbolic.errors import SingularMatrixError
from tests import support

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.slow,
    pytest.mark.skipif(not gpu.is_available(), reason="no CUDA target: install the cuda extra (pip install -e '.[cuda]'); "
                       "without a GPU the tests run in numba's simulator"),
]

TOL = dict(rtol=1e-12, atol=1e-12)


def close(a, b):
    scale = max(1.0, float(np.abs(b).max()))
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * scale)


@pytest.fixture
def layer():
    rng = np.random.default_rng(0)
    N, d, m = 9, 5, 3          # D = 6 spans two 4-wide simulator tiles; m = 3 two neuron groups
    return rng.standard_normal((m, d + 1)) * 0.7, rng.standard_normal((N, d))


@pytest.mark.parametrize("act,noise", [(a, "gaussian") for a in B.ACTIVATIONS]
                         + [("sigmoid", "bernoulli"), ("tanh", "symmetric"), ("sigmoid", "symmetric")])
def test_neuron_blocks_cpu_equals_cuda(layer, act, noise):
    W, X = layer
    kw = dict(sigma=0.8, slope=0.1, alpha=0.6) if noise == "gaussian" else {}
    close(B.neuron_blocks(W, X, act, noise, backend="cuda", **kw),
          B.neuron_blocks(W, X, act, noise, **kw))


def test_nu_matrix_cpu_equals_cuda(layer):
    W, X = layer
    Xt = np.hstack([X, np.ones((len(X), 1))])
    close(gpu.nu_matrix(W, Xt, "elu", alpha=0.6), B.neuron_nu(Xt @ W.T, "elu", alpha=0.6))


def test_weighted_grams_and_dense_blocks_cpu_equal_cuda(layer):
    W, X = layer
    rng = np.random.default_rng(1)
    nu = rng.standard_normal((len(X), 5))         # negative weights too
    close(B.weighted_grams(nu, X, backend="cuda"), B.weighted_grams(nu, X))
    close(B.softmax_rfim(W, X, backend="cuda"), B.softmax_rfim(W, X))
    Ws = [W, rng.standard_normal((2, W.shape[0] + 1))]
    acts = ["tanh", "softmax"]
    for a, b in zip(B.fisher_blocks(Ws, X, acts, backend="cuda"), B.fisher_blocks(Ws, X, acts), strict=False):
        close(a, b)


def test_batched_cholesky_and_solves_cpu_equal_cuda():
    rng = np.random.default_rng(2)
    m, D = 3, 7                                   # 7 rows over 3 simulator threads: strided
    Z = rng.standard_normal((m, D, D + 3))
    G = Z @ np.swapaxes(Z, 1, 2) / (D + 3)
    g = rng.standard_normal((m, D))
    for damping in (0.0, 0.3):
        L_cpu = B.cholesky_blocks(G, damping)
        close(B.cholesky_blocks(G, damping, backend="cuda"), L_cpu)
        close(B.cholesky_solve_blocks(L_cpu, g, backend="cuda"), B.cholesky_solve_blocks(L_cpu, g))
        close(B.solve_blocks(G, g, damping, backend="cuda"), B.solve_blocks(G, g, damping))


def test_cuda_singular_block_raises_like_cpu():
    G = np.stack([np.eye(3), np.diag([1.0, 0.0, 1.0])])
    for backend in ("cpu", "cuda"):
        with pytest.raises(SingularMatrixError, match=r"block 1 .*pivot 2 of 3.*damping="):
            B.cholesky_blocks(G, backend=backend)


def test_rngd_step_cpu_equals_cuda(layer):
    W, X = layer
    rng = np.random.default_rng(3)
    Ws = [W, rng.standard_normal((2, W.shape[0] + 1))]
    acts = ["relu", "softmax"]
    y = np.arange(len(X)) % 2
    opts = {b: B.RNGD([w.copy() for w in Ws], acts, lr=0.1, decay=0.2, period=2, backend=b)
            for b in ("cpu", "cuda")}
    for _ in range(3):
        for _b, opt in opts.items():
            opt.step(B.nll_and_gradients(opt.weights, X, y, acts)[1], X)
        for a, c in zip(opts["cuda"].weights, opts["cpu"].weights, strict=False):
            close(a, c)


def test_kernels_compile_to_ptx_for_sm90():
    """Compile every kernel for a Hopper GPU (sm_90) without running it, in a process without
    the simulator: this is where a kernel that numba-cuda cannot type or lower for a real GPU
    (an njit core it cannot compile for CUDA, say) fails, which the simulator cannot show.

    numba-cuda 0.30 asks the CUDA driver for the current device's compute capability whenever
    a kernel calls a device function (``dispatcher.compile_device``) and looks NVRTC up for its
    paths, although the PTX itself comes from NVVM. Where the driver or NVRTC is missing (a CI
    machine without a GPU), those two lookups are stubbed and NVVM compiles; where NVVM is
    missing too, the test is skipped.
    """
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0", NUMBA_FORCE_CUDA_CC="9.0")
    code = textwrap.dedent("""
        from numeric.nn import cuda as gpu
        try:
            ptx, how = gpu.compile_ptx((9, 0)), "toolkit"
        except RuntimeError as first:
            try:
                import numba.cuda.cuda_paths as cuda_paths
                import numba.cuda.dispatcher as dispatcher

                class Hopper:
                    compute_capability = (9, 0)

                dispatcher.get_current_device = lambda: Hopper()
                cuda_paths._get_nvrtc_path = lambda: ("stub", None)
                ptx, how = gpu.compile_ptx((9, 0)), "NVVM, driver and NVRTC lookups stubbed"
            except Exception as exc:
                print("SKIP", first, "| with stubs:", type(exc).__name__, exc)
                raise SystemExit
        for name, text in ptx.items():
            assert ".target sm_90" in text, name
            assert ".entry" in text, name
            assert "ld.local" not in text or name != "gram_kernel", "accumulators spilled"
        print("OK", how, sorted(ptx))
    """)
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300, cwd=str(support.REPO))
    assert res.returncode == 0, res.stderr[-2000:]
    if res.stdout.startswith("SKIP"):
        pytest.skip(" ".join(res.stdout.split())[:400])
    assert res.stdout.startswith("OK"), res.stdout
