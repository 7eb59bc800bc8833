"""Every exception the toolkit raises on purpose, in one place.

The policy (``docs/errors.md``):

* ``TypeError`` -- an argument of the wrong type (a string where an array is expected).
* ``ValueError`` -- a bad shape, an unknown option or an inconsistent combination of options.
* :class:`DomainError` (a ``ValueError``) -- a value outside its domain: a parameter outside
  the family's domain, NaN or infinity where a finite number is needed, a negative damping.
  The message names the parameter and the domain (``sigma must be > 0, got -1.0``).
* :class:`SingularMatrixError` (a ``numpy.linalg.LinAlgError``) -- a curvature matrix (plus
  damping) that cannot be inverted; the message says which damping would help.
* :class:`DeclarationError` (a ``ValueError``) -- a model declaration that is not a family of
  densities: a parameter the density does not depend on (a symbol of the same name but not the
  declared one), a total mass other than one, a density undefined or negative on the declared
  sample space.
* :class:`AnswerError` -- a string that the safe parser refuses or cannot read.
* :class:`DerivationError`, :class:`NotClosedFormError` -- sympy could not finish a derivation.
* Iterative methods report *why they stopped* as a status on their result; ``throw=True``
  turns a failed status into :class:`IntegrationError`, :class:`ShootingError` or
  :class:`OptimizationError`.

Every layer imports its exceptions from here, so ``except DomainError`` catches the same class
whether it came from the catalog, a compiled kernel or a network block.
"""
import numpy as np

__all__ = [
    "DomainError",
    "DerivationError",
    "NotClosedFormError",
    "AnswerError",
    "DeclarationError",
    "SingularMatrixError",
    "IntegrationError",
    "ShootingError",
    "OptimizationError",
]


class DomainError(ValueError):
    """A parameter value or a point lies outside its domain.

    The message names the parameter and the domain, e.g. ``sigma must be > 0, got -1.0``.
    """


class DerivationError(RuntimeError):
    """sympy could not finish a derivation (an integral or a sum it cannot evaluate).

    The message names the integral or sum that failed and suggests the numerical route.
    """


class NotClosedFormError(DerivationError):
    """A quantity exists but has no closed form in the requested variables
    (for example the inverse of the expectation map of the Gamma family).
    """


class AnswerError(ValueError):
    """A string given to the toolkit (an answer, a loss, a parameter) was refused or unreadable."""


class DeclarationError(ValueError):
    """A model declaration that does not define a family of densities on its sample space.

    Raised before any derivation (``StatisticalManifold.check_declaration``); the message names
    the parameter, the observation or the mass that is wrong and how to fix the declaration.
    """


class SingularMatrixError(np.linalg.LinAlgError):
    """A curvature matrix (plus damping) is singular; pass ``damping > 0`` or ``method="pinv"``."""


class IntegrationError(RuntimeError):
    """An initial-value integration did not reach its end time (raised when ``throw=True``)."""


class ShootingError(IntegrationError):
    """The shooting method did not converge (raised when ``throw=True``)."""


class OptimizationError(RuntimeError):
    """An optimiser stopped without success (raised when ``throw=True``)."""
