"""Tests of numeric.nn.blocks: per-neuron RFIM, layer and softmax blocks, exact Fisher blocks,
K-FAC, batched damped solves and RNGD.

Every reference here is computed independently of the module: activations are re-implemented
in numpy, scores are central finite differences of log-likelihoods written out in the test,
and expectations over outputs are Monte Carlo averages, exact enumerations (discrete outputs)
or Gauss-Hermite quadrature (Gaussian outputs; the score is linear in y, so 5 nodes are exact).
"""
import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import expit, log_softmax

from numeric.nn import _cpu as _blocks_cpu
from numeric.nn import blocks as B
from symbolic.errors import DomainError, SingularMatrixError
from tests.support import examples

SLOPE, ALPHA = 0.2, 0.7

# independent numpy activations (the module's come from numba scalar cores)
F = {
    "linear": lambda h: h,
    "tanh": np.tanh,
    "sigmoid": expit,
    "relu": lambda h: np.maximum(h, 0.0),
    "prelu": lambda h: np.where(h > 0, h, SLOPE * h),
    "elu": lambda h: np.where(h > 0, h, ALPHA * np.expm1(np.minimum(h, 0.0))),
    "softplus": lambda h: np.logaddexp(0.0, h),
}
VALID = [(a, "gaussian") for a in B.ACTIVATIONS] + [
    ("sigmoid", "bernoulli"), ("tanh", "symmetric"), ("sigmoid", "symmetric")]
SIGMA = 0.7


def logp(y, mu, noise, sigma=SIGMA):
    if noise == "gaussian":
        return -0.5 * ((y - mu) / sigma) ** 2
    if noise == "bernoulli":
        return np.where(y > 0.5, np.log(mu), np.log1p(-mu))
    return np.log((1.0 + y * mu) / 2.0)  # symmetric, y in {-1, +1}


def sample_y(mu, noise, rng, sigma=SIGMA):
    if noise == "gaussian":
        return mu + sigma * rng.standard_normal(mu.shape)
    u = rng.random(mu.shape)
    if noise == "bernoulli":
        return (u < mu).astype(float)
    return np.where(u < (1.0 + mu) / 2.0, 1.0, -1.0)


def h_score(y, h, act, noise, delta=1e-6):
    """D log p(y | f(h)) / dh by central differences."""
    f = F[act]
    return (logp(y, f(h + delta), noise) - logp(y, f(h - delta), noise)) / (2 * delta)


def kw(noise):
    return dict(sigma=SIGMA, slope=SLOPE, alpha=ALPHA) if noise == "gaussian" else dict(
        slope=SLOPE, alpha=ALPHA)


def layer_problem(seed=0, N=5, d=2, m=2):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((m, d + 1))
    X = rng.standard_normal((N, d))
    Xt = np.hstack([X, np.ones((N, 1))])
    H = Xt @ W.T
    assert np.abs(H).min() > 1e-3  # keep finite differences away from the ReLU kinks
    return W, X, Xt, H


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


# ---------------------------------------------------------------------------------------------
# one neuron


@pytest.mark.parametrize("act,noise", VALID)
def test_neuron_blocks_match_monte_carlo_score_covariance(act, noise):
    W, X, Xt, H = layer_problem(seed=3)
    G = B.neuron_blocks(W, X, act, noise, **kw(noise))
    rng = np.random.default_rng(11)
    errors = []
    for S in (250, 16000):
        sq = []
        for _ in range(6):  # RMS over replicates: one draw can be lucky
            y = sample_y(np.broadcast_to(F[act](H), (S,) + H.shape), noise, rng)
            s2 = (h_score(y, H, act, noise) ** 2).mean(axis=0)          # (N, m)
            G_mc = np.einsum("ni,nj,nk->ijk", s2, Xt, Xt) / len(X)
            sq.append(rel(G_mc, G) ** 2)
        errors.append(math.sqrt(np.mean(sq)))
    assert errors[1] < errors[0] / 3, errors          # 64x the samples: ~8x smaller error
    assert errors[1] < 0.03, errors


