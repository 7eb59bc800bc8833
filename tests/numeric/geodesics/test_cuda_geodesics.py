"""The CUDA target of the generated DOP853 integrator gives the CPU path's numbers.

Without a GPU these run in numba's CUDA simulator (the root conftest sets
NUMBA_ENABLE_CUDASIM=1 before numba is imported): the kernel's launch, indexing and local
workspace run as CUDA threads, and the integrator each thread calls is the generated
``solve_one``, the very code the CPU path runs; so exp maps, Jacobians, status codes and step
counts must agree to 1e-12 (they do to the last bit). That the same code also lowers to
device code is checked separately, by compiling the kernels to PTX for sm_90 (no GPU needed).
"""
import functools
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from manifolds import Beta, Normal
from numeric.geodesics.distances import location_scale_distance
from numeric.geodesics.integrate import IntegrationStatus
from numeric.geodesics.shooting import NewtonStage, ShootingError, shoot
from tests import support

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not support.cuda_available(), reason="no CUDA target: install the cuda extra; without a "
                       "GPU the tests run in numba's simulator (NUMBA_ENABLE_CUDASIM=1)"),
]


@functools.lru_cache(maxsize=None)
def beta():
    return Beta().numeric


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * max(1.0, float(np.nanmax(np.abs(b)))))


def test_exp_maps_and_jacobians_agree_with_the_cpu():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 4.0, (5, 2))
    v = rng.normal(size=(5, 2))
    v[0] = [-400.0, 0.0]  # escapes to infinity before t = 1: a failure code on both targets
    solver = beta()._solver(False)
    for jacobian in (False, True):
        run = (lambda s: s.variational) if jacobian else (lambda s: s)
        cpu = run(solver)(x, v, 1.0, t_eval=3, rtol=1e-12, max_steps=3000)
        gpu = run(solver.on("cuda"))(x, v, 1.0, t_eval=3, rtol=1e-12, max_steps=3000)
        assert cpu.status[0] != IntegrationStatus.SUCCESS
        assert np.array_equal(gpu.status, cpu.status)
        assert np.array_equal(gpu.n_steps, cpu.n_steps)
        ok = cpu.status == IntegrationStatus.SUCCESS
        close(gpu.x[ok], cpu.x[ok])
        close(gpu.v[ok], cpu.v[ok])
        if jacobian:
            close(gpu.dx_dv0[ok], cpu.dx_dv0[ok])


def test_log_maps_and_distances_agree_with_the_cpu():
    rng = np.random.default_rng(1)
    x = rng.uniform(0.5, 4.0, (3, 2))
    y = rng.uniform(0.5, 4.0, (3, 2))
    close(beta().log(x, y, backend="cuda"), beta().log(x, y))
    close(beta().exp(x, y, backend="cuda"), beta().exp(x, y))
    r = beta().pairwise_distances(x, backend="cuda")
    assert r.ok
    close(r.distances, beta().pairwise_distances(x).distances)


def test_shooting_runs_newton_on_the_device_with_the_cpu_results():
    """The log map's Newton stage runs as one CUDA thread per pair (shoot_cuda, the generated
    shoot_one): a near pair solved there, a far one left to the host's continuation, and with
    max_newton=1, max_rounds=3 every pair failing; log maps, statuses, stage codes and work
    equal the CPU path's, and the failures are reported, never NaN passed as a result.
    """
    x = np.array([[1.0, 2.0], [1.0, 10.0], [0.7, 3.0]])
    y = np.array([[1.5, 1.2], [10.0, 1.0], [0.7, 3.0]])
    for options in ({}, {"max_newton": 1, "max_rounds": 3}):
        cpu = beta().log(x, y, throw=False, full_output=True, **options)
        gpu = beta().log(x, y, throw=False, full_output=True, backend="cuda", **options)
        assert np.array_equal(gpu.status, cpu.status)
        assert np.array_equal(gpu.newton_stage, cpu.newton_stage)
        assert np.array_equal(gpu.iterations, cpu.iterations)
        assert np.array_equal(gpu.steps, cpu.steps)
        close(gpu.v, cpu.v)
        ok = cpu.status == 0
        close(gpu.residual[ok], cpu.residual[ok])
    assert cpu.status.tolist() == [1, 1, 0] and gpu.message == cpu.message
    assert "NOT_CONVERGED" in gpu.message
    with pytest.raises(ShootingError, match="NOT_CONVERGED"):
        beta().log(x, y, backend="cuda", max_newton=1, max_rounds=3)
    first = beta().log(x, y, throw=False, full_output=True, backend="cuda")
    assert first.ok and first.newton_stage.tolist() == [NewtonStage.SOLVED, NewtonStage.CONTINUATION,
                                                        NewtonStage.NOT_RUN]


