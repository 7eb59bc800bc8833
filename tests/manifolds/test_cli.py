"""The command line (``python -m manifolds``): each subcommand, its exit codes, and bad input.

Expected values are independent closed forms: the Normal family's scalar curvature -1 and its
Fisher-Rao distance 2 sqrt(2) asinh(|p - q| / (2 sqrt(s1 s2))) with p = (mu / sqrt 2, sigma)
(the Poincare half-plane scaled by 2; Calin & Udriste 2014, ch. 1; Nielsen 2020, sec. 3);
the Poisson Fisher information 1/lam.
"""
import io
import math
import subprocess
import sys

import pytest
import sympy as sp

from manifolds.__main__ import EXIT_INCORRECT, EXIT_OK, EXIT_USAGE, FAMILIES, QUANTITIES, main
from tests.support import REPO


def run(*argv):
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_derive_prints_sympy_and_latex():
    code, text = run("derive", "Normal", "scalar_curvature")
    assert (code, text.strip()) == (EXIT_OK, "-1")
    code, text = run("derive", "Normal", "fisher_metric", "--latex")
    assert code == EXIT_OK
    assert text.strip() == sp.latex(sp.Matrix([[1, 0], [0, 2]]) / sp.Symbol("sigma", positive=True) ** 2)


def test_derive_latex_of_beta_curvature_is_the_toolkits():
    from manifolds import Beta

    # the lecture-notes form of StatisticalManifold.latex: psi^(n) for polygamma, as in the
    # textbooks (Amari 2016), not sympy's operatorname
    code, text = run("derive", "Beta", "scalar_curvature", "--latex")
    assert code == EXIT_OK and text.strip() == Beta().latex("scalar_curvature")
    assert r"\psi^{(1)}" in text and "polygamma" not in text
    code, text = run("derive", "Poisson", "christoffel", "--latex")
    assert code == EXIT_OK and text.strip() == r"\begin{aligned}\Gamma^{\lambda}{}_{\lambda\lambda} &= - \frac{1}{2 \lambda}\end{aligned}"


def test_derive_family_with_argument():
    code, text = run("derive", "Categorical(3)", "gaussian_curvature")
    assert (code, text.strip()) == (EXIT_OK, "1/4")     # sphere of radius 2


@pytest.mark.parametrize("argv, needle", [
    (("derive", "Gauss", "fisher_metric"), "unknown family 'Gauss'"),
    (("derive", "Normal", "curvature"), "unknown quantity 'curvature'"),
    (("derive", "Normal(3)", "fisher_metric"), "Normal takes no argument"),
    (("derive", "Dirichlet(0)", "fisher_metric"), "Dirichlet(0)"),
    (("derive", "__import__('os')", "fisher_metric"), "unknown family"),
    (("derive", "Dirichlet(3)", "gaussian_curvature"), "surfaces"),
    (("derive", "Cauchy", "dual_potential"), "not an exponential family"),
    (("check", "Poisson", "fisher_metric", "Matrix([[1/lam]]"), "never closed"),
    (("check", "Poisson", "fisher_metric", "__import__('os').system('true')"), "refused"),
    (("check", "Poisson", "fisher_metric", "1/mu"), "mu"),
    (("check", "Poisson", "nonsense", "1"), "unknown quantity"),
    (("distance", "Normal", "0,1", "1,-2"), "sigma must be > 0"),
    (("distance", "Normal", "0,1", "1"), "2 coordinates"),
    (("distance", "Normal", "0,1", "a,b"), "comma-separated numbers"),
    (("distance", "Normal", "0,1", "nan,1"), "finite"),
    (("geodesic", "Normal", "--start", "0,1"), "both --start and --velocity"),
    (("geodesic", "Normal", "--start", "0,1", "--velocity", "1,0", "--t1", "-1"), "--t1"),
])
def test_bad_input_gives_a_clear_message_and_exit_code_2(argv, needle, capsys):
    code, text = run(*argv)
    assert code == EXIT_USAGE and text == ""
    assert needle in capsys.readouterr().err