@examples(40)
@given(h=st.floats(-30, 30), pair=st.sampled_from(VALID))
def test_nu_is_expected_squared_score(h, pair):
    """Nu = E_y[(d log p / dh)^2], the expectation taken exactly over y."""
    act, noise = pair
    if act in ("relu", "prelu", "elu") and abs(h) < 1e-4:
        return
    f = F[act]
    mu = float(f(np.float64(h)))
    dh = 1e-6 * max(1.0, abs(h))
    fprime = (f(np.float64(h + dh)) - f(np.float64(h - dh))) / (2 * dh)
    # E[(score)^2] with the score chain-ruled through f, expectation over y done exactly
    if noise == "gaussian":
        expected = fprime**2 / SIGMA**2
    elif noise == "bernoulli":
        expected = mu * (fprime / mu) ** 2 + (1 - mu) * (fprime / (1 - mu)) ** 2 if 0 < mu < 1 else 0.0
    else:
        pp = (1 + mu) / 2
        expected = (pp * (fprime / (1 + mu)) ** 2 + (1 - pp) * (fprime / (1 - mu)) ** 2
                    if abs(mu) < 1 else 0.0)
    got = B.neuron_nu(np.array([h]), act, noise, **kw(noise))[0]
    assert got >= 0
    assert got == pytest.approx(expected, rel=1e-5, abs=1e-9)


def test_nu_stays_finite_far_in_the_tails():
    h = np.array([-800.0, -40.0, 40.0, 800.0])
    for act, noise in VALID:
        nu = B.neuron_nu(h, act, noise, **kw(noise))
        assert np.isfinite(nu).all() and (nu >= 0).all(), (act, noise, nu)
    assert B.neuron_nu(h, "tanh", "symmetric")[1] == pytest.approx(4 * math.exp(-80), rel=1e-12)


def test_paper_table_values():
    """Sun & Nielsen sec. 3.1, under the noise model each value actually belongs to."""
    h = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(B.neuron_nu(h, "tanh", "symmetric"), 1 / np.cosh(h) ** 2, rtol=1e-14)
    np.testing.assert_allclose(B.neuron_nu(h, "sigmoid", "bernoulli"),
                               expit(h) * (1 - expit(h)), rtol=1e-14)
    np.testing.assert_allclose(B.neuron_nu(h, "elu", alpha=ALPHA),
                               np.where(h > 0, 1.0, ALPHA**2 * np.exp(2 * h)), rtol=1e-14)
    # the paper's tanh value is NOT the Gaussian-noise one (that is sech^4 / sigma^2)
    np.testing.assert_allclose(B.neuron_nu(h, "tanh"), 1 / np.cosh(h) ** 4, rtol=1e-14)


@examples(25)
@given(seed=st.integers(0, 2**16), N=st.integers(1, 12), d=st.integers(0, 5),
       m=st.integers(1, 4), pair=st.sampled_from(VALID), sigma=st.floats(0.1, 5.0))
def test_neuron_blocks_laws(seed, N, d, m, pair, sigma):
    act, noise = pair
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((m, d + 1))
    X = rng.standard_normal((N, d))
    G = B.neuron_blocks(W, X, act, noise, sigma=sigma)
    assert G.shape == (m, d + 1, d + 1)
    np.testing.assert_array_equal(G, np.swapaxes(G, 1, 2))                     # symmetric
    assert np.linalg.eigvalsh(G).min() >= -1e-12 * max(1.0, np.abs(G).max())  # PSD
    perm = rng.permutation(N)                                                 # a mean over samples
    np.testing.assert_allclose(B.neuron_blocks(W, X[perm], act, noise, sigma=sigma), G,
                               rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(B.neuron_blocks(W, np.vstack([X, X]), act, noise, sigma=sigma), G,
                               rtol=1e-12, atol=1e-300)
    if noise == "gaussian":                                                   # nu ~ 1 / sigma^2
        np.testing.assert_allclose(B.neuron_blocks(W, X, act, sigma=2 * sigma), G / 4,
                                   rtol=1e-12, atol=1e-300)


@examples(30)
@given(seed=st.integers(0, 2**16), N=st.integers(1, 9), D=st.integers(1, 12),
       m=st.integers(1, 5), budget=st.integers(1, 200))
def test_chunked_pair_gemm_matches_einsum(seed, N, D, m, budget):
    """The GEMM accumulation splits the triangle into chunks of ``budget`` entries; any split
    (including one row per chunk) gives the same blocks as the direct accumulation used for
    small problems, also for negative weights.
    """
    rng = np.random.default_rng(seed)
    nu = rng.standard_normal((N, m))
    Xt = rng.standard_normal((N, D))
    ref = np.einsum("ni,nj,nk->ijk", nu, Xt, Xt)
    G = _blocks_cpu.weighted_grams(nu, Xt, budget=budget, direct=False)
    np.testing.assert_allclose(G, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_blocks_cpu.weighted_grams(nu, Xt), ref, rtol=1e-12, atol=1e-12)
    chunks = _blocks_cpu.pair_chunks(D, N, budget)
    assert chunks[0][0] == 0 and chunks[-1][1] == D
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:], strict=False))