def test_normal_distances_on_the_device_meet_the_closed_form():
    """Normal log maps shot with the CUDA Newton stage give the closed-form Fisher-Rao
    distance (location_scale_distance, Costa et al. 2015) and the CPU path's velocities.
    """
    rng = np.random.default_rng(2)
    x = np.column_stack([rng.uniform(-2, 2, 3), rng.uniform(0.3, 3, 3)])
    y = np.column_stack([rng.uniform(-2, 2, 3), rng.uniform(0.3, 3, 3)])
    solver = Normal().numeric._solver(False)
    gpu = shoot(solver.on("cuda"), x, y, tol=1e-11)
    cpu = shoot(solver, x, y, tol=1e-11)
    assert gpu.ok and np.array_equal(gpu.newton_stage, cpu.newton_stage)
    close(gpu.v, cpu.v)
    speed = np.sqrt(gpu.v[:, 0] ** 2 + 2 * gpu.v[:, 1] ** 2) / x[:, 1]
    np.testing.assert_allclose(speed, location_scale_distance(x, y), rtol=1e-9)


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend"):
        beta().exp([1.0, 1.0], [0.1, 0.1], backend="tpu")
    with pytest.raises(ValueError, match="backend"):
        beta().pairwise_distances([[1.0, 1.0]], backend="gpu")


@pytest.mark.slow
def test_the_kernels_compile_to_ptx_for_sm90():
    """The generated exp-map kernel and the log map's Newton-stage kernel lower to device code
    (the workspace in local memory, no call into numba's runtime), in a process without the
    simulator; skipped where NVVM is
    missing. Compiled for Poisson, whose small field keeps this to seconds; Beta's kernels,
    which call the polygamma functions as device functions, take minutes and are compiled by
    ``benchmarks/scale.py --ptx``.
    """
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0", NUMBA_FORCE_CUDA_CC="9.0")
    code = textwrap.dedent("""
        import numba.cuda.cuda_paths as cuda_paths
        import numba.cuda.dispatcher as dispatcher
        from numba import cuda

        class Hopper:
            compute_capability = (9, 0)

        # numba-cuda asks the driver for the device's compute capability when a kernel calls
        # a device function, and looks NVRTC up for paths; NVVM alone makes the PTX
        dispatcher.get_current_device = lambda: Hopper()
        cuda_paths._get_nvrtc_path = lambda: ("stub", None)
        from manifolds import Poisson

        solver = Poisson().numeric._solver(False)
        try:
            ptx, _ = cuda.compile_ptx(solver.cuda_kernel(False).py_func, solver.CUDA_SIGNATURE,
                                      cc=(9, 0))
        except Exception as exc:
            print("SKIP", type(exc).__name__, " ".join(str(exc).split())[:300])
            raise SystemExit
        assert ".target sm_90" in ptx and ".entry" in ptx and "solve_cuda" in ptx
        # the Newton stage of the log map: the whole iteration in one kernel
        ptx = solver.compile_ptx((9, 0), kernels=["shoot_cuda"])["shoot_cuda"]
        assert ".target sm_90" in ptx and ".entry" in ptx and "shoot_cuda" in ptx
        print("OK")
    """)
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=600, cwd=str(support.REPO))
    assert res.returncode == 0, res.stderr[-2000:]
    if res.stdout.startswith("SKIP"):
        pytest.skip(res.stdout[:400])
    assert res.stdout.startswith("OK"), res.stdout
