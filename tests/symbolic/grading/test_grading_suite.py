"""The grading suite (issue 11): every answer of ``items.ITEMS`` gets its verdict.

Derivations are shared: one manifold per family (``StatisticalManifold.cached`` keeps what
was derived), so the suite costs about the checks themselves. The items of families whose
derivations take seconds carry the ``slow`` marker.
"""
from __future__ import annotations

import functools

import pytest

from manifolds.catalog import CATALOG, TYPICAL_CONSTANTS
from symbolic.errors import AnswerError

from .items import ITEMS, SLOW_FAMILIES

_MAKERS = {name: (cls, args) for name, cls, args in CATALOG}


@functools.lru_cache(maxsize=None)
def manifold(family):
    # the items of Binomial, NormalMean, StudentT and Laplace are graded with the constant
    # bound (n = 10, ...), as the items say; unbound, a numeric answer is incorrect
    cls, args = _MAKERS[family]
    return cls(*args).with_constants(**TYPICAL_CONSTANTS.get(family, {}))


# generous: the verdicts must not depend on the load of a shared CI machine (the budget is
# wall-clock time); the default budget of 5 s is tested in tests/symbolic/test_parsing.py
TIMEOUT = 60


def grade(item, feedback="verdict"):
    try:
        return manifold(item.family).check(item.quantity, item.answer, feedback=feedback, timeout=TIMEOUT,
                                           **item.options).verdict
    except AnswerError:
        return "malformed"


def _param(k, item):
    marks = [pytest.mark.slow] if item.family in SLOW_FAMILIES else []
    return pytest.param(item, id=f"{k}-{item.family}-{item.quantity}-{item.verdict}", marks=marks)


@pytest.mark.parametrize("item", [_param(k, item) for k, item in enumerate(ITEMS)])
def test_verdict(item):
    assert grade(item) == item.verdict, (item.answer, item.source)


def test_the_suite_is_large_and_varied():
    families = {item.family for item in ITEMS}
    verdicts = [item.verdict for item in ITEMS]
    assert len(ITEMS) >= 150 and len(families) >= 12
    assert verdicts.count("correct") >= 60 and verdicts.count("incorrect") >= 60
    assert verdicts.count("malformed") >= 4
    # an undecided verdict is allowed only where the suite says why
    assert all(item.why for item in ITEMS if item.verdict == "undecided")
    # every item cites its source
    assert all(item.source for item in ITEMS)
    # the same answer never appears with two verdicts
    seen = {}
    for item in ITEMS:
        key = (item.family, item.quantity, str(item.answer), tuple(sorted(item.options.items())))
        assert seen.setdefault(key, item.verdict) == item.verdict, key


def test_batch_grading_agrees_with_single_checks():
    items = [item for item in ITEMS if item.family == "Poisson" and not item.options]
    M = manifold("Poisson")
    results = M.check_batch([(item.quantity, item.answer) for item in items], timeout=TIMEOUT)
    assert [r.verdict for r in results] == [item.verdict for item in items]