def test_weighted_grams_public():
    nu = np.array([[1.0, 0.0], [3.0, 2.0]])
    X = np.array([[1.0], [-1.0]])
    G = B.weighted_grams(nu, X)
    np.testing.assert_allclose(G[1], [[1.0, -1.0], [-1.0, 1.0]])


# ---------------------------------------------------------------------------------------------
# layers, brute force: E_y[s s^T] with s = d log p / d vec(W) by finite differences


def brute_fisher(loglik, theta, ys_weights, delta=1e-6):
    """sum_y w_y s(y) s(y)^T with s the central-difference gradient of loglik(theta, y)."""
    P = theta.size
    F_ = np.zeros((P, P))
    for y, wgt in ys_weights:
        s = np.empty(P)
        for p in range(P):
            e = np.zeros(P)
            e[p] = delta
            s[p] = (loglik(theta + e, y) - loglik(theta - e, y)) / (2 * delta)
        F_ += wgt * np.outer(s, s)
    return F_


def gauss_hermite_grid(mu, sigma, nodes=5):
    z, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    for idx in itertools.product(range(nodes), repeat=len(mu)):
        yield mu + sigma * z[list(idx)], float(np.prod(w[list(idx)]))


@pytest.mark.parametrize("act,noise", [("tanh", "gaussian"), ("softplus", "gaussian"),
                                       ("sigmoid", "bernoulli"), ("tanh", "symmetric")])
def test_layer_rfim_matches_brute_force_fisher(act, noise):
    W, X, Xt, H = layer_problem(seed=5, N=3, d=2, m=2)
    m, D = W.shape
    f = F[act]
    F_bf = np.zeros((m * D, m * D))
    for x in Xt:
        def ll(theta, y, x=x):
            return float(logp(y, f(theta.reshape(m, D) @ x), noise).sum())
        mu = f(W @ x)
        if noise == "gaussian":
            ys = gauss_hermite_grid(mu, SIGMA)
        else:
            vals = (0.0, 1.0) if noise == "bernoulli" else (-1.0, 1.0)
            ys = []
            for y in itertools.product(vals, repeat=m):
                y = np.array(y)
                ys.append((y, float(np.exp(logp(y, mu, noise).sum()))))
        F_bf += brute_fisher(ll, W.ravel(), ys) / len(Xt)
    F_ = B.layer_rfim(W, X, act, noise, **kw(noise))
    np.testing.assert_allclose(F_, F_bf, rtol=1e-6, atol=1e-8)


def test_softmax_rfim_matches_brute_force_fisher():
    W, X, Xt, _ = layer_problem(seed=6, N=3, d=2, m=3)
    m, D = W.shape
    F_bf = np.zeros((m * D, m * D))
    for x in Xt:
        def ll(theta, y, x=x):
            return float(log_softmax(theta.reshape(m, D) @ x)[y])
        p = np.exp(log_softmax(W @ x))
        F_bf += brute_fisher(ll, W.ravel(), [(y, p[y]) for y in range(m)]) / len(Xt)
    F_ = B.softmax_rfim(W, X)
    np.testing.assert_allclose(F_, F_bf, rtol=1e-6, atol=1e-9)
    # one redundant row: adding the same vector to every row changes nothing
    v = np.kron(np.ones(m), np.array([0.3, -1.0, 2.0]))
    assert np.abs(F_ @ v).max() < 1e-12
    # the diagonal blocks are the per-neuron blocks RNGD uses
    diag = B.rfim_blocks([W], X, ["softmax"])[0]
    for i in range(m):
        np.testing.assert_allclose(F_[i * D:(i + 1) * D, i * D:(i + 1) * D], diag[i], rtol=1e-12)


