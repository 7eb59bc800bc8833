"""Expectations over the sample space by quadrature, for models whose integrals have no closed
form: the integrands stay exact (:mod:`symbolic.integrands`), only the sum is numeric.

- :mod:`numeric.quadrature.rules`: Gauss-Kronrod pairs and Gauss-Hermite rules computed at
  high precision;
- :mod:`numeric.quadrature.engine`: the compiled engine (moments, geometry, geodesics);
- :mod:`numeric.quadrature.reference`: the same expectations with mpmath at 30 digits, and
  the geodesics, log map and distance they define (the reference mode of the numeric route).
"""
from .engine import Estimate, ExpectationEngine, QuadratureStatus, compile_expectations
from .rules import gauss_hermite, gauss_kronrod

__all__ = ["Estimate", "ExpectationEngine", "QuadratureStatus", "compile_expectations",
           "gauss_hermite", "gauss_kronrod"]
