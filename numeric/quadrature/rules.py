"""Quadrature rules: Gauss-Kronrod pairs on [-1, 1], computed at high precision.

A Gauss-Kronrod rule [1]_ adds ``n + 1`` nodes to the ``n``-point Gauss-Legendre rule so
that the ``2n + 1`` nodes integrate polynomials of degree ``3n + 1`` exactly; the difference
between the two sums on the shared nodes is the classical error estimate of adaptive
quadrature (QUADPACK [2]_). The nodes are computed here rather than copied from a table:
the Stieltjes polynomial ``E_{n+1}`` (orthogonal to every polynomial of degree ``<= n`` for
the weight ``P_n``) is found by solving its moment equations at 60 digits with mpmath, its
roots are the new nodes, and the weights solve the moment equations of the ``2n + 1`` nodes.

References
----------
.. [1] A. S. Kronrod, *Nodes and Weights of Quadrature Formulas*, Consultants Bureau (1965);
   R. Piessens and M. Branders, Math. Comp. 28 (1974), 135-139 (the construction by the
   Stieltjes polynomial).
.. [2] R. Piessens, E. de Doncker-Kapenga, C. Überhuber and D. Kahaner, *QUADPACK*,
   Springer (1983), Section 2.2 (the 21-point rule, ``qk21``).
"""
import functools

import mpmath
import numpy as np

__all__ = ["gauss_hermite", "gauss_kronrod"]

_DPS = 60


@functools.lru_cache(maxsize=None)
def gauss_kronrod(n=10):
    """The ``(2n + 1)``-point Kronrod extension of the ``n``-point Gauss-Legendre rule.

    Parameters
    ----------
    n : int
        Points of the Gauss rule (10 gives QUADPACK's 21-point pair).

    Returns
    -------
    (nodes, kronrod_weights, gauss_weights) : ndarray, shape (2n + 1,)
        Nodes in increasing order on [-1, 1]; ``gauss_weights`` is zero at the Kronrod
        nodes, so ``sum(gauss_weights * f(nodes))`` is the Gauss sum.

    Examples
    --------
    >>> x, wk, wg = gauss_kronrod(10)
    >>> round(float(x[-1]), 15)   # QUADPACK qk21, xgk(1) = 0.995657163025808
    0.995657163025808
    >>> abs(float(wk @ x**30) - 2 / 31) < 1e-15, abs(float(wg @ x**18) - 2 / 19) < 1e-15
    (True, True)
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    with mpmath.workdps(_DPS):
        # high-degree Gauss-Legendre rule for the exact moments below
        big = mpmath.calculus.quadrature.GaussLegendre(mpmath.mp)
        degree = 3
        while 3 * 2 ** (degree - 1) < 4 * n + 4:
            degree += 1
        reference = big.calc_nodes(degree, mpmath.mp.prec)  # [(x, w)], exact for degree 3*2^(d-1)-1
        nodes_ref = [mpmath.mpf(x) for x, _ in reference]
        weights_ref = [mpmath.mpf(w) for _, w in reference]

        def integral(f):
            return mpmath.fsum(w * f(x) for x, w in zip(nodes_ref, weights_ref, strict=True))

        def legendre(x):
            return mpmath.legendre(n, x)

        # E(x) = x^{n+1} + sum_j c_j x^j with int P_n E x^k = 0 for k = 0..n
        A = mpmath.matrix(n + 1, n + 1)
        b = mpmath.matrix(n + 1, 1)
        for k in range(n + 1):
            for j in range(n + 1):
                A[k, j] = integral(lambda x, j=j, k=k: legendre(x) * x ** (j + k))
            b[k] = -integral(lambda x, k=k: legendre(x) * x ** (n + 1 + k))
        c = mpmath.lu_solve(A, b)
        coefficients = [mpmath.mpf(1)] + [c[j] for j in range(n, -1, -1)]
        kronrod = [mpmath.re(r) for r in mpmath.polyroots(coefficients, maxsteps=400, extraprec=200)]
        gauss = [mpmath.re(r) for r in mpmath.polyroots(
            mpmath.taylor(lambda x: legendre(x), 0, n)[::-1], maxsteps=400, extraprec=200)]
        nodes = sorted(kronrod + gauss)
        m = len(nodes)
        V = mpmath.matrix(m, m)
        moments = mpmath.matrix(m, 1)
        for k in range(m):
            for j in range(m):
                V[k, j] = nodes[j] ** k
            moments[k] = mpmath.mpf(2) / (k + 1) if k % 2 == 0 else 0
        wk = mpmath.lu_solve(V, moments)
        gauss_set = set(gauss)
        wg = []
        for x in nodes:
            if x in gauss_set:
                wg.append(2 / ((1 - x**2) * mpmath.diff(legendre, x) ** 2))
            else:
                wg.append(mpmath.mpf(0))
        return (np.array([float(x) for x in nodes]), np.array([float(w) for w in wk]),
                np.array([float(w) for w in wg]))


@functools.lru_cache(maxsize=None)
def gauss_hermite(n):
    """The ``n``-point Gauss-Hermite rule for the weight ``exp(-x^2 / 2)`` on the real line.

    The nodes are the roots of the probabilists' Hermite polynomial ``He_n`` (numpy's
    ``hermegauss`` as starting values, refined by Newton's method at 60 digits on the
    three-term recurrence ``He_{k+1} = x He_k - k He_{k-1}``), the weights
    ``n! sqrt(2 pi) / (n He_{n-1}(x_i))^2`` [3]_.

    Parameters
    ----------
    n : int

    Returns
    -------
    (nodes, weights) : ndarray, shape (n,)

    References
    ----------
    .. [3] M. Abramowitz and I. A. Stegun, *Handbook of Mathematical Functions* (1964),
       25.4.46 (for ``exp(-x^2)``; here with ``x`` scaled by ``sqrt(2)``).

    Examples
    --------
    >>> x, w = gauss_hermite(10)
    >>> m0, m18 = w.sum() / np.sqrt(2 * np.pi), w @ x**18 / np.sqrt(2 * np.pi)   # 1 and 17!!
    >>> round(float(m0), 14), round(float(m18) / 34459425, 14)
    (1.0, 1.0)
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    start, _ = np.polynomial.hermite_e.hermegauss(n)
    with mpmath.workdps(_DPS):
        def hermite_pair(x):
            previous, current = mpmath.mpf(0), mpmath.mpf(1)
            for k in range(n):
                previous, current = current, x * current - k * previous
            return current, previous   # He_n(x), He_{n-1}(x)

        nodes, weights = [], []
        for x0 in start:
            x = mpmath.mpf(float(x0))
            for _ in range(100):
                value, lower = hermite_pair(x)
                step = value / (n * lower)   # He_n' = n He_{n-1}
                x -= step
                if abs(step) < mpmath.mpf(10) ** (-_DPS + 5):
                    break
            _, lower = hermite_pair(x)
            nodes.append(x)
            weights.append(mpmath.factorial(n) * mpmath.sqrt(2 * mpmath.pi) / (n * lower) ** 2)
        return np.array([float(x) for x in nodes]), np.array([float(w) for w in weights])
