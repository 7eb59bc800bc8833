r"""Exact curvature of the larger catalog families (issue 16), checked independently.

* Categorical(k) is a piece of the sphere of radius 2 in the square-root embedding
  :math:`p \mapsto 2\sqrt{p}`, so its scalar curvature is the constant
  :math:`n(n-1)/4` of an n-sphere of radius 2, n = k - 1 (Amari & Nagaoka, *Methods of
  Information Geometry*, 2000, sec. 2.5, example 2.4; Amari, *Information Geometry and its
  Applications*, 2016, sec. 2.6). Pinned for k = 3, ..., 8.
* Every size asked for (Dirichlet(5), Dirichlet(6), Categorical(6), Categorical(8),
  MultivariateNormal(3)) is compared at random points with a scalar curvature computed
  numerically from the metric alone: the metric is evaluated in mpmath at 60 digits, its
  first and second derivatives by central differences (step 1e-15: truncation and
  rounding errors ~1e-30), and the curvature by the textbook route through the mixed tensor
  :math:`R^i{}_{jkl} = \partial_k\Gamma^i_{lj} - \partial_l\Gamma^i_{kj}
  + \Gamma^i_{km}\Gamma^m_{lj} - \Gamma^i_{lm}\Gamma^m_{kj}` with
  :math:`\partial g^{-1} = -g^{-1}(\partial g)g^{-1}`, sharing no code with the symbolic
  chain (which works from the covariant tensor and a structured inverse).
* The normal family's metric in matrix form is checked against the Hessian of the
  log-partition in the natural chart, :math:`J^\top\nabla^2F(\theta)J`, by finite
  differences of F in mpmath.
"""
import mpmath
import numpy as np
import pytest
import sympy as sp

from manifolds import Categorical, Dirichlet, MultivariateNormal
from symbolic import fisher_metric

DPS = 60
STEP = mpmath.mpf(10) ** -15
TOL = mpmath.mpf(10) ** -20

_SCALARS = {}


def _scalar(cls, k):
    """The symbolic scalar curvature, derived once per session (the derivation is the cost)."""
    key = (cls.__name__, k)
    if key not in _SCALARS:
        M = cls(k)
        _SCALARS[key] = (M, M.scalar_curvature())
    return _SCALARS[key]


def numeric_scalar_curvature(metric, point):
    """Scalar curvature at ``point`` from a metric function alone (mpmath matrices), by
    central differences and the mixed Riemann tensor.
    """
    n = len(point)
    x = [mpmath.mpf(v) for v in point]
    h = STEP

    def g(*shifts):
        y = list(x)
        for k, s in shifts:
            y[k] += s * h
        return metric(y)

    g0 = g()
    ginv = g0 ** -1
    dg = [(g((k, 1)) - g((k, -1))) / (2 * h) for k in range(n)]
    ddg = [[None] * n for _ in range(n)]
    for k in range(n):
        ddg[k][k] = (g((k, 1)) - 2 * g0 + g((k, -1))) / h**2
        for m in range(k + 1, n):
            ddg[k][m] = ddg[m][k] = (g((k, 1), (m, 1)) - g((k, 1), (m, -1)) - g((k, -1), (m, 1))
                                     + g((k, -1), (m, -1))) / (4 * h**2)
    dginv = [-ginv * dg[m] * ginv for m in range(n)]

    def lower(i, j, k, d=dg):  # [ij,k] = (d_i g_jk + d_j g_ik - d_k g_ij) / 2
        return (d[i][j, k] + d[j][i, k] - d[k][i, j]) / 2

    first = [[[lower(i, j, k) for k in range(n)] for j in range(n)] for i in range(n)]
    gamma = [[[sum(ginv[a, l] * first[i][j][l] for l in range(n)) for j in range(n)] for i in range(n)] for a in range(n)]

    def dgamma(m, a, i, j):  # d_m Gamma^a_ij
        s = 0
        for l in range(n):
            dfirst = (ddg[m][i][j, l] + ddg[m][j][i, l] - ddg[m][l][i, j]) / 2
            s += dginv[m][a, l] * first[i][j][l] + ginv[a, l] * dfirst
        return s

    dG = [[[[dgamma(m, a, i, j) for j in range(n)] for i in range(n)] for a in range(n)] for m in range(n)]
    ricci = mpmath.zeros(n, n)
    for j in range(n):
        for l in range(n):
            v = 0
            for i in range(n):  # R^i_jil
                v += dG[i][i][l][j] - dG[l][i][i][j]
                for m in range(n):
                    v += gamma[i][i][m] * gamma[m][l][j] - gamma[i][l][m] * gamma[m][i][j]
            ricci[j, l] = v
    return sum(ginv[j, l] * ricci[j, l] for j in range(n) for l in range(n))


