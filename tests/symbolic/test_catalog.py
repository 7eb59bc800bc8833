"""One battery over the whole catalog: declarations, the three metric routes, positivity,
duality of alpha-connections, Legendre duality, charts.

Independent references: scipy.stats log-densities for the declarations, Monte Carlo
estimates of E[score score^T] from scipy.stats samples for the metric, and identities that
must hold (three routes agree, duality, KL = Bregman, J^T G J).
"""
import numpy as np
import pytest
import sympy as sp

from manifolds import NotClosedFormError
from symbolic import (
    alpha_connection_from_expectation,
    amari_chentsov_tensor,
    duality_residual,
    fisher_metric_from_hessian,
    fisher_metric_from_log_partition,
    fisher_metric_from_score,
    kl_divergence_from_expectation,
    simplify_entries,
    transform_metric,
)
from symbolic.algebra import flat
from symbolic.model import ExponentialFamily
from tests.catalog_points import NAMES, build, params, scipy_law

EXP_FAMILIES = [n for n in NAMES if isinstance(build(n).model, ExponentialFamily)]
# sympy integrates these scores exactly; StudentT's score with symbolic nu it cannot
INTEGRABLE = ["Cauchy", "Laplace"]


def _zero(exprs, coords=()):
    return all(e == 0 for e in simplify_entries(list(exprs), coords))


def _numerically_zero(exprs, M, points=3):
    rng = np.random.default_rng(7)
    for _ in range(points):
        at = dict(zip(M.coordinates, M.random_point(rng), strict=True)) | dict(M.model.constants)
        if any(abs(complex(sp.N(e.subs(at), 30))) > 1e-12 for e in exprs):
            return False
    return True


def _family_constants(M):
    out = {}
    for s, v in M.model.constants.items():
        out[s.name] = float(v)
    # fixed numeric constants appear in the name, e.g. Binomial(n)
    return out


def _observations(name, M, point, n, rng):
    law = scipy_law(name, point, _family_constants(M) | _numeric_constants(M))
    xs = law.rvs(size=n, random_state=rng)
    if name == "Categorical(3)":
        return [np.argmax(xs, axis=1) + 1.0]
    if name in ("Dirichlet(3)", "MultivariateNormal(2)"):
        return [xs[:, i] for i in range(xs.shape[1])]
    return [np.asarray(xs, dtype=float)]


def _numeric_constants(M):
    return {"n": _binomial_n(M)} if M.name.startswith("Binomial") else {}


def _binomial_n(M):
    n = [s for s in M.model.log_density.free_symbols if s.name == "n"]
    return float(M.model.constants[n[0]]) if n else float(M.name[len("Binomial("):-1])


def _law_logpdf(name, law, obs):
    if name == "Categorical(3)":
        onehot = np.eye(3)[obs[0].astype(int) - 1]
        return law.logpmf(onehot)
    if name in ("Dirichlet(3)", "MultivariateNormal(2)"):
        x = np.stack(obs, axis=-1)
        return law.logpdf(x.T) if name == "Dirichlet(3)" else law.logpdf(x)
    return law.logpmf(obs[0]) if hasattr(law, "logpmf") else law.logpdf(obs[0])


_KD = sp.Function("kd")


def _numpy(expr, args):
    def swap(e):
        return sp.sympify(e).replace(sp.KroneckerDelta, lambda a, b: _KD(a, b))

    expr = [swap(e) for e in expr] if isinstance(expr, list) else swap(expr)
    return sp.lambdify(args, expr, modules=[{"polygamma": _polygamma, "besseli": _besseli,
                                             "kd": lambda a, b: (a == b) * 1.0}, "scipy", "numpy"])


def _polygamma(n, x):
    from scipy.special import polygamma
    return polygamma(n, x)


def _besseli(n, x):
    from scipy.special import iv
    return iv(n, x)


