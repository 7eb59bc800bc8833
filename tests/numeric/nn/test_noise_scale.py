"""A Gaussian output scale so small that 1/sigma**2 overflows is refused, naming sigma.

Below sigma = 1/sqrt(max float64) ~ 7.5e-155 the Fisher weight nu = f'(h)**2 / sigma**2 of a
Gaussian neuron is not a float64; the blocks used to come back as inf/NaN without a word.
"""
import math

import numpy as np
import pytest

from numeric.nn import blocks
from symbolic.errors import DomainError


@pytest.fixture
def layer():
    rng = np.random.default_rng(3)
    return rng.standard_normal((2, 4)), rng.standard_normal((5, 3))


@pytest.mark.parametrize("sigma", [1e-160, 1e-300, 5e-324])
def test_tiny_sigma_is_refused(layer, sigma):
    W, X = layer
    with pytest.raises(DomainError, match="sigma must be >="):
        blocks.neuron_blocks(W, X, "tanh", sigma=sigma)


def test_smallest_allowed_sigma_gives_finite_blocks_scaling_as_one_over_sigma_squared(layer):
    W, X = layer
    sigma = 1e-150
    G = blocks.neuron_blocks(W, X, "tanh", sigma=sigma)
    G1 = blocks.neuron_blocks(W, X, "tanh", sigma=1.0)
    assert np.isfinite(G).all()
    # nu = f'^2 / sigma^2, so the blocks scale exactly as 1/sigma^2 (an identity of the model)
    np.testing.assert_allclose(G * sigma**2, G1, rtol=1e-12)
    assert math.isfinite(1.0 / sigma**2)