def _metric_function(M):
    f = sp.lambdify(M.coordinates, M.fisher_metric(), modules="mpmath")
    return lambda y: mpmath.matrix(f(*y))


def _agree_at_random_points(M, R, points, seed):
    metric = _metric_function(M)
    exact = sp.lambdify(M.coordinates, R, modules="mpmath")
    rng = np.random.default_rng(seed)
    with mpmath.workdps(DPS):
        for _ in range(points):
            p = M.random_point(rng)
            want = numeric_scalar_curvature(metric, p)
            got = mpmath.mpmathify(exact(*[mpmath.mpf(v) for v in p]))
            assert abs(got - want) <= TOL * max(1, abs(want)), (p, got, want)


@pytest.mark.parametrize("k", [3, 4, 5, pytest.param(6, marks=pytest.mark.slow),
                               pytest.param(7, marks=pytest.mark.slow), pytest.param(8, marks=pytest.mark.slow)])
def test_categorical_is_a_sphere_of_radius_two(k):
    # Amari & Nagaoka 2000, sec. 2.5: R = n(n-1)/4 for n = k - 1
    _, R = _scalar(Categorical, k)
    n = k - 1
    assert R == sp.Rational(n * (n - 1), 4)


@pytest.mark.slow
@pytest.mark.parametrize("cls, k, points", [
    (Dirichlet, 5, 2),
    (Dirichlet, 6, 1),
    (Categorical, 6, 2),
    (Categorical, 8, 1),
    (MultivariateNormal, 3, 1),
])
def test_scalar_curvature_matches_finite_differences(cls, k, points):
    M, R = _scalar(cls, k)
    _agree_at_random_points(M, R, points, seed=16 + k)


def test_numeric_reference_knows_the_normal_plane():
    # the univariate normal has K = -1/2, R = -1 (Amari & Nagaoka 2000, sec. 2.3)
    M = MultivariateNormal(1)
    with mpmath.workdps(DPS):
        R = numeric_scalar_curvature(_metric_function(M), [0.3, 1.7])
    assert abs(R + 1) < TOL


@pytest.mark.slow
@pytest.mark.parametrize("d", [2, 3])
def test_normal_metric_in_matrix_form_is_the_hessian_of_the_log_partition(d):
    """The metric is J^T (Hessian of F)(theta(xi)) J, the Hessian by finite differences of F."""
    M = MultivariateNormal(d)
    model = M.model
    F = sp.lambdify(model.theta, model.log_partition, modules="mpmath")
    theta = sp.lambdify(model.coordinates, list(model.natural), modules="mpmath")
    J = sp.lambdify(model.coordinates, sp.Matrix(model.natural).jacobian(model.coordinates), modules="mpmath")
    g = sp.lambdify(model.coordinates, fisher_metric(model), modules="mpmath")
    F_closed = sp.lambdify(model.coordinates, model.closed_forms["log_partition_at_coordinates"], modules="mpmath")
    rng = np.random.default_rng(d)
    with mpmath.workdps(DPS):
        p = [mpmath.mpf(v) for v in M.random_point(rng)]
        t = [mpmath.mpf(v) for v in theta(*p)]
        assert abs(F(*t) - F_closed(*p)) < TOL
        m, h = len(t), STEP
        H = mpmath.matrix(m, m)
        for a in range(m):
            for b in range(a, m):
                def at(sa, sb, a=a, b=b):
                    y = list(t)
                    y[a] += sa * h
                    y[b] += sb * h
                    return F(*y)
                H[a, b] = H[b, a] = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h**2)
        Jm = mpmath.matrix(J(*p))
        want = Jm.T * H * Jm
        got = mpmath.matrix(g(*p))
        assert mpmath.mnorm(got - want, 1) < TOL * max(1, mpmath.mnorm(want, 1))
