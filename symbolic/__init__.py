"""The symbolic layer: exact derivations over sympy objects.

Pure functions from a model to exact expressions, named ``source_to_target`` where they
transform one quantity into the next. Conventions: :mod:`symbolic.conventions`.
"""
from .algebra import RationalAlgebra, canonical_functions, normal_form, simplify_array, simplify_entries
from .charts import expectation_chart, natural_chart, reparametrize, transform_christoffel_1st, transform_metric
from .connections import alpha_connection, alpha_connection_from_expectation, amari_chentsov_tensor, duality_residual
from .curvature import (
    christoffel_2nd_to_riemann,
    curvature_chain,
    gaussian_curvature,
    metric_to_christoffel_1st,
    metric_to_christoffel_2nd,
    metric_to_scalar_curvature,
    ricci_to_scalar,
    riemann_to_ricci,
)
from .curved import CurvedExponentialFamily, embedding_curvature, restrict, statistical_curvature
from .divergences import (
    DIVERGENCES,
    chernoff_coefficient,
    divergence,
    divergence_by_quadrature,
    f_divergence,
    kl_divergence_closed_form,
    skew_jensen,
)
from .errors import AnswerError, DeclarationError, DerivationError, DomainError, NotClosedFormError
from .expectation import expectation_frame, integrate_expectation, moment
from .fisher import (
    fisher_metric,
    fisher_metric_from_hessian,
    fisher_metric_from_log_partition,
    fisher_metric_from_score,
    score,
)
from .legendre import (
    bregman_divergence,
    dual_potential,
    dual_potential_at_coordinates,
    expectation_parameters,
    kl_divergence,
    kl_divergence_from_expectation,
    natural_parameters,
)
from .model import Constraint, ExponentialFamily, Parameter, SampleSpace, StatisticalModel, parameter
from .verify import CheckResult, check_answer, check_batch, check_quantity
from .version import __version__
from .volume import JeffreysPrior, cramer_rao_bound, jeffreys_prior, metric_to_volume_density, sectional_curvature

__all__ = [
    "__version__",
    "RationalAlgebra", "canonical_functions", "normal_form", "simplify_array", "simplify_entries",
    "expectation_chart", "natural_chart", "reparametrize", "transform_christoffel_1st", "transform_metric",
    "alpha_connection", "alpha_connection_from_expectation", "amari_chentsov_tensor", "duality_residual",
    "christoffel_2nd_to_riemann", "curvature_chain", "gaussian_curvature", "metric_to_christoffel_1st",
    "metric_to_christoffel_2nd", "metric_to_scalar_curvature", "ricci_to_scalar", "riemann_to_ricci",
    "AnswerError", "DeclarationError", "DerivationError", "DomainError", "NotClosedFormError",
    "expectation_frame", "integrate_expectation", "moment",
    "fisher_metric", "fisher_metric_from_hessian", "fisher_metric_from_log_partition",
    "fisher_metric_from_score", "score",
    "bregman_divergence", "dual_potential", "dual_potential_at_coordinates", "expectation_parameters",
    "kl_divergence", "kl_divergence_from_expectation", "natural_parameters",
    "Constraint", "ExponentialFamily", "Parameter", "SampleSpace", "StatisticalModel", "parameter",
    "CheckResult", "check_answer", "check_batch", "check_quantity",
    "DIVERGENCES", "chernoff_coefficient", "divergence", "divergence_by_quadrature", "f_divergence",
    "kl_divergence_closed_form", "skew_jensen",
    "CurvedExponentialFamily", "embedding_curvature", "restrict", "statistical_curvature",
    "JeffreysPrior", "cramer_rao_bound", "jeffreys_prior", "metric_to_volume_density", "sectional_curvature",
]