def test_linear_gaussian_layer():
    W, X, Xt, _ = layer_problem(seed=7, N=4, d=3, m=2)
    np.testing.assert_allclose(B.layer_rfim(W, X, "linear", sigma=SIGMA),
                               np.kron(np.eye(2), Xt.T @ Xt / len(Xt) / SIGMA**2), rtol=1e-13)


# ---------------------------------------------------------------------------------------------
# MLPs: gradients, exact Fisher blocks, K-FAC


def mlp_problem(out="softmax", seed=0, N=3, sizes=(2, 3, 2), hidden="tanh"):
    rng = np.random.default_rng(seed)
    Ws = [0.8 * rng.standard_normal((b, a + 1)) for a, b in zip(sizes[:-1], sizes[1:], strict=False)]
    X = rng.standard_normal((N, sizes[0]))
    acts = [hidden] * (len(Ws) - 1) + [out]
    return Ws, X, acts


def mlp_loglik(Ws, acts, x, y, sigma=SIGMA):
    a = x
    for W, act in zip(Ws, acts, strict=False):
        h = W @ np.append(a, 1.0)
        if act == "softmax":
            return float(log_softmax(h)[y])
        a = F[act](h)
    return float(-0.5 * (((y - a) / sigma) ** 2).sum())


def mlp_output(Ws, acts, x):
    a = x
    for W, act in zip(Ws, acts, strict=False):
        h = W @ np.append(a, 1.0)
        a = np.exp(log_softmax(h)) if act == "softmax" else F[act](h)
    return a


@pytest.mark.parametrize("out", ["softmax", "linear", "tanh"])
def test_fisher_blocks_match_brute_force(out):
    Ws, X, acts = mlp_problem(out, seed=1)
    blocks = B.fisher_blocks(Ws, X, acts, sigma=SIGMA)
    for l, W in enumerate(Ws):
        F_bf = 0.0
        for x in X:
            def ll(theta, y, x=x, l=l, shape=W.shape):
                Ws2 = list(Ws)
                Ws2[l] = theta.reshape(shape)
                return mlp_loglik(Ws2, acts, x, y)
            mu = mlp_output(Ws, acts, x)
            ys = ([(y, mu[y]) for y in range(len(mu))] if out == "softmax"
                  else gauss_hermite_grid(mu, SIGMA))
            F_bf = F_bf + brute_fisher(ll, W.ravel(), ys) / len(X)
        np.testing.assert_allclose(blocks[l], F_bf, rtol=1e-6, atol=1e-9)


def test_last_layer_fisher_block_is_its_rfim():
    """[1] sec. 4: the RFIM of the last layer equals its block of the Fisher."""
    Ws, X, acts = mlp_problem("softmax", seed=2, N=6)
    fw = B.mlp_forward(Ws, X, acts)
    H1 = fw.inputs[-1][:, :-1]
    np.testing.assert_allclose(B.fisher_blocks(Ws, X, acts)[-1], B.softmax_rfim(Ws[-1], H1),
                               rtol=1e-12, atol=1e-15)
    Ws, X, acts = mlp_problem("tanh", seed=2, N=6)
    H1 = B.mlp_forward(Ws, X, acts).inputs[-1][:, :-1]
    np.testing.assert_allclose(B.fisher_blocks(Ws, X, acts, sigma=SIGMA)[-1],
                               B.layer_rfim(Ws[-1], H1, "tanh", sigma=SIGMA), rtol=1e-12, atol=1e-15)


