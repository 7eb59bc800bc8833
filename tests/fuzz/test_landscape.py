"""Area "landscape": numeric.optim.landscape (spectra, critical points, condition numbers,
numerical derivatives, quadratic descent, iteration bounds) and numeric.optim.linalg under
NaN/inf, non-symmetric, singular and wrong-shaped matrices and bad tolerances.

Independent checks: eigenvalues against mpmath's ``eigsy`` at 30 digits; the condition
number of a matrix built with known eigenvalues; numerical gradients of a polynomial
against its exact gradient.
"""
import math

import mpmath
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from numeric.optim import landscape
from tests.support import examples

from .harness import call_checked

AREA = "landscape"
WORDS = ("hessian", "matrix", "metric", "gradient", "rtol", "atol", "gtol", "kappa", "tol", "dim",
         "step_size", "x0", "x", "A", "step", "fun", "max_iter", "form", "seed", "kappas")


def _eig_reference(A):
    with mpmath.workdps(30):
        E, _ = mpmath.eigsy(mpmath.matrix(A.tolist()))
        return np.sort(np.array([float(e) for e in E]))


def _sym(seed, n, kind):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    lam = rng.uniform(0.5, 3.0, size=n) * rng.choice([-1, 1], size=n)
    A = (Q * lam) @ Q.T
    A = (A + A.T) / 2
    if kind == "nan":
        A[0, 0] = math.nan
    elif kind == "inf":
        A[-1, -1] = math.inf
    elif kind == "nonsym" and n > 1:
        A = A + np.triu(np.ones((n, n)), 1)
    elif kind == "shape":
        A = A[:, :-1] if n > 1 else np.zeros((1, 2))
    elif kind == "huge":
        A = A * 1e300
    return A, lam


@examples(30)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 5),
       kind=st.sampled_from(["ok", "ok", "nan", "inf", "nonsym", "shape", "huge", "str"]))
def _matrix_cases(seed, n, kind):
    A, lam = _sym(seed, n, kind) if kind != "str" else ("A", None)
    good = kind in ("ok", "huge") or (kind == "nonsym" and n == 1)
    expect = None if good else "error"
    ref = _eig_reference(A) if kind == "ok" or (kind == "nonsym" and n == 1) else None

    def spectrum_ok(vals):
        if ref is None:
            return None
        got = np.sort(np.asarray(vals, dtype=float).ravel())
        return None if np.allclose(got, ref, rtol=1e-10, atol=1e-12) else f"spectrum {got} vs {ref}"

    call_checked(AREA, landscape.hessian_spectrum, A, names=WORDS, expect=expect, compare=spectrum_ok)
    call_checked(AREA, landscape.hessian_index, A, names=WORDS, expect=expect)
    call_checked(AREA, landscape.classify_critical_point, A, names=WORDS, expect=expect)
    cond_ref = None
    if ref is not None:
        cond_ref = float(np.max(np.abs(lam)) / np.min(np.abs(lam)))
    call_checked(AREA, landscape.condition_number, A, names=WORDS, reference=cond_ref, ref_rtol=1e-8,
                 expect=expect)


def test_matrices(fuzz_log):
    _matrix_cases()
    for bad in (-1.0, math.nan, "1e-8", None):
        call_checked(AREA, landscape.hessian_index, np.eye(2), rtol=bad, names=WORDS, expect="error")
    fuzz_log.assert_clean()


@examples(20)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 4), scale=st.sampled_from([1.0, 1e-8, 1e8, 1e200]),
       step=st.sampled_from([None, 1e-6, 0.0, -1.0, math.nan]))
def _derivative_cases(seed, n, scale, step):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=n)
    x = rng.normal(size=n) * scale

    def fun(z):
        z = np.asarray(z)
        return float(np.sum(c * z**2) + np.sum(z))

    good_step = step is None or (math.isfinite(step) and step > 0)
    exact = 2 * c * x + 1
    ref = exact if scale <= 1e8 and step is None else None
    call_checked(AREA, landscape.numerical_gradient, fun, x, step=step, names=WORDS, reference=ref,
                 ref_rtol=1e-5, ref_atol=1e-6 * (1 + scale), expect=None if good_step else "error")
    call_checked(AREA, landscape.numerical_gradient, lambda z: math.nan, x, names=WORDS, expect="error")


def test_numerical_derivatives(fuzz_log):
    _derivative_cases()
    fuzz_log.assert_clean()


@examples(15)
@given(kappa=st.sampled_from([1.0, 10.0, 1e3, 0.5, 0.0, -1.0, math.nan, math.inf, 1e300]),
       tol=st.sampled_from([1e-8, 0.0, -1.0, 2.0, math.nan]),
       step=st.sampled_from([0.5, 1.0, 0.0, -0.5, 2.5, math.nan]))
def _iteration_cases(kappa, tol, step):
    good_k = math.isfinite(kappa) and kappa >= 1 and kappa < 1e300
    good_tol = math.isfinite(tol) and 0 < tol < 1
    call_checked(AREA, landscape.gd_iteration_bound, kappa, tol, names=WORDS,
                 expect=None if good_k and good_tol else "error")
    good_step = math.isfinite(step) and 0 < step < 2
    call_checked(AREA, landscape.ngd_iterations, step, tol, names=WORDS,
                 expect=None if good_step and good_tol else "error")
    call_checked(AREA, landscape.quadratic_with_condition_number, kappa, names=WORDS,
                 expect=None if math.isfinite(kappa) and kappa >= 1 else "error")
    A = np.diag([1.0, 4.0])
    call_checked(AREA, landscape.quadratic_descent, A, np.ones(2), step_size=step, tol=tol,
                 max_iter=10_000, names=WORDS, budget_s=5.0,
                 expect=None if good_tol and math.isfinite(step) and step > 0 else "error")


def test_iterations(fuzz_log):
    _iteration_cases()
    fuzz_log.assert_clean()
