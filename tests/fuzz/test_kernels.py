"""Area "kernels": M.validate and M.numeric.{validate, metric, inverse_metric, christoffel,
log_density, score} of every catalog family under typical, near-boundary, out-of-domain,
NaN/inf, wrong-shape, wrong-type, extreme-magnitude inputs and empty batches.

References: the symbolic metric and Christoffel symbols evaluated with mpmath at 40 digits,
the inverse metric as the mpmath inverse of that metric, the log-density against
``scipy.stats`` (``tests/catalog_points.scipy_law``).
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.catalog_points import NAMES, scipy_law
from tests.support import examples

from .harness import call_checked
from .inputs import WRONG_TYPES, exact, exact_inverse, inside, manifold, nonfinite_points, points, wrong_shapes

AREA = "kernels"


def _names(M):
    # a joint constraint (the covariance's minors) is named by its text, not one parameter
    return ("x", "x0", "constraint") + tuple(p.name for p in M.parameters)


@pytest.mark.parametrize("name", NAMES)
def test_point_kernels(name, fuzz_log):
    M = manifold(name)
    K = M.numeric
    x0 = M.random_point(np.random.default_rng(0))
    K.metric(x0), K.inverse_metric(x0), K.christoffel(x0)  # compile outside the budget
    names = _names(M)

    @examples(12)
    @given(x=points(M))
    def run(x):
        valid = inside(M, x)
        expect = None if valid else "error"
        call_checked(AREA, M.validate, x, names=names, expect=expect)
        call_checked(AREA, K.metric, x, names=names, expect=expect,
                     reference=(lambda: exact(name, "metric", x)) if valid else None, ref_rtol=1e-6)
        call_checked(AREA, K.inverse_metric, x, names=names, expect=expect,
                     reference=(lambda: exact_inverse(name, x)) if valid else None, ref_rtol=1e-6)
        call_checked(AREA, K.christoffel, x, names=names, expect=expect,
                     reference=(lambda: exact(name, "christoffel", x)) if valid else None, ref_rtol=1e-6)

    run()
    fuzz_log.assert_clean()


@pytest.mark.parametrize("name", NAMES)
def test_bad_points(name, fuzz_log):
    M = manifold(name)
    K = M.numeric
    names = _names(M)
    ok = M.random_point(np.random.default_rng(1))
    # load (or compile) every kernel outside the budgets: a first call may compile for seconds
    K.metric(ok), K.inverse_metric(ok), K.christoffel(ok)

    @examples(6)
    @given(x=st.one_of(nonfinite_points(M), wrong_shapes(M)))
    def run(x):
        for fn in (M.validate, K.validate, K.metric, K.inverse_metric, K.christoffel):
            call_checked(AREA, fn, x, names=names, expect="error")

    run()
    for bad in WRONG_TYPES:
        for fn in (M.validate, K.metric, K.christoffel):
            call_checked(AREA, fn, bad, names=names, expect=TypeError)
    # an empty batch is a valid batch: an empty result of the right shape
    for fn, tail in ((K.metric, (M.dim, M.dim)), (K.inverse_metric, (M.dim, M.dim)),
                     (K.christoffel, (M.dim,) * 3)):
        out = call_checked(AREA, fn, np.zeros((0, M.dim)), names=names)
        if out.kind == "ok":
            assert np.shape(out.value) == (0,) + tail, (fn, np.shape(out.value))
    # a batch gives the single-point values row by row
    batch = np.stack([M.random_point(np.random.default_rng(s)) for s in range(3)])
    # once outside the budget: the first call with a new batch shape may still load or
    # compile (the full suite on 2 loaded cores overran the 2 s budget here, in isolation 14 ms)
    K.metric(batch.reshape(3, 1, M.dim))
    out = call_checked(AREA, K.metric, batch.reshape(3, 1, M.dim), names=names)
    assert out.kind == "ok"
    for k in range(3):
        np.testing.assert_allclose(out.value[k, 0], exact(name, "metric", batch[k]), rtol=1e-8, atol=1e-12)
    fuzz_log.assert_clean()


def _sample(name, M, x, rng):
    law = scipy_law(name, list(x), {str(k): float(v) for k, v in M.model.constants.items()})
    d = law.rvs(random_state=rng)
    if name == "Categorical(3)":
        d = float(np.argmax(d) + 1)
    if name == "Dirichlet(3)":
        # false positive: scipy's dirichlet.rvs returns shape (1, k) but its logpdf refuses
        # that shape (it wants (k,)), so the reference itself raised; one observation is (k,)
        d = np.reshape(d, -1)
    return np.atleast_1d(np.asarray(d, dtype=np.float64)), law


def _logpdf(name, law, d):
    if name == "Categorical(3)":
        onehot = np.zeros(3)
        onehot[int(d[0]) - 1] = 1
        return law.logpmf(onehot)
    if name == "Dirichlet(3)":
        return law.logpdf(d)
    if name == "MultivariateNormal(2)":
        return law.logpdf(d)
    return (law.logpmf if hasattr(law, "logpmf") else law.logpdf)(d[0])


#: Observations outside the sample space of each kind of family.
OUTSIDE = {
    # the endpoints of an interval support (0 for x > 0, 0 and 1 for Beta) are left out:
    # whether they belong to the sample space is a convention, not a fault
    "discrete01": [-1.0, 2.0, 0.5], "count": [-1.0, 2.5], "positive": [-1.0, -1e-300],
    "unit": [-0.5, 1.5], "simplex": [[0.5, 0.6, 0.1], [-0.1, 0.6, 0.5]],
    "categorical": [0.0, 4.0, 1.5], "circle": [4.0],
}
KIND = {"Bernoulli": "discrete01", "Binomial": "count", "Geometric": "count", "Poisson": "count",
        "Exponential": "positive", "Gamma": "positive", "InverseGaussian": "positive",
        "LogNormal": "positive", "Beta": "unit", "Dirichlet(3)": "simplex",
        "Categorical(3)": "categorical", "VonMises": "circle"}


@pytest.mark.parametrize("name", NAMES)
def test_density(name, fuzz_log):
    M = manifold(name)
    K = M.numeric
    names = _names(M) + ("data",) + tuple(str(v) for v in M.model.space.variables)
    x0 = M.random_point(np.random.default_rng(2))
    d0, _ = _sample(name, M, x0, np.random.default_rng(0))
    K.log_density(x0, d0), K.score(x0, d0)

    @examples(10)
    @given(seed=st.integers(0, 2**32 - 1), u=st.floats(0, 1))
    def run(seed, u):
        rng = np.random.default_rng(seed)
        x = M.random_point(rng)
        d, law = _sample(name, M, x, rng)
        call_checked(AREA, K.log_density, x, d, names=names, reference=lambda: _logpdf(name, law, d),
                     ref_rtol=1e-8, ref_atol=1e-10)
        call_checked(AREA, K.score, x, d, names=names)
        bad = d.copy()
        bad[0] = [np.nan, np.inf, -np.inf][int(u * 2.999)]
        for fn in (K.log_density, K.score):
            call_checked(AREA, fn, x, bad, names=names, expect="error")
        if name in KIND:
            for out in OUTSIDE[KIND[name]]:
                o = np.atleast_1d(np.asarray(out, dtype=np.float64))
                # outside the support: an error, or log-density -inf (density zero)
                call_checked(AREA, K.log_density, x, o, names=names,
                             compare=lambda v: None if np.all(np.asarray(v) == -np.inf) else
                             f"log-density {v!r} outside the sample space")
    run()
    for bad in WRONG_TYPES:
        call_checked(AREA, K.log_density, x0, bad, names=names, expect=TypeError)
    fuzz_log.assert_clean()