def test_two_layer_rfim_needs_f_prime_not_nu():
    """[1] sec. 3.3 writes the blocks of g_y(W | x, C) for y ~ N(f(C h~), s^2), h = f(W x~), as
    sum_l c_il c_jl nu(c_l, h) nu(w_i, x) nu(w_j, x) x~x~^T. The chain rule gives the score
    sum_l (y_l - mu_l) f'(c_l.h~) c_il f'(w_i.x~) x~ / s^2, hence f'(w_i.x~) f'(w_j.x~) in
    place of the two nu's (nu = f'^2 / s^2 would count the first layer twice).
    """
    Ws, X, _ = mlp_problem("tanh", seed=13, N=7, sizes=(2, 3, 2))
    W, C = Ws
    F_ = B.fisher_blocks(Ws, X, ["tanh", "tanh"], sigma=SIGMA)[0]
    fw = B.mlp_forward(Ws, X, ["tanh", "tanh"])
    Xt, (dH, dZ) = fw.inputs[0], fw.derivs
    coupling = np.einsum("li,lj,nl->nij", C[:, :-1], C[:, :-1], dZ**2 / SIGMA**2)
    D = Xt.shape[1]

    def assemble(first_layer):      # first_layer[n, i, j] multiplies x~ x~^T in block (i, j)
        M = coupling * first_layer
        return np.einsum("nik,nj,nl->ijkl", M, Xt, Xt).reshape(3 * D, 3 * D) / len(X)

    corrected = assemble(dH[:, :, None] * dH[:, None, :])
    paper = assemble((dH**2)[:, :, None] * (dH**2)[:, None, :])
    np.testing.assert_allclose(corrected, F_, rtol=1e-12, atol=1e-15)
    assert rel(paper, F_) > 0.05


@pytest.mark.parametrize("out", ["softmax", "linear"])
def test_nll_gradients_match_finite_differences(out):
    Ws, X, acts = mlp_problem(out, seed=4, N=5)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 5) if out == "softmax" else rng.standard_normal((5, 2))
    loss, grads = B.nll_and_gradients(Ws, X, y, acts, sigma=SIGMA)
    ref = -np.mean([mlp_loglik(Ws, acts, x, t) for x, t in zip(X, y, strict=False)])
    if out != "softmax":
        ref += math.log(2 * math.pi * SIGMA**2)  # two outputs, each 0.5 log(2 pi sigma^2)
    assert loss == pytest.approx(ref, rel=1e-12)
    for l, W in enumerate(Ws):
        fd = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            for sgn in (1, -1):
                Ws2 = [w.copy() for w in Ws]
                Ws2[l][idx] += sgn * 1e-6
                fd[idx] += sgn * B.nll_and_gradients(Ws2, X, y, acts, sigma=SIGMA)[0] / 2e-6
        np.testing.assert_allclose(grads[l], fd, rtol=1e-5, atol=1e-8)


@examples(20)
@given(seed=st.integers(0, 2**16), d=st.integers(0, 4), m=st.integers(1, 4),
       out=st.sampled_from(["softmax", "linear"]))
def test_kfac_is_exact_for_one_linear_layer_and_one_sample(seed, d, m, out):
    rng = np.random.default_rng(seed)
    Ws = [rng.standard_normal((m + (out == "softmax"), d + 1))]
    X = rng.standard_normal((1, d))
    A, G = B.kfac_factors(Ws, X, [out], sigma=SIGMA)[0]
    F_ = B.fisher_blocks(Ws, X, [out], sigma=SIGMA)[0]
    np.testing.assert_allclose(np.kron(G, A), F_, rtol=1e-12, atol=1e-14)


@examples(15)
@given(seed=st.integers(0, 2**16), N=st.integers(1, 20), d=st.integers(0, 4), m=st.integers(1, 3))
def test_kfac_is_exact_for_a_linear_gaussian_layer(seed, N, d, m):
    """E[g g^T | x] = I / sigma^2 does not depend on x, so E[gg^T (x) aa^T] factorises."""
    rng = np.random.default_rng(seed)
    Ws = [rng.standard_normal((m, d + 1))]
    X = rng.standard_normal((N, d))
    A, G = B.kfac_factors(Ws, X, ["linear"], sigma=SIGMA)[0]
    np.testing.assert_allclose(np.kron(G, A), B.fisher_blocks(Ws, X, ["linear"], sigma=SIGMA)[0],
                               rtol=1e-12, atol=1e-14)


