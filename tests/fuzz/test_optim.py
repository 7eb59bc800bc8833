"""Area "optim": numeric.optim (natural_gradient, precondition, metric_descent, metric_flow, scoring_steps,
mirror descent) and manifolds.optim with NaN/inf gradients, singular and indefinite
metrics, bad step sizes, damping and step counts, and data outside the sample space.

Independent checks: the natural gradient against an mpmath solve at 30 digits; one
natural-gradient step with lr = 1 on a quadratic lands on its minimiser (Newton); Fisher
scoring's estimate against the closed-form MLE (Poisson: the mean; Exponential: 1/mean;
Normal: mean and standard deviation with ddof 0).
"""
import math

import mpmath
import numpy as np
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from numeric.optim import gradient_methods as ng
from numeric.optim.linalg import precondition
from tests.support import examples

from .harness import call_checked, warm_up
from .inputs import manifold

AREA = "optim"
BAD_REAL = [0.0, -1.0, math.nan, math.inf, -math.inf, 1e300, "0.1", None, 1j]
WORDS = ("metric", "matrix", "gradient", "damping", "method", "lr", "steps", "x0", "t1", "rtol", "atol",
         "score", "information", "max_steps", "xtol", "data", "loss", "theta0", "backtrack", "x")


def _matrix(seed, n, kind):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n))
    if kind == "spd":
        return A @ A.T + n * np.eye(n)
    if kind == "singular":
        v = rng.normal(size=(n, 1))
        return v @ v.T
    if kind == "indefinite":
        return (A + A.T) / 2
    if kind == "nan":
        G = A @ A.T
        G[0, 0] = math.nan
        return G
    if kind == "huge":
        return (A @ A.T + np.eye(n)) * 1e300
    if kind == "tiny":
        return (A @ A.T + np.eye(n)) * 1e-300
    return kind  # wrong types pass through


def _mp_solve(G, g, damping):
    with mpmath.workdps(30):
        M = mpmath.matrix(G.tolist()) + damping * mpmath.eye(G.shape[0])
        x = mpmath.lu_solve(M, mpmath.matrix(list(g)))
        return np.array([float(v) for v in x])


MATRIX_KIND = st.sampled_from(["spd", "spd", "singular", "indefinite", "nan", "huge", "tiny", "str", None])
GRADIENT = st.sampled_from(["normal", "nan", "inf", "huge", "wrong-shape", "str"])


@examples(40)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 5), kind=MATRIX_KIND, gkind=GRADIENT,
       damping=st.sampled_from([0.0, 1e-3, 1.0] + BAD_REAL), method=st.sampled_from(["solve", "pinv", "lstsq", None]))
def _natural_gradient_cases(seed, n, kind, gkind, damping, method):
    G = _matrix(seed, n, kind)
    g = np.random.default_rng(seed + 1).normal(size=n)
    g = {"normal": g, "nan": np.full(n, math.nan), "inf": np.full(n, math.inf), "huge": g * 1e300,
         "wrong-shape": np.append(g, 1.0), "str": "1.0"}[gkind]
    good_damping = isinstance(damping, float) and math.isfinite(damping) and damping >= 0
    # metric None is documented as the Euclidean metric: the plain gradient, method unused
    good = (good_damping and gkind in ("normal", "huge")
            and (kind is None or (kind in ("spd", "huge", "tiny") and method in ("solve", "pinv"))))
    # false positive fixed: with metric None there is no matrix to fix the dimension, so a
    # gradient one entry longer is just another finite gradient, not a wrong shape
    good = good or (good_damping and kind is None and gkind == "wrong-shape")
    reference = None
    if good and kind == "spd" and gkind == "normal":
        reference = _mp_solve(G, g, damping)
    for fn in (ng.natural_gradient, precondition):
        if kind == "singular" and method == "solve" and damping == 0.0 and gkind == "normal":
            expect = "error"
        else:
            expect = None if good or (kind in ("singular", "indefinite") and good_damping and method in (
                "solve", "pinv") and gkind in ("normal", "huge")) else "error"
        call_checked(AREA, fn, G, g, damping=damping, method=method, names=WORDS, expect=expect,
                     reference=reference, ref_rtol=1e-9)


def test_natural_gradient(fuzz_log):
    _natural_gradient_cases()
    fuzz_log.assert_clean()


@examples(25)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 4), lr=st.sampled_from([1.0, 0.1] + BAD_REAL),
       steps=st.sampled_from([1, 20, 0, -1, 2.5, None, True]),
       poison=st.sampled_from([None, "nan", "inf", "raise-nan-late"]),
       damping=st.sampled_from([0.0, 1e-6, -1.0, math.nan]))
