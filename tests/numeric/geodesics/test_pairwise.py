"""The distance-matrix engine: pair enumeration, chunking, status reporting.

The pair function here is the distance on the real line, ``|x - y|``, whose matrix is known
exactly, so every check is an identity: the enumeration covers each pair once, the result does
not depend on the chunk size, and failed pairs are reported (NaN and their code), never filled.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numeric.geodesics.pairwise import pair_indices, pairwise


def line(xs, ys):
    return np.abs(xs - ys)[:, 0], np.zeros(len(xs), dtype=np.int64)


@given(st.integers(0, 40), st.data())
def test_the_symmetric_enumeration_is_the_upper_triangle_in_row_major_order(n, data):
    total = n * (n - 1) // 2
    start = data.draw(st.integers(0, total))
    stop = data.draw(st.integers(start, total))
    i, j = pair_indices(n, n, start, stop, True)
    ti, tj = np.triu_indices(n, 1)
    assert i.tolist() == ti[start:stop].tolist()
    assert j.tolist() == tj[start:stop].tolist()


@given(st.integers(1, 12), st.integers(1, 12), st.integers(1, 50))
def test_every_chunk_size_gives_the_same_matrix(n, m, chunk):
    rng = np.random.default_rng(n * 100 + m)
    X, Y = rng.normal(size=(n, 1)), rng.normal(size=(m, 1))
    exact = np.abs(X - Y.T)
    r = pairwise(line, X, Y, chunk=chunk)
    assert np.array_equal(r.distances, exact) and r.ok and r.pairs == n * m
    s = pairwise(line, X, chunk=chunk)
    assert np.array_equal(s.distances, np.abs(X - X.T)) and s.pairs == n * (n - 1) // 2


def test_failed_pairs_are_reported_and_never_filled():
    def flaky(xs, ys):
        d, status = line(xs, ys)
        bad = (xs[:, 0] + ys[:, 0]) == 5.0  # the pairs (0, 5), (1, 4) and (2, 3)
        return np.where(bad, 123.0, d), np.where(bad, 1, status)

    X = np.arange(6.0)[:, None]
    r = pairwise(flaky, X, chunk=4, messages={1: "did not converge"})
    assert r.failed.tolist() == [[0, 5], [1, 4], [2, 3]]
    assert r.converged == pytest.approx(1 - 3 / 15)
    assert not r.ok and r.message == "3 of 15 pairs: did not converge"
    # the pair function's value of a failed pair is not used; the code is stored both ways
    assert r.status[4, 1] == r.status[1, 4] == 1
    assert np.isnan(r.distances[[1, 4, 2, 3], [4, 1, 3, 2]]).all()
    # the matrix of the successful pairs is exact
    ok = r.status == 0
    assert np.array_equal(r.distances[ok], np.abs(X - X.T)[ok])


def test_progress_is_reported_per_chunk():
    calls = []
    pairwise(line, np.arange(5.0)[:, None], chunk=3, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(3, 10), (6, 10), (9, 10), (10, 10)]


def test_bad_shapes_and_chunks_are_refused():
    with pytest.raises(ValueError, match="shapes"):
        pairwise(line, np.zeros((3, 1)), np.zeros((3, 2)))
    with pytest.raises(Exception, match="chunk"):
        pairwise(line, np.zeros((3, 1)), chunk=0)