def test_kfac_error_where_not_exact(capsys):
    """K-FAC ignores the correlation of g g^T and a a^T across samples: report its error."""
    report = []
    for out, hidden in [("softmax", "tanh"), ("softmax", "relu"), ("linear", "tanh")]:
        Ws, X, acts = mlp_problem(out, seed=8, N=40, sizes=(3, 4, 3), hidden=hidden)
        exact = B.fisher_blocks(Ws, X, acts, sigma=SIGMA)
        for l, (A, G) in enumerate(B.kfac_factors(Ws, X, acts, sigma=SIGMA)):
            err = rel(np.kron(G, A), exact[l])
            report.append(f"{out}/{hidden} layer {l}: relative Frobenius error {err:.3f}")
            if out == "linear" and l == 1:
                assert err < 1e-12           # linear Gaussian output layer: exact
            else:
                assert 1e-4 < err < 10.0    # not exact; can exceed 1 (see the report)
    with capsys.disabled():
        print("\nK-FAC vs exact Fisher blocks (N=40, 3-4-3 MLP):\n  " + "\n  ".join(report))


def test_kfac_sampled_and_empirical_factors():
    Ws, X, acts = mlp_problem("softmax", seed=9, N=4)
    expected = B.kfac_factors(Ws, X, acts)
    S = 4000
    Xs = np.tile(X, (S, 1))
    sampled = B.kfac_factors(Ws, Xs, acts, targets="sample", rng=1)
    for (A1, G1), (A2, G2) in zip(expected, sampled, strict=False):
        np.testing.assert_allclose(A2, A1, rtol=1e-12)
        assert rel(G2, G1) < 0.05
    # given labels: G = mean g g^T with g = d log p(y|x) / dh, here for the output layer
    y = np.array([0, 1, 1, 0])
    A, G = B.kfac_factors(Ws, X, acts, targets=y)[-1]
    p = B.mlp_forward(Ws, X, acts).output
    g = np.eye(2)[y] - p
    np.testing.assert_allclose(G, g.T @ g / 4, rtol=1e-12)


@examples(25)
@given(seed=st.integers(0, 2**16), n_in=st.integers(1, 5), n_out=st.integers(1, 4),
       damping=st.floats(0.0, 1.0))
