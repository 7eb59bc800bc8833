"""numeric.compile.kernels: compiled kernels agree with sympy, validate input, and cache on disk.

Every kernel compile costs numba time, so the quantities are compiled once, as one module,
by the module-level fixture ``kernels`` and shared by the tests.
"""
import json
import os
import subprocess
import sys
import textwrap

import mpmath as mp
import numpy as np
import pytest
import sympy
from numba import njit

from numeric.compile.kernels import KernelPrinter, compile_kernel, compile_kernels, rewrite_bessel
from tests import support

a, b = sympy.symbols("a b", positive=True)
kappa = sympy.Symbol("kappa", positive=True)
alpha = sympy.Symbol("alpha", real=True)
lam = sympy.Symbol("lambda", positive=True)  # a Python keyword as a symbol name

REPO = str(support.REPO)


def beta_fisher_metric():
    t = sympy.polygamma(1, a + b)
    return sympy.Matrix([[sympy.polygamma(1, a) - t, -t], [-t, sympy.polygamma(1, b) - t]])


def christoffel_second_kind(g, coords):
    """Γ^k_ij = ½ g^kl (∂i g_jl + ∂j g_il − ∂l g_ij), as an Array [k, i, j]."""
    n = len(coords)
    ginv = g.inv()
    return sympy.Array([
        [
            [
                sum(
                    ginv[k, l]
                    * (sympy.diff(g[j, l], coords[i]) + sympy.diff(g[i, l], coords[j])
                       - sympy.diff(g[i, j], coords[l]))
                    for l in range(n)
                ) / 2
                for j in range(n)
            ]
            for i in range(n)
        ]
        for k in range(n)
    ])


SCALAR = (
    sympy.polygamma(2, a) + sympy.digamma(b) * sympy.log(a) + sympy.loggamma(a + b)
    + sympy.besseli(0, b) / sympy.besseli(1, a) + sympy.besseli(3, a)
    + sympy.Piecewise((a**2, a < 1), (sympy.sqrt(a), b > 2), (1 / a, True))
    + sympy.Abs(a - b) + sympy.sign(a - b) + sympy.Heaviside(a - 1) + sympy.exp(-a * b)
    + sympy.Max(a, b) + sympy.gamma(b) + sympy.EulerGamma
)
MATRIX = beta_fisher_metric() * (1 - alpha**2) + alpha * sympy.eye(2)
VON_MISES = sympy.Matrix([
    [kappa * sympy.besseli(1, kappa) / sympy.besseli(0, kappa), 0],
    [0, sympy.diff(sympy.besseli(1, kappa) / sympy.besseli(0, kappa), kappa)],
])


@pytest.fixture(scope="module")
def kernels():
    ks = compile_kernels([a, b], {
        "scalar": SCALAR,
        "matrix": MATRIX,
        "christoffel": christoffel_second_kind(beta_fisher_metric(), [a, b]),
    }, params=[alpha])
    ks["von_mises"] = compile_kernel([kappa], VON_MISES, name="von_mises")
    return ks


def reference(expr, point, param=None, symbols=(a, b)):
    subs = {s: sympy.Float(repr(float(v)), 40) for s, v in zip(symbols, point, strict=True)}
    if param is not None:
        subs[alpha] = sympy.Float(repr(float(param)), 40)
    if isinstance(expr, (sympy.MatrixBase, sympy.NDimArray)):
        return np.array(
            sympy.Array(expr).applyfunc(lambda e: sympy.N(e.subs(subs), 30)).tolist(),
            dtype=float,
        )
    return float(sympy.N(expr.subs(subs), 30))


RNG = np.random.default_rng(20240607)
POINTS = np.column_stack([RNG.uniform(0.2, 4.0, 6), RNG.uniform(0.2, 4.0, 6)])


@pytest.mark.parametrize("name, expr", [
    ("scalar", SCALAR), ("matrix", MATRIX),
    ("christoffel", christoffel_second_kind(beta_fisher_metric(), [a, b])),
])
@pytest.mark.slow
def test_kernel_matches_sympy(kernels, name, expr):
    K = kernels[name]
    got = K(POINTS, 0.3)
    assert got.shape == (len(POINTS),) + K.shape
    for point, value in zip(POINTS, got, strict=True):
        np.testing.assert_allclose(value, reference(expr, point, 0.3), rtol=1e-12, atol=1e-13)


def test_polygammas_of_one_argument_are_fused(kernels):
    # trigamma and polygamma(2, .) of a + b: one fused call, no separate ones; those of a and
    # b enter only as exact differences from a + b (rewrite_polygamma_differences), one fused
    # difference call per pair of arguments, handed the jet of a + b; test_kernel_matches_sympy
    # checks the values
    source = kernels["christoffel"].source.split("def christoffel_core")[1].split("def ")[0]
    assert source.count("_sp_polygamma_upto2(") == 1
    assert source.count("_sp_polygamma_difference_upto2(") == 2
    assert "_sp_polygamma_difference_upto2(a, b, _pg0_1, _pg0_2)" in source
    assert "_sp_polygamma_difference_upto2(b, a, _pg0_1, _pg0_2)" in source
    assert "_sp_polygamma_difference(" not in source
    assert "_sp_trigamma(" not in source and "_sp_polygamma(" not in source


