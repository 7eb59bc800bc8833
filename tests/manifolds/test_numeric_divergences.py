"""Divergences of families that are not exponential, by quadrature (M.numeric.divergence), against
closed forms.

- Cauchy: every f-divergence is a function of chi^2 = ((l1 - l2)^2 + (s1 - s2)^2) / (2 s1 s2)
  (Nielsen & Okamura, "On f-divergences between Cauchy distributions", IEEE Trans. Inf. Theory
  69(5), 2023, Theorem 1); the Bhattacharyya coefficient, an elliptic integral in their paper,
  is 1 / AGM(1, sqrt((1 + lam) / 2)) with lam = 1 + chi^2: at equal locations and scales 1, s
  it is (2 sqrt(s) / pi) K(sqrt(1 - s^2)) (Gradshteyn & Ryzhik 3.152.1), K = pi / (2 AGM(1, s))
  (Gauss), and one AGM step of AGM(s^-1/2, s^1/2) gives the form used here.
- Laplace(b), equal scales: BC = (1 + d/(2b)) exp(-d/(2b)) with d = |mu1 - mu2| (the integral of
  exp(-(|x - mu1| + |x - mu2|)/(2b)) / (2b), constant between the locations).
- StudentT(1) is the Cauchy family: the same values.
"""
import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manifolds import Cauchy, Laplace, StudentT

locations = st.floats(-3, 3)
scales = st.floats(0.3, 3)


def cauchy_bc(x, y):
    (l1, s1), (l2, s2) = x, y
    with mpmath.workdps(30):
        lam = 1 + (mpmath.mpf(l1 - l2) ** 2 + mpmath.mpf(s1 - s2) ** 2) / (2 * mpmath.mpf(s1) * s2)
        return 1 / mpmath.agm(1, mpmath.sqrt((1 + lam) / 2))


@pytest.mark.slow
@settings(max_examples=4)
@given(l1=locations, s1=scales, l2=locations, s2=scales)
def test_cauchy_bhattacharyya_and_hellinger_by_quadrature(l1, s1, l2, s2):
    x, y = [l1, s1], [l2, s2]
    bc = cauchy_bc(x, y)
    b = Cauchy().numeric.divergence("bhattacharyya", x, y)
    assert abs(b - float(-mpmath.log(bc))) < 1e-13 * (1 + b)
    assert abs(Cauchy().numeric.divergence("hellinger", x, y) - float(1 - bc)) < 1e-13
    # symmetric, as every f-divergence between Cauchy laws (Nielsen & Okamura, Theorem 1)
    assert abs(Cauchy().numeric.divergence("bhattacharyya", y, x) - b) < 1e-13 * (1 + b)


def test_student_t_with_one_degree_is_cauchy():
    x, y = [0.3, 1.2], [-1.0, 0.4]
    assert abs(StudentT(1).numeric.divergence("bhattacharyya", x, y) - float(-mpmath.log(cauchy_bc(x, y)))) < 1e-13


@pytest.mark.parametrize("b,m1,m2", [(1.5, 0.2, 1.3), (0.5, -2.0, 1.0), (2, 0.0, 0.0)])
def test_laplace_bhattacharyya_by_quadrature(b, m1, m2):
    d = abs(m1 - m2) / (2 * b)
    expected = -float(mpmath.log((1 + mpmath.mpf(d)) * mpmath.exp(-mpmath.mpf(d))))
    assert abs(Laplace(b).numeric.divergence("bhattacharyya", [m1], [m2]) - expected) < 1e-14
