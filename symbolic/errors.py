"""Exceptions raised by the symbolic layer (re-exported by every layer that raises them)."""

__all__ = ["DomainError", "DerivationError", "NotClosedFormError", "AnswerError"]


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
    (for example the inverse of the expectation map of the Gamma family)."""


class AnswerError(ValueError):
    """An answer given to the exercise verifier could not be read."""