def test_christoffel_has_index_order_k_i_j(kernels):
    K = kernels["christoffel"]
    assert K.shape == (2, 2, 2)
    gamma = K([1.5, 2.5], 0.0)
    np.testing.assert_allclose(gamma, np.swapaxes(gamma, 1, 2), rtol=0, atol=0)


def test_bessel_ratio_stays_finite_for_large_argument(kernels):
    K = kernels["von_mises"]
    for k in (0.5, 30.0, 1000.0, 1e5):
        with mp.workdps(40):
            r = mp.besseli(1, k) / mp.besseli(0, k)
            expected = np.diag([float(k * r), float(1 - r / k - r**2)])
        # 1 - A/k - A^2 ~ 1/(2 k^2) from terms of size 1: the kernel calls A' itself
        np.testing.assert_allclose(K(k), expected, rtol=1e-13, atol=0)
    assert "_sp_bessel_i1_over_i0_d1(" in K.source and "math.exp" not in K.source


@pytest.mark.parametrize("batch", [(), (5,), (2, 3)])
def test_batch_shapes(kernels, batch):
    x = RNG.uniform(0.5, 3.0, batch + (2,))
    for name in ("scalar", "matrix", "christoffel"):
        K = kernels[name]
        out = K(x, alpha=0.3)
        assert out.shape == batch + K.shape and out.dtype == np.float64
        flat = K(x.reshape(-1, 2), 0.3).reshape(batch + K.shape)
        np.testing.assert_array_equal(out, flat)
    assert kernels["von_mises"](np.full(batch + (1,), 2.0)).shape == batch + (2, 2)


def test_scalar_point_of_one_dimensional_kernel(kernels):
    K = kernels["von_mises"]
    np.testing.assert_array_equal(K(2.0), K([2.0]))


def test_zero_points(kernels):
    assert kernels["matrix"](np.empty((0, 2)), 0.1).shape == (0, 2, 2)


@pytest.mark.parametrize("x, message", [
    ([1.0, 2.0, 3.0], r"x must have shape \(\.\.\., 2\).*\(a, b\).*\(3,\)"),
    (1.0, r"x must have shape \(\.\.\., 2\)"),
    ([[1.0, 2.0], [np.nan, 1.0]], r"x must be finite, got x\[\(1, 0\)\] = nan"),
    ([1.0, np.inf], r"x must be finite"),
])
def test_bad_coordinates_raise(kernels, x, message):
    with pytest.raises(ValueError, match=message):
        kernels["matrix"](x, 0.1)


@pytest.mark.parametrize("x", [[1.0 + 1j, 2.0], ["a", "b"], "0.5", None, np.array([1.0, 2.0], dtype=object)])
def test_wrong_type_coordinates_raise_type_error(kernels, x):
    # docs/errors.md: a wrong type is a TypeError
    with pytest.raises(TypeError, match=r"x must hold real numbers"):
        kernels["matrix"](x, 0.1)


def test_bad_parameters_raise(kernels):
    K = kernels["matrix"]
    with pytest.raises(ValueError, match=r"missing parameter alpha"):
        K([1.0, 2.0])
    with pytest.raises(ValueError, match=r"alpha must be finite, got nan"):
        K([1.0, 2.0], float("nan"))
    with pytest.raises(TypeError, match=r"alpha must be a real number"):
        K([1.0, 2.0], "x")
    with pytest.raises(ValueError, match=r"takes 1 parameter"):
        K([1.0, 2.0], 0.1, 0.2)
    with pytest.raises(ValueError, match=r"no parameter 'beta'"):
        K([1.0, 2.0], beta=0.1)
    np.testing.assert_array_equal(K([1.0, 2.0], alpha=0.1), K([1.0, 2.0], 0.1))


def test_bad_expressions_raise():
    with pytest.raises(ValueError, match=r"free symbols \['b'\]"):
        compile_kernel([a], a + b)
    with pytest.raises(ValueError, match=r"besselj"):
        compile_kernel([a], sympy.besselj(0, a), name="j0")
    with pytest.raises(ValueError, match=r"imaginary unit"):
        compile_kernel([a], sympy.I * a, name="imag")
    with pytest.raises(ValueError, match=r"kernel name must be a Python identifier"):
        compile_kernel([a], a, name="not valid")
    with pytest.raises(ValueError, match=r"args must be sympy Symbols"):
        compile_kernel(["a"], a)
    with pytest.raises(ValueError, match=r"overlap"):
        compile_kernel([a], a, params=[a])


