"""Issue 11 findings on the own models of ``benchmarks/own_models.py`` that the other test files
do not cover: derivations that never ended now raise within their budget.
"""
from __future__ import annotations

import time

import pytest

from benchmarks.own_models import gumbel, normal_mixture, weibull
from symbolic.errors import NotClosedFormError

# the message is written after the alarm (its location-scale probe has 0.5 s): generous on a
# shared machine, and far below the minutes these calls ran for before the budget
SLACK = 4.0


@pytest.mark.slow
@pytest.mark.parametrize("make, call, before", [
    (weibull, lambda M: M.fisher_metric(timeout=1), "over 600 s"),
    (normal_mixture, lambda M: M.fisher_metric(timeout=1), "over 150 s"),
    (gumbel, lambda M: M.kl_divergence(timeout=1), "10 s, KL's own limit, whatever the budget"),
], ids=["weibull-metric", "mixture-metric", "gumbel-kl"])
def test_derivations_that_never_ended_raise_within_their_budget(make, call, before):
    M = make()
    start = time.perf_counter()
    with pytest.raises(NotClosedFormError, match="did not finish within 1 s") as info:
        call(M)
    assert time.perf_counter() - start < 1 + SLACK, before
    assert "ways forward" in str(info.value)


@pytest.mark.slow
def test_multivariate_normal_dual_potential_is_readable():
    """Issue 11: F* of MultivariateNormal(2) printed 1,844 characters. The textbook form is
    -log det(Cov)/2 - 1 - log(2 pi), Cov = E[xx'] - E[x]E[x]' (Nielsen 2020, sec. 4): a sympy
    expression of that size, and the grader finds it equal.
    """
    from manifolds import MultivariateNormal

    M = MultivariateNormal(2)
    text = str(M.dual_potential())
    assert len(text) <= 200, text
    textbook = "-log((eta3 - eta1**2)*(eta5 - eta2**2) - (eta4 - eta1*eta2)**2)/2 - 1 - log(2*pi)"
    assert M.check("dual_potential", textbook, timeout=60).verdict == "correct"
