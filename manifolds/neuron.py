"""The stochastic neuron of [1]_ (sec. 3.1) as a statistical manifold.

References
----------
.. [1] K. Sun and F. Nielsen, "Relative Fisher information and natural gradient for learning
   large modular models", ICML 2017.
"""
from __future__ import annotations

import sympy as sp

from symbolic.neuron import neuron_model

from .base import StatisticalManifold

__all__ = ["Neuron"]


class Neuron(StatisticalManifold):
    r"""A stochastic neuron: coordinates ``w1 .. wd`` then the bias ``b``; the input ``x`` is fixed.

    The metric is the RFIM :math:`\nu_f(h)\,\tilde x\tilde x^\top` of :mod:`symbolic.neuron`
    (declared as the model's closed form; ``fisher_metric(method="score")`` derives it from
    the log-density).

    Parameters
    ----------
    activation : str, Expr, Lambda or callable
        See :func:`symbolic.neuron.activation`.
    noise : {"bernoulli", "symmetric", "gaussian"}
    d : int
        Number of inputs, >= 1.
    sigma : positive number or Symbol, optional
        Gaussian noise only (the symbol ``sigma`` when omitted).

    Other Parameters
    ----------------
    x : sequence, optional
        The input; symbols ``x1 .. xd`` when omitted.
    slope, alpha, omega
        See :func:`symbolic.neuron.activation`.

    Notes
    -----
    An omitted ``x`` or ``sigma`` stays a symbol, never a default value: the symbolic layer
    keeps ``x1 .. xd`` and ``sigma``, and the numeric layer (:attr:`numeric`) refuses until
    they have values, given here or bound by ``M.with_constants(x1=..., sigma=...)``
    (:func:`symbolic.neuron.typical_constants` holds typical ones).

    Examples
    --------
    >>> M = Neuron("tanh", "symmetric", d=1, x=[2])
    >>> M.coordinates
    (w1, b)
    >>> M.fisher_metric()
    Matrix([
    [4 - 4*tanh(b + 2*w1)**2, 2 - 2*tanh(b + 2*w1)**2],
    [2 - 2*tanh(b + 2*w1)**2,     1 - tanh(b + 2*w1)**2]])

    Symbolic inputs and scale are bound before numerics:

    >>> G = Neuron("linear", "gaussian", d=1)
    >>> G.model.unbound_constants()
    (sigma, x1)
    >>> G.with_constants(x1=2, sigma=0.5).numeric.metric([0.0, 0.0]).tolist()   # x~ x~^T / sigma^2
    [[16.0, 8.0], [8.0, 4.0]]
    """

    library_declaration = True

    def __init__(self, activation, noise, d=2, sigma=None, *, x=None, slope=sp.Rational(1, 4), alpha=1,
                 omega=None):
        super().__init__(neuron_model(activation, noise, d, x, sigma, slope=slope, alpha=alpha, omega=omega))

    @staticmethod
    def constructor_binding(missing):
        """How the constructor binds the unbound constants ``missing`` (for the numeric
        layer's refusal): ``"Neuron(..., x=[...], sigma=...)"``.

        Examples
        --------
        >>> import sympy as sp
        >>> Neuron.constructor_binding([sp.Symbol("sigma"), sp.Symbol("x1")])
        'Neuron(..., x=[...], sigma=...)'
        """
        names = {s.name for s in missing}
        parts = (["x=[...]"] if any(n.startswith("x") for n in names) else []) + (
            ["sigma=..."] if "sigma" in names else [])
        return f"Neuron(..., {', '.join(parts)})"