def test_kfac_apply_inverse_equals_kronecker_solve(seed, n_in, n_out, damping):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n_in + 3, n_in))
    g = rng.standard_normal((n_out + 3, n_out))
    A, G = a.T @ a + 0.1 * np.eye(n_in), g.T @ g + 0.1 * np.eye(n_out)
    V = rng.standard_normal((n_out, n_in))
    s = math.sqrt(damping)
    K = np.kron(G + s * np.eye(n_out), A + s * np.eye(n_in))
    np.testing.assert_allclose(B.kfac_apply_inverse(A, G, V, damping).ravel(),
                               np.linalg.solve(K, V.ravel()), rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# batched damped solves


def spd_stack(rng, m, D, rank=None):
    Z = rng.standard_normal((m, D, rank or D + 2))
    return Z @ np.swapaxes(Z, 1, 2) / Z.shape[2]


@examples(30)
@given(seed=st.integers(0, 2**16), m=st.integers(1, 6), D=st.integers(1, 9),
       damping=st.floats(1e-6, 10.0))
def test_batched_solves_match_numpy(seed, m, D, damping):
    rng = np.random.default_rng(seed)
    G = spd_stack(rng, m, D)
    g = rng.standard_normal((m, D))
    x = B.solve_blocks(G, g, damping)
    ref = np.linalg.solve(G + damping * np.eye(D), g[..., None])[..., 0]
    np.testing.assert_allclose(x, ref, rtol=1e-9, atol=1e-11 * np.abs(ref).max())
    L = B.cholesky_blocks(G, damping)
    np.testing.assert_allclose(L @ np.swapaxes(L, 1, 2), G + damping * np.eye(D), rtol=1e-12,
                               atol=1e-13)
    np.testing.assert_array_equal(np.triu(L, 1), 0.0)
    np.testing.assert_allclose(L, np.linalg.cholesky(G + damping * np.eye(D)), rtol=1e-10,
                               atol=1e-13)


def test_singular_block_without_damping_raises_and_suggests_damping():
    rng = np.random.default_rng(0)
    G = spd_stack(rng, 3, 4)
    G[1] = spd_stack(rng, 1, 4, rank=2)[0]           # rank 2 < 4: singular
    g = rng.standard_normal((3, 4))
    with pytest.raises(SingularMatrixError, match=r"block 1 .*damping="):
        B.solve_blocks(G, g)
    B.solve_blocks(G, g, damping=1e-8)
    # a dead ReLU neuron (nu = 0 on every sample) has an all-zero block
    W = np.array([[1.0, 0.0], [-1.0, -5.0]])
    X = np.abs(rng.standard_normal((6, 1)))
    Gr = B.neuron_blocks(W, X, "relu")
    assert not Gr[1].any()
    with pytest.raises(SingularMatrixError, match="block 1"):
        B.cholesky_blocks(Gr)


# ---------------------------------------------------------------------------------------------
# RNGD


def test_rngd_running_metric_and_period():
    Ws, X, acts = mlp_problem("softmax", seed=10, N=8)
    y = np.arange(8) % 2
    lam, T, eps, lr = 0.3, 3, 1e-2, 0.1
    opt = B.RNGD([w.copy() for w in Ws], acts, lr=lr, decay=lam, period=T, damping=eps)
    Ws_ref = [w.copy() for w in Ws]
    metrics = [np.broadcast_to(np.eye(w.shape[1]), (w.shape[0],) + (w.shape[1],) * 2).copy()
               for w in Ws]
    factor_metrics = None
    for t in range(7):
        grads = B.nll_and_gradients(opt.weights, X, y, acts)[1]
        batch = B.rfim_blocks(Ws_ref, X, acts)
        metrics = [(1 - lam) * M + lam * Mb for M, Mb in zip(metrics, batch, strict=False)]
        if t % T == 0:
            factor_metrics = [M.copy() for M in metrics]
        dirs = opt.step(grads, X)
        for l in range(len(Ws)):
            np.testing.assert_allclose(opt.metrics[l], metrics[l], rtol=1e-12, atol=1e-15)
            ref = np.linalg.solve(factor_metrics[l] + eps * np.eye(Ws[l].shape[1]),
                                  grads[l][..., None])[..., 0]
            np.testing.assert_allclose(dirs[l], ref, rtol=1e-8, atol=1e-12)
            Ws_ref[l] = Ws_ref[l] - lr * ref
            np.testing.assert_allclose(opt.weights[l], Ws_ref[l], rtol=1e-8, atol=1e-12)


def test_rngd_decreases_the_loss():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int)
    Ws, _, acts = mlp_problem("softmax", seed=12, sizes=(3, 8, 2), hidden="relu")
    opt = B.RNGD(Ws, acts, lr=0.2, decay=0.1, period=5, damping=1e-3)
    losses = []
    for _t in range(60):
        batch = rng.choice(64, 16, replace=False)
        loss, grads = B.nll_and_gradients(Ws, X[batch], y[batch], acts)
        opt.step(grads, X[batch])
        losses.append(B.nll_and_gradients(Ws, X, y, acts)[0])
    assert losses[-1] < 0.6 * losses[0], losses[::10]


# ---------------------------------------------------------------------------------------------
# bad input