def _descent_cases(seed, n, lr, steps, poison, damping):
    rng = np.random.default_rng(seed)
    A = _matrix(seed, n, "spd")
    x_star = rng.normal(size=n)
    calls = {"n": 0}

    def gradient(x):
        calls["n"] += 1
        g = A @ (np.asarray(x) - x_star)
        if poison == "nan" or (poison == "raise-nan-late" and calls["n"] > 3):
            return np.full(n, math.nan)
        if poison == "inf":
            return np.full(n, math.inf)
        return g

    x0 = rng.normal(size=n)
    good_args = (isinstance(lr, float) and math.isfinite(lr) and 0 < lr
                 and isinstance(steps, int) and not isinstance(steps, bool) and steps >= 0
                 and damping >= 0)
    compare = None
    if good_args and poison is None and lr == 1.0 and damping == 0.0 and steps >= 1:
        def compare(path):  # Newton on a quadratic: the first step lands on the minimiser
            if not path.ok:
                return None
            x1 = path.xs[1]
            if not np.allclose(x1, x_star, rtol=1e-9, atol=1e-9 * (1 + np.abs(x0).max())):
                return f"after one step {x1.tolist()}, minimiser {x_star.tolist()}"
            return None
    expect = None if good_args else "error"
    if good_args and poison in ("nan", "inf") and steps >= 1:
        expect = "error"  # a failed status (or an error) is the only correct answer
    call_checked(AREA, ng.metric_descent, lambda x: A, gradient, x0, lr, steps, damping=damping,
                 names=WORDS, expect=expect, compare=compare)
    t1 = {1.0: 5.0, 0.1: 1e300}.get(lr, lr) if isinstance(lr, float) else lr
    good_t1 = isinstance(t1, float) and math.isfinite(t1) and t1 > 0
    calls["n"] = 0
    # max_time is the flow's documented bound on its wall time: it must hold
    call_checked(AREA, ng.metric_flow, lambda x: A, gradient, x0, t1, damping=damping, max_time=2.0,
                 names=WORDS, budget_s=5.0,
                 expect=("error" if not (good_t1 and damping >= 0) or poison in ("nan", "inf") else None))
    calls["n"] = 0
    call_checked(AREA, ng.scoring_steps, lambda x: -gradient(x), lambda x: A, x0, damping=damping,
                 names=WORDS, expect="error" if poison in ("nan", "inf") or not damping >= 0 else None)


def test_descent_flow_scoring(fuzz_log):
    _descent_cases()
    fuzz_log.assert_clean()


MLE = {
    "Poisson": (lambda d: [d.mean()], lambda rng: rng.poisson(3.0, 50).astype(float), [1.0],
                [[-1.0], [2.5], [math.nan]]),
    "Exponential": (lambda d: [1 / d.mean()], lambda rng: rng.exponential(2.0, 50), [1.0],
                    [[-1.0], [-1e-300], [math.inf]]),
    "Normal": (lambda d: [d.mean(), d.std()], lambda rng: rng.normal(1.0, 2.0, 50), [0.0, 1.0],
               [[math.nan], [math.inf]]),
    "Beta": (None, lambda rng: rng.beta(2.0, 3.0, 50), [1.0, 1.0], [[1.5], [-0.5], [0.0], [1.0]]),
    "Bernoulli": (lambda d: [d.mean()], lambda rng: rng.binomial(1, 0.3, 50).astype(float), [0.5],
                  [[2.0], [0.5], [-1.0]]),
}


@examples(4)
@given(seed=st.integers(0, 2**31), which=st.sampled_from(sorted(MLE)), bad=st.integers(0, 3))
def _scoring_cases(seed, which, bad):
    from manifolds.optim import fisher_scoring

    M = manifold(which)
    words = WORDS + tuple(p.name for p in M.parameters)
    mle, draw, x0, outside = MLE[which]
    rng = np.random.default_rng(seed)
    d = draw(rng)
    ref = mle(d) if mle is not None else None
    warm_up(("fisher_scoring", which), fisher_scoring, M, draw(np.random.default_rng(0)), x0)
    call_checked(AREA, fisher_scoring, M, d, x0, names=words, reference=ref, ref_rtol=1e-8, budget_s=10.0)
    poisoned = d.copy()
    poisoned[rng.integers(d.size)] = outside[bad % len(outside)][0]
    call_checked(AREA, fisher_scoring, M, poisoned, x0, names=words, expect="error", budget_s=10.0)
    for wrong in ("1,2", None, [[1.0, 2.0, 3.0]], np.zeros((0,))):
        call_checked(AREA, fisher_scoring, M, wrong, x0, names=words, expect="error", budget_s=10.0)


def test_fisher_scoring_on_manifolds(fuzz_log):
    _scoring_cases()
    fuzz_log.assert_clean()


@examples(10)
@given(lr=st.sampled_from([0.1, 0.5] + BAD_REAL), steps=st.sampled_from([5, 0, -1, 1.5]),
       x0=st.sampled_from([[0.0, 1.0], [0.0, 1e-300], [0.0, -1.0], [math.nan, 1.0], [1e300, 1.0], "x"]))
def _manifold_descent_cases(lr, steps, x0):
    from manifolds.optim import mirror_descent, natural_gradient_descent

    M = manifold("Normal")
    mu, sigma = M.coordinates
    words = WORDS + ("mu", "sigma")
    loss = sp.log(sigma) + (1 + mu**2) / (2 * sigma**2)
    good = (isinstance(lr, float) and math.isfinite(lr) and 0 < lr and isinstance(steps, int)
            and steps >= 0 and x0 in ([0.0, 1.0], [0.0, 1e-300], [1e300, 1.0]))
    eta1, eta2 = M.model.eta
    warm_up("natural_gradient_descent", natural_gradient_descent, M, loss, [0.0, 1.0], 0.1, 1)
    warm_up("mirror_descent", mirror_descent, M, (eta1 - 1) ** 2 + (eta2 - 3) ** 2, [0.0, 1.0], 0.1, 1)
    call_checked(AREA, natural_gradient_descent, M, loss, x0, lr, steps, names=words,
                 expect=None if good else "error", budget_s=10.0)
    call_checked(AREA, mirror_descent, M, (eta1 - 1) ** 2 + (eta2 - 3) ** 2, x0, lr, steps, names=words,
                 expect=None if good else "error", budget_s=10.0)
    call_checked(AREA, natural_gradient_descent, M, lambda x: np.full(2, math.nan), [0.0, 1.0], 0.1, 3,
                 names=WORDS, expect="error")


def test_manifold_descent(fuzz_log):
    _manifold_descent_cases()
    fuzz_log.assert_clean()