def test_printer_output_is_plain_math_code():
    printer = KernelPrinter({"symbol_names": {a: "a", b: "b"}})
    assert printer.doprint(sympy.Integer(2) ** 70 * a) == "1.1805916207174113e+21*a"
    assert printer.doprint(sympy.Rational(1, 3) * a) == "(1/3)*a"
    assert printer.doprint(sympy.besseli(-2, a)) == "_sp_bessel_in(2, a)"
    assert printer.doprint(sympy.log(sympy.besseli(0, a))) == "math.log(_sp_bessel_i0(a))"
    assert printer.doprint(rewrite_bessel(sympy.log(sympy.besseli(0, a)))) == (
        "_sp_log_bessel_i0(a)"
    )
    assert printer.doprint(sympy.Piecewise((a, a > 1))) == "((a) if (a > 1) else math.nan)"
    assert printer.doprint(sympy.Piecewise((a, (a > 1) & (b < 2)), (b, True))) == (
        "((a) if ((a > 1) and (b < 2)) else b)"
    )


def test_symbol_names_that_are_not_identifiers_are_renamed():
    weird = sympy.Symbol("x", positive=True)  # shadows the kernel's own argument name
    K = compile_kernel([weird, lam], weird * lam + sympy.log(lam), name="renamed")
    assert "_x1 = x[1]  # lambda" in K.source
    assert K([2.0, 3.0]) == pytest.approx(6.0 + np.log(3.0), rel=1e-15)


def test_core_is_callable_from_njit_without_allocation(kernels):
    core = kernels["christoffel"].core

    @njit
    def trace_sum(points, p):
        out = np.empty((2, 2, 2))
        total = 0.0
        for m in range(points.shape[0]):
            core(points[m], p, out)
            total += out[0, 0, 0] + out[1, 1, 1]
        return total

    p = np.array([0.0])
    gammas = kernels["christoffel"](POINTS, 0.0)
    expected = (gammas[:, 0, 0, 0] + gammas[:, 1, 1, 1]).sum()
    assert trace_sum(POINTS, p) == pytest.approx(expected, rel=1e-14)


_SUBPROCESS = textwrap.dedent("""
    import json, sys, time
    import sympy
    t0 = time.perf_counter()
    from numeric.compile.kernels import compile_kernel
    mu, s = sympy.symbols("mu sigma", positive=True)
    g = sympy.Matrix([[1 / s**2, 0], [0, 2 / s**2 + sympy.polygamma(1, s)]])
    K = compile_kernel([mu, s], g, name="cached_metric")
    K([[0.0, 1.0], [1.0, 2.0]])
    K([0.0, 1.0])
    stats = {f: {"hits": sum(d.stats.cache_hits.values()),
                 "misses": sum(d.stats.cache_misses.values())}
             for f, d in (("core", K.core), ("rows", K.rows))}
    print(json.dumps({"stats": stats, "path": K.path, "seconds": time.perf_counter() - t0}))
""")


@pytest.mark.slow
def test_second_process_loads_compiled_kernel_from_disk(tmp_path):
    env = dict(os.environ, INFOGEOM_CACHE_DIR=str(tmp_path))
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")

    def run():
        done = subprocess.run([sys.executable, "-c", _SUBPROCESS], env=env, cwd=REPO,
                              capture_output=True, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    first = run()
    assert first["stats"]["core"]["misses"] >= 1 and first["stats"]["rows"]["misses"] >= 1
    cached = sorted(os.listdir(tmp_path / "__pycache__"))
    assert any(name.endswith(".nbi") for name in cached)
    assert any(name.endswith(".nbc") for name in cached)
    mtime = os.path.getmtime(first["path"])

    second = run()
    assert second["path"] == first["path"]
    assert os.path.getmtime(second["path"]) == mtime  # the module was not rewritten
    for function in ("core", "rows"):
        assert second["stats"][function]["misses"] == 0, second
        assert second["stats"][function]["hits"] >= 1, second
    print(f"cold {first['seconds']:.2f} s, warm {second['seconds']:.2f} s")


def test_truncated_cache_file_is_regenerated(tmp_path, monkeypatch):
    monkeypatch.setenv("INFOGEOM_CACHE_DIR", str(tmp_path))
    expr = a**2 + sympy.Rational(1, 7)
    K = compile_kernel([a], expr, name="square")
    module_name = os.path.splitext(os.path.basename(K.path))[0]
    assert os.path.dirname(K.path) == str(tmp_path)
    with open(K.path, "w") as handle:
        handle.write("def square_core(x, p, out:\n")  # what a killed writer might leave
    del sys.modules[module_name]
    K = compile_kernel([a], expr, name="square")
    assert K(3.0) == pytest.approx(9 + 1 / 7, rel=1e-15)