@pytest.mark.parametrize("name", params(NAMES))
def test_declaration_matches_scipy(name):
    """The declared log-density equals scipy.stats' log-density at sampled observations."""
    M = build(name)
    rng = np.random.default_rng(0)
    point = M.random_point(rng)
    consts = {s: v for s, v in M.model.constants.items()}
    law = scipy_law(name, point, _family_constants(M) | _numeric_constants(M))
    obs = _observations(name, M, point, 20, rng)
    logp = M.model.log_density.subs(consts).subs(dict(zip(M.coordinates, point, strict=True)))
    f = _numpy(logp, M.model.space.variables)
    ours = np.broadcast_to(f(*obs), obs[0].shape)
    np.testing.assert_allclose(ours, _law_logpdf(name, law, obs), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", params(NAMES))
def test_metric_symmetric_positive_definite_and_monte_carlo(name):
    """G is symmetric, positive definite at random points, and equals the Monte Carlo mean of
    score score^T from scipy.stats samples (within 5 standard errors).
    """
    M = build(name)
    g = M.fisher_metric()
    assert g == g.T
    rng = np.random.default_rng(1)
    consts = dict(M.model.constants)
    for _ in range(3):
        point = M.random_point(rng)
        G = np.array(g.subs(consts).subs(dict(zip(M.coordinates, point, strict=True))).evalf(), dtype=float)
        assert np.all(np.linalg.eigvalsh(G) > 0)
    score = [sp.diff(M.model.log_density, c).subs(consts) for c in M.coordinates]
    f = _numpy(score, list(M.coordinates) + list(M.model.space.variables))
    n = 200_000
    obs = _observations(name, M, point, n, rng)
    s = np.stack([np.broadcast_to(v, obs[0].shape) for v in f(*point, *obs)])
    prod = s[:, None, :] * s[None, :, :]
    mean, se = prod.mean(-1), prod.std(-1) / np.sqrt(n)
    assert np.all(np.abs(mean - G) <= 5 * se + 1e-12), (mean, G, se)
    # the Amari-Chentsov tensor E[s_i s_j s_k] too
    T = np.array(sp.Array(M.amari_chentsov()).subs(consts).subs(dict(zip(M.coordinates, point, strict=True))).tolist(),
                 dtype=float)
    prod3 = s[:, None, None, :] * s[None, :, None, :] * s[None, None, :, :]
    mean3, se3 = prod3.mean(-1), prod3.std(-1) / np.sqrt(n)
    assert np.all(np.abs(mean3 - T) <= 5 * se3 + 1e-12), (mean3, T, se3)


@pytest.mark.parametrize("name", params(EXP_FAMILIES))
def test_three_metric_routes_agree(name):
    """E[score score^T] = -E[Hessian] = J^T (Hess F) J for exponential families."""
    M = build(name)
    gs = fisher_metric_from_score(M.model)
    gh = fisher_metric_from_hessian(M.model)
    gf = fisher_metric_from_log_partition(M.model)
    assert _zero(list(gs - gf), M.coordinates)
    assert _zero(list(gh - gf), M.coordinates)


@pytest.mark.parametrize("name", params(INTEGRABLE))
def test_score_and_hessian_routes_agree_by_integration(name):
    M = build(name)
    gs = fisher_metric_from_score(M.model)
    gh = fisher_metric_from_hessian(M.model)
    assert _zero(list(gs - gh), M.coordinates)


@pytest.mark.parametrize("name", ["Bernoulli", "Binomial", "Poisson", "Geometric",
                                  pytest.param("Categorical(3)", marks=pytest.mark.slow),
                                  "Exponential", "Normal"])
def test_moments_agree_with_direct_summation_and_integration(name):
    """The moment route (from the log-partition) and exact sums/integrals give one metric."""
    M = build(name)
    if name == "Binomial":
        from manifolds import Binomial
        M = Binomial(4)
    g_moments = fisher_metric_from_score(M.model, method="moments")
    g_direct = fisher_metric_from_score(M.model, method="integrate")
    assert _zero(list(g_moments - g_direct), M.coordinates)


@pytest.mark.parametrize("name", params(NAMES))
def test_alpha_connections_are_dual(name):
    """d_k g_ij = Gamma(alpha)_ki,j + Gamma(-alpha)_kj,i for symbolic alpha."""
    M = build(name)
    a = sp.Symbol("alpha")
    r = duality_residual(M.fisher_metric(), M.alpha_connection(a), M.alpha_connection(-a), M.coordinates)
    assert all(v == 0 for v in flat(r))


@pytest.mark.parametrize("name", params([n for n in NAMES if n not in ("StudentT", "MultivariateNormal(2)", "Dirichlet(3)")]))
def test_alpha_connection_from_definition(name):
    """E[(d_i d_j l + (1-alpha)/2 d_i l d_j l) d_k l] equals Gamma_ij,k - alpha/2 T_ijk
    with Gamma from the metric: two independent routes.
    """
    M = build(name)
    a = sp.Symbol("alpha")
    direct = alpha_connection_from_expectation(M.model, a)
    assert _zero([x - y for x, y in zip(flat(direct), flat(M.alpha_connection(a)), strict=True)], M.coordinates)


@pytest.mark.parametrize("name", params(EXP_FAMILIES))
def test_amari_chentsov_two_routes(name):
    """2 (Levi-Civita - flat e-connection) = third cumulant pulled back = E[score^3]."""
    M = build(name)
    if M.dim > 3:
        pytest.skip("E[score^3] by moments is slow for MultivariateNormal; covered by duality")
    a = amari_chentsov_tensor(M.model, "log_partition")
    b = amari_chentsov_tensor(M.model, "expectation")
    c = amari_chentsov_tensor(M.model, "cumulants")
    assert _zero([x - y for x, y in zip(flat(a), flat(b), strict=True)], M.coordinates)
    assert _zero([x - y for x, y in zip(flat(a), flat(c), strict=True)], M.coordinates)


@pytest.mark.parametrize("name", params(EXP_FAMILIES))
def test_kl_equals_bregman(name):
    """KL(p||q) = B_F(theta_q, theta_p): the Bregman closed form equals E_p[log p/q]."""
    M = build(name)
    kl = M.kl_divergence()
    direct = kl_divergence_from_expectation(M.model)
    coords = M.coordinates + M.model.second_point()
    assert _zero([kl - direct], coords)
    # and both vanish on the diagonal
    assert sp.simplify(kl.subs(dict(zip(M.model.second_point(), M.coordinates, strict=True)))) == 0


@pytest.mark.parametrize("name", params(EXP_FAMILIES))
def test_kl_monte_carlo(name):
    """The closed-form KL equals a Monte Carlo mean of log p - log q (scipy samples)."""
    M = build(name)
    rng = np.random.default_rng(2)
    p, q = M.random_point(rng), M.random_point(rng)
    consts = dict(M.model.constants)
    kl = float(M.kl_divergence().subs(consts).subs(dict(zip(M.coordinates, p, strict=True)))
               .subs(dict(zip(M.model.second_point(), q, strict=True))).evalf())
    l = M.model.log_density.subs(consts)
    f = _numpy(l, list(M.coordinates) + list(M.model.space.variables))
    obs = _observations(name, M, p, 200_000, rng)
    r = np.broadcast_to(f(*p, *obs) - f(*q, *obs), obs[0].shape)
    assert abs(r.mean() - kl) <= 5 * r.std() / np.sqrt(r.size) + 1e-12


@pytest.mark.parametrize("name", params([n for n in EXP_FAMILIES
                                         if build(n).model.from_natural is not None and n != "VonMises"]))
def test_natural_chart(name):
    """In the natural chart the metric is the Hessian of F, and it equals J^T G J; the
    declared inverse map inverts theta(xi).
    """
    M = build(name)
    N = M.in_chart("natural")
    fam = M.model
    hess = sp.hessian(fam.log_partition, fam.theta)
    assert _zero(list(N.fisher_metric() - hess), fam.theta)
    moved = transform_metric(M.fisher_metric(), M.coordinates, fam.from_natural, fam.theta)
    assert _zero(list(moved - hess), fam.theta)
    rng = np.random.default_rng(3)
    point = M.random_point(rng)
    theta = [t.subs(fam.constants).subs(dict(zip(M.coordinates, point, strict=True))) for t in fam.natural]
    back = [float(e.subs(fam.constants).subs(dict(zip(fam.theta, theta, strict=True)))) for e in fam.from_natural]
    np.testing.assert_allclose(back, point, rtol=1e-12)


# MultivariateNormal(2) is left out: its expectation chart takes minutes (Hessian of a 5-d F*)
@pytest.mark.parametrize("name", [n for n in EXP_FAMILIES if build(n).model.from_expectation is not None
                                  and n != "MultivariateNormal(2)"])
def test_expectation_chart_and_dual_potential(name):
    """In the expectation chart the metric is the Hessian of F* and the inverse of the
    natural-chart metric (Legendre duality); grad F* = theta.
    """
    M = build(name)
    fam = M.model
    Fs = M.dual_potential()
    E = M.in_chart("expectation")
    hess = sp.hessian(Fs, fam.eta)
    diff = list(E.fisher_metric() - hess)
    # sympy cannot know the sign of every radicand in eta (InverseGaussian: eta2 - 1/eta1 > 0),
    # so where the normal form leaves roots, compare at random points of the chart instead
    assert _zero(diff, fam.eta) or _numerically_zero(diff, E)
    rng = np.random.default_rng(4)
    point = M.random_point(rng)
    at = dict(zip(M.coordinates, point, strict=True)) | dict(fam.constants)
    eta = [e.subs(at) for e in M.expectation_parameters()]
    at_eta = dict(zip(fam.eta, eta, strict=True)) | dict(fam.constants)
    grad = [float(sp.diff(Fs, e).subs(at_eta)) for e in fam.eta]
    np.testing.assert_allclose(grad, [float(t.subs(at)) for t in fam.natural], rtol=1e-10, atol=1e-12)
    G = np.array(M.fisher_metric().subs(at).evalf(), dtype=float)
    J = np.array(sp.Matrix(fam.natural).jacobian(M.coordinates).subs(at).evalf(), dtype=float)
    H = np.array(hess.subs(at_eta).evalf(), dtype=float)
    # Hess F* at eta(xi) = (Hess F)^-1, with Hess F = J^-T G J^-1 in the natural chart
    Jinv = np.linalg.inv(J)
    np.testing.assert_allclose(H @ (Jinv.T @ G @ Jinv), np.eye(len(fam.eta)), atol=1e-9)


def test_expectation_chart_without_closed_form_says_so():
    M = build("Gamma")
    with pytest.raises(NotClosedFormError, match="no closed-form"):
        M.in_chart("expectation")
    with pytest.raises(NotClosedFormError, match="dual_potential_at_coordinates"):
        M.dual_potential()
