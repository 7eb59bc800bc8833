r"""Linear algebra shared by the optimisers and the network diagnostics.

A natural-gradient step solves :math:`(G + \lambda I) d = g` for a symmetric curvature matrix
``G`` (Fisher, empirical Fisher, GGN, Hessian). :func:`precondition` does it with an
eigendecomposition, so that a singular matrix is reported (or pseudo-inverted) rather than
silently amplified.
"""
from __future__ import annotations

import numpy as np

from symbolic.errors import DomainError, SingularMatrixError
from symbolic.validation import as_array, as_symmetric, choice, nonnegative

__all__ = ["SingularMatrixError", "precondition"]


def precondition(matrix, gradient, *, damping=0.0, method="solve", rtol=None):
    r"""The preconditioned direction :math:`(B + \lambda I)^{-1} g` for a symmetric ``B``.

    Parameters
    ----------
    matrix : array_like, shape (D, D)
        Symmetric curvature matrix ``B`` (Fisher, empirical Fisher, GGN, Hessian).
    gradient : array_like, shape (D,)
    damping : float, >= 0
        Levenberg-Marquardt damping :math:`\lambda` added to the diagonal.
    method : {"solve", "pinv"}
        ``"solve"`` raises :class:`SingularMatrixError` when :math:`B + \lambda I` is
        numerically singular; ``"pinv"`` applies the Moore-Penrose pseudo-inverse, which drops
        the eigen-directions below the cut-off (the minimum-norm least-squares solution).
    rtol : float, optional
        Eigenvalues with :math:`|\mu| \le` ``rtol`` :math:`\max|\mu|` count as zero; default
        ``D * eps`` (numpy's ``pinv`` default).

    Returns
    -------
    ndarray, shape (D,)

    Raises
    ------
    DomainError
        A negative or non-finite ``damping`` or ``rtol`` (checked before the arrays), a
        non-finite entry, or a direction that overflows float64 (a nearly singular matrix:
        ``precondition([[1e-300]], [1e300])`` would be ``1e600``).
    SingularMatrixError
        ``method="solve"`` and a numerically singular :math:`B + \lambda I`.

    Examples
    --------
    >>> B = np.array([[1.0, 1.0], [1.0, 1.0]])           # rank 1
    >>> precondition(B, [2.0, 0.0], method="pinv")
    array([0.5, 0.5])
    >>> precondition(B, [2.0, 0.0], damping=1.0)
    array([ 1.33333333, -0.66666667])
    >>> precondition(B, [2.0, 0.0])
    Traceback (most recent call last):
    ...
    symbolic.errors.SingularMatrixError: matrix + damping * I is singular ...
    """
    # the options first: a bad damping is reported whatever else is wrong with the call
    lam = nonnegative("damping", damping)
    choice("method", method, ("solve", "pinv"))
    cut = None if rtol is None else nonnegative("rtol", rtol)
    d = _precondition(as_symmetric("matrix", matrix), gradient, lam, method, cut)
    if not np.all(np.isfinite(d)):
        i = int(np.flatnonzero(~np.isfinite(d))[0])
        raise DomainError(
            f"the natural gradient (matrix + damping * I)^-1 gradient overflows float64 (entry {i} is "
            f"{d[i]}): the matrix is nearly singular for this gradient; pass a larger damping or rescale")
    return d


def _precondition(B, gradient, lam, method, cut):
    """The direction for a validated ``B`` and options; may be non-finite where it overflows
    (the optimisers report that as a status instead of an error).
    """
    D = B.shape[0]
    g = as_array("gradient", gradient, shape=(D,))
    if cut is None:
        cut = D * np.finfo(float).eps
    w, V = np.linalg.eigh(B + lam * np.eye(D))
    big = np.max(np.abs(w)) if D else 0.0
    keep = np.abs(w) > cut * big
    if method == "solve" and not np.all(keep):
        raise SingularMatrixError(
            f"matrix + damping * I is singular (rank {int(keep.sum())} < {D}: smallest |eigenvalue| "
            f"{np.min(np.abs(w)):.3g} <= {cut:.3g} * largest {big:.3g}); pass damping > 0 or method='pinv'")
    coef = np.zeros(D)
    with np.errstate(over="ignore", invalid="ignore"):
        coef[keep] = (V[:, keep].T @ g) / w[keep]
        return V @ coef