def test_check_exit_codes():
    code, text = run("check", "Poisson", "fisher_metric", "Matrix([[1/lam]])")
    assert (code, text.strip()) == (EXIT_OK, "CheckResult(correct)")
    code, text = run("check", "Poisson", "fisher_metric", "Matrix([[1/lam**2]])")
    assert code == EXIT_INCORRECT and "incorrect" in text


def test_distance_matches_the_closed_form():
    code, text = run("distance", "Normal", "0,1", "1,2")
    expected = 2 * math.sqrt(2) * math.asinh(math.sqrt(1 / 2 + 1) / (2 * math.sqrt(2)))
    assert code == EXIT_OK and abs(float(text) - expected) < 1e-13


def test_distance_one_dimensional_closed_form():
    code, text = run("distance", "Poisson", "1", "4")          # 2 |sqrt(1) - sqrt(4)|
    assert code == EXIT_OK and abs(float(text) - 2.0) < 1e-14


def test_geodesic_equations():
    code, text = run("geodesic", "Normal")
    t = sp.Symbol("t", real=True)
    mu, sigma = sp.Function("mu")(t), sp.Function("sigma")(t)
    # Gamma^mu_{mu sigma} = -1/sigma, Gamma^sigma_{mu mu} = 1/(2 sigma), Gamma^sigma_{sigma sigma} = -1/sigma
    expected = [sp.Eq(mu.diff(t, 2) - 2 * mu.diff(t) * sigma.diff(t) / sigma, 0),
                sp.Eq(sigma.diff(t, 2) + mu.diff(t) ** 2 / (2 * sigma) - sigma.diff(t) ** 2 / sigma, 0)]
    assert code == EXIT_OK
    assert text.strip().splitlines() == [sp.sstr(e) for e in expected]
    code, text = run("geodesic", "Normal", "--latex")
    assert code == EXIT_OK and r"\frac{d^{2}}{d t^{2}}" in text


@pytest.mark.slow
def test_geodesic_table_stays_at_unit_speed_distance():
    # a unit-speed geodesic: the point at t lies at Fisher-Rao distance t from the start
    code, text = run("geodesic", "Normal", "--start", "0,1", "--velocity", "1,0", "--t1", "1.5", "--points", "4")
    assert code == EXIT_OK
    header, *rows = [line.split("\t") for line in text.strip().splitlines()]
    assert header == ["t", "mu", "sigma"] and len(rows) == 4
    for t, m, s in ((float(a) for a in row) for row in rows):
        d = 2 * math.sqrt(2) * math.asinh(math.sqrt(m * m / 2 + (s - 1) ** 2) / (2 * math.sqrt(s)))
        assert abs(d - t) < 1e-9
    code, text = run("geodesic", "Normal", "--start", "0,1", "--velocity", "1,0", "--latex")
    assert code == EXIT_OK and text.startswith(r"\begin{tabular}{rrr}") and r"$\mu$" in text


def test_whitelists_cover_the_catalog():
    from manifolds import CATALOG

    assert set(FAMILIES) == {cls.__name__ for _, cls, _ in CATALOG}
    assert {"fisher_metric", "scalar_curvature", "christoffel", "kl_divergence"} <= set(QUANTITIES)


@pytest.mark.parametrize("argv", [["--help"], ["derive", "--help"], ["geodesic", "--help"],
                                  ["distance", "--help"], ["check", "--help"]])
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    assert "usage: python -m manifolds" in capsys.readouterr().out


def test_usage_errors_exit_2(capsys):
    for argv in ([], ["derive", "Normal"], ["frobnicate"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == EXIT_USAGE


@pytest.mark.slow
def test_python_dash_m_exit_codes():
    def shell(*argv):
        return subprocess.run([sys.executable, "-m", "manifolds", *argv], cwd=REPO, capture_output=True,
                              text=True, timeout=120)

    ok = shell("check", "Bernoulli", "fisher_metric", "Matrix([[1/(p*(1 - p))]])")
    assert ok.returncode == EXIT_OK, ok.stderr
    bad = shell("derive", "Bogus", "fisher_metric")
    assert bad.returncode == EXIT_USAGE and "unknown family 'Bogus'" in bad.stderr