def test_bad_input_raises_naming_the_parameter():
    """docs/errors.md: TypeError for a wrong type, ValueError for a shape or an option,
    DomainError for a value outside its domain, SingularMatrixError for a singular block.
    """
    W = np.zeros((2, 3))
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"W has shape \(2, 3\), so X must have 2 columns"):
        B.neuron_blocks(W, np.zeros((4, 3)), "tanh")
    with pytest.raises(DomainError, match="X must be finite.*index \\(1, 0\\)"):
        B.neuron_blocks(W, np.array([[0, 0], [np.nan, 0], [0, 0], [0, 0]]), "tanh")
    with pytest.raises(DomainError, match="W must be finite"):
        B.neuron_blocks(np.array([[0, 0, np.inf], [0, 0, 0]]), X, "tanh")
    with pytest.raises(TypeError, match="X must be an array of real numbers"):
        B.neuron_blocks(W, "X", "tanh")
    with pytest.raises(ValueError, match="activation must be one of"):
        B.neuron_blocks(W, X, "gelu")
    with pytest.raises(ValueError, match="activation must be one of"):
        B.neuron_blocks(W, X, "identity")           # one name per activation: "linear"
    with pytest.raises(ValueError, match="noise must be one of"):
        B.neuron_blocks(W, X, "tanh", "poisson")
    with pytest.raises(DomainError, match="noise='bernoulli' needs a mean in \\(0, 1\\)"):
        B.neuron_blocks(W, X, "tanh", "bernoulli")
    with pytest.raises(DomainError, match="noise='symmetric'"):
        B.neuron_nu([0.0], "relu", "symmetric")
    with pytest.raises(DomainError, match="sigma must be > 0, got -1"):
        B.neuron_blocks(W, X, "tanh", sigma=-1)
    with pytest.raises(DomainError, match="slope must be in \\[0, 1\\)"):
        B.neuron_blocks(W, X, "prelu", slope=1.5)
    with pytest.raises(DomainError, match="alpha must be > 0"):
        B.neuron_blocks(W, X, "elu", alpha=0.0)
    with pytest.raises(ValueError, match="backend must be one of"):
        B.neuron_blocks(W, X, "tanh", backend="tpu")
    with pytest.raises(ValueError, match="reduction must be one of"):
        B.neuron_blocks(W, X, "tanh", reduction="avg")
    with pytest.raises(ValueError, match="nu must have one row per sample"):
        B.weighted_grams(np.ones((3, 2)), X)
    with pytest.raises(DomainError, match="damping must be >= 0"):
        B.solve_blocks(np.ones((1, 1, 1)), np.ones((1, 1)), damping=-1.0)
    with pytest.raises(ValueError, match=r"g must have shape \(1, 1\)"):
        B.solve_blocks(np.ones((1, 1, 1)), np.ones((1, 2)))
    with pytest.raises(ValueError, match="G must be a stack of square blocks"):
        B.cholesky_blocks(np.ones((1, 2, 3)))
    with pytest.raises(DomainError, match="G must be finite"):
        B.cholesky_blocks(np.full((1, 1, 1), np.nan))
    Ws, Xm, acts = mlp_problem()
    with pytest.raises(ValueError, match=r"weights\[1\] must have 4 columns"):
        B.fisher_blocks([Ws[0], np.zeros((2, 5))], Xm, acts)
    with pytest.raises(ValueError, match="'softmax' is allowed in the last layer only"):
        B.mlp_forward(Ws, Xm, ["softmax", "softmax"])
    with pytest.raises(ValueError, match="activations must be a list with one name per layer"):
        B.mlp_forward(Ws, Xm, ["tanh"])
    with pytest.raises(TypeError, match="activations must be a list"):
        B.mlp_forward(Ws, Xm, "tanh")
    with pytest.raises(DomainError, match=r"y must lie in \[0, 2\)"):
        B.nll_and_gradients(Ws, Xm, np.array([0, 1, 2]), acts)
    with pytest.raises(ValueError, match="targets must be one of"):
        B.kfac_factors(Ws, Xm, acts, targets="model")
    with pytest.raises(ValueError, match=r"grad must have shape \(2, 3\)"):
        B.kfac_apply_inverse(np.eye(3), np.eye(2), np.ones((3, 2)))
    with pytest.raises(SingularMatrixError, match="damping"):
        B.kfac_apply_inverse(np.zeros((3, 3)), np.eye(2), np.ones((2, 3)))
    with pytest.raises(DomainError, match="decay must be in \\(0, 1\\]"):
        B.RNGD([w.copy() for w in Ws], acts, decay=0.0)
    with pytest.raises(DomainError, match="period must be an integer >= 1"):
        B.RNGD([w.copy() for w in Ws], acts, period=0)
    with pytest.raises(DomainError, match="noise='bernoulli'"):
        B.RNGD([w.copy() for w in Ws], acts, noise="bernoulli")
    with pytest.raises(TypeError, match=r"weights\[0\] must be a float64 numpy array"):
        B.RNGD([Ws[0].tolist(), Ws[1].copy()], acts)
    opt = B.RNGD([w.copy() for w in Ws], acts)
    with pytest.raises(ValueError, match=r"grads\[0\] must have the shape of weights\[0\]"):
        opt.step([np.zeros((1, 1)), np.zeros(Ws[1].shape)], Xm)
