r"""The conventions of the toolkit, stated once and referred to everywhere else.

Index order and signs
---------------------
* Coordinates are ordered as declared by the family; the second point of a divergence uses
  the same names with the suffix ``_2`` (``mu_2``, ``sigma_2``).
* Fisher metric :math:`g_{ij} = E[\partial_i \ell\, \partial_j \ell]` with no factor 4; the
  Fisher-Rao distance is the geodesic distance of :math:`g`.
* Christoffel symbols of the first kind, array index ``[i, j, k]``:
  :math:`\Gamma_{ij,k} = \tfrac12(\partial_i g_{jk} + \partial_j g_{ik} - \partial_k g_{ij})`.
* Christoffel symbols of the second kind, array index ``[k, i, j]``:
  :math:`\Gamma^k_{ij} = g^{kl}\Gamma_{ij,l}`.
* Amari-Chentsov tensor, ``[i, j, k]``: :math:`T_{ijk} = E[\partial_i\ell\,\partial_j\ell\,\partial_k\ell]`.
* alpha-connection, first kind ``[i, j, k]``:
  :math:`\Gamma^{(\alpha)}_{ij,k} = E[(\partial_i\partial_j\ell + \tfrac{1-\alpha}{2}\partial_i\ell\,\partial_j\ell)\,\partial_k\ell]
  = \Gamma_{ij,k} - \tfrac{\alpha}{2} T_{ijk}`; ``alpha = 1`` is the exponential (e-)
  connection, ``alpha = -1`` the mixture (m-) connection; second kind ``[k, i, j]`` raises
  the last index with :math:`g^{-1}`.
* Riemann tensor ``[i, j, k, l]``:
  :math:`R^i{}_{jkl} = \partial_k\Gamma^i_{lj} - \partial_l\Gamma^i_{kj}
  + \Gamma^i_{km}\Gamma^m_{lj} - \Gamma^i_{lm}\Gamma^m_{kj}`;
  Ricci :math:`R_{jl} = R^i{}_{jil}`; scalar :math:`R = g^{jl}R_{jl}`; for a surface the
  Gaussian curvature is :math:`R/2`. The same formulas with the alpha-connection give the
  alpha-curvature.
* Exponential families: :math:`\log p(x;\xi) = \theta(\xi)\cdot T(x) - F(\theta(\xi)) + \log h(x)`;
  natural parameters ``theta1, theta2, ...``; expectation parameters
  :math:`\eta = \nabla F` named ``eta1, eta2, ...``; dual potential
  :math:`F^*(\eta) = \theta\cdot\eta - F(\theta)`;
  :math:`KL(p_\xi \| p_{\xi_2}) = B_F(\theta_2, \theta) = F(\theta_2) - F(\theta) - \nabla F(\theta)\cdot(\theta_2-\theta)`.
* Numeric arrays put batch axes first: a point is shape ``(..., n)``.
"""

CHRISTOFFEL_FIRST_KIND_INDEX = "[i, j, k] = Gamma_ij,k"
CHRISTOFFEL_SECOND_KIND_INDEX = "[k, i, j] = Gamma^k_ij"
RIEMANN_INDEX = "[i, j, k, l] = R^i_jkl"
SECOND_POINT_SUFFIX = "_2"
NATURAL_PREFIX = "theta"
EXPECTATION_PREFIX = "eta"
