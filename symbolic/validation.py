"""Checks of arguments at the public boundary, written once and used by every layer.

Each function takes the value and the parameter's name and either returns the value in its
canonical form (a ``float``, an ``int``, a float64 array) or raises the error that the
policy in ``docs/errors.md`` assigns to the fault:

* ``TypeError`` when the value has the wrong type (a string, ``None``, a complex number, a
  ``bool`` where a number is meant);
* ``ValueError`` for a bad shape or an option that is not one of the allowed ones;
* :class:`~symbolic.errors.DomainError` for a value outside its domain (NaN, infinity, a
  negative damping, a non-integer count).

Messages name the parameter and the domain:

>>> positive("sigma", -1.0)
Traceback (most recent call last):
...
symbolic.errors.DomainError: sigma must be > 0, got -1.0
>>> as_array("x", [[1.0, 2.0]], shape=(None, 2)).shape
(1, 2)
>>> as_array("x", [1.0, float("nan")])
Traceback (most recent call last):
...
symbolic.errors.DomainError: x must be finite, got nan at index (1,)
>>> choice("method", "newton", ("solve", "pinv"))
Traceback (most recent call last):
...
ValueError: method must be one of ('solve', 'pinv'), got 'newton'
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .errors import DomainError

__all__ = [
    "as_array",
    "as_vector",
    "as_symmetric",
    "real",
    "positive",
    "nonnegative",
    "in_interval",
    "integer",
    "choice",
    "boolean",
]


def _describe(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def real(name, value, *, finite=True):
    """``value`` as a Python float.

    Raises ``TypeError`` for anything that is not a real number (strings, ``None``, complex
    numbers, booleans) and :class:`DomainError` for NaN or infinity when ``finite``.

    Examples
    --------
    >>> real("t1", 2)
    2.0
    >>> real("t1", "2")
    Traceback (most recent call last):
    ...
    TypeError: t1 must be a real number, got str '2'
    """
    if isinstance(value, (bool, np.bool_)) or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {_describe(value)}")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got complex {_describe(value)}")
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {_describe(value)}") from exc
    if finite and not math.isfinite(v):
        raise DomainError(f"{name} must be finite, got {v}")
    return v


def positive(name, value):
    """``value`` as a finite float > 0 (see :func:`real`)."""
    v = real(name, value)
    if not v > 0:
        raise DomainError(f"{name} must be > 0, got {_describe(value)}")
    return v


def nonnegative(name, value):
    """``value`` as a finite float >= 0 (see :func:`real`)."""
    v = real(name, value)
    if not v >= 0:
        raise DomainError(f"{name} must be >= 0, got {_describe(value)}")
    return v


def in_interval(name, value, lower=-math.inf, upper=math.inf, *, closed=(False, False)):
    """``value`` as a finite float inside the interval from ``lower`` to ``upper``.

    ``closed`` says whether each end belongs to the interval.

    Examples
    --------
    >>> in_interval("slope", 0.0, 0.0, 1.0, closed=(True, False))
    0.0
    >>> in_interval("p", 1.0, 0.0, 1.0)
    Traceback (most recent call last):
    ...
    symbolic.errors.DomainError: p must be in (0, 1), got 1.0
    """
    v = real(name, value)
    lo_ok = v >= lower if closed[0] else v > lower
    hi_ok = v <= upper if closed[1] else v < upper
    if not (lo_ok and hi_ok):
        left, right = "[" if closed[0] else "(", "]" if closed[1] else ")"
        raise DomainError(f"{name} must be in {left}{lower:g}, {upper:g}{right}, got {_describe(value)}")
    return v


def integer(name, value, *, minimum=None):
    """``value`` as a Python int (a float with an integral value is accepted).

    Raises ``TypeError`` for non-numbers and booleans, :class:`DomainError` for a
    non-integral value or one below ``minimum``.

    Examples
    --------
    >>> integer("n", 5.0, minimum=1)
    5
    >>> integer("n", 2.5, minimum=1)
    Traceback (most recent call last):
    ...
    symbolic.errors.DomainError: n must be an integer >= 1, got 2.5
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got bool {value!r}")
    if isinstance(value, numbers.Integral):
        v = int(value)
    else:
        if hasattr(value, "is_Integer") and value.is_Integer:  # a sympy Integer
            v = int(value)
        else:
            f = real(name, value)
            if f != int(f):
                bound = "" if minimum is None else f" >= {minimum}"
                raise DomainError(f"{name} must be an integer{bound}, got {_describe(value)}")
            v = int(f)
    if minimum is not None and v < minimum:
        raise DomainError(f"{name} must be an integer >= {minimum}, got {_describe(value)}")
    return v


def choice(name, value, options):
    """``value`` if it is one of ``options``, else ``ValueError`` listing them."""
    try:
        ok = value in options
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {tuple(options)}, got {_describe(value)}")
    return value


def boolean(name, value):
    """``value`` if it is a ``bool`` (numpy's included), else ``TypeError``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {_describe(value)}")
    return bool(value)


def as_array(name, value, *, ndim=None, shape=None, min_ndim=0, finite=True):
    """``value`` as a float64 array, checked for type, shape and finiteness.

    Parameters
    ----------
    name : str
    value : array_like of real numbers
    ndim : int, optional
        Required number of dimensions.
    shape : tuple of (int or None), optional
        Required shape; ``None`` entries match any length. A leading ``...`` matches any
        number of leading (batch) axes.
    min_ndim : int
        Least number of dimensions.
    finite : bool
        Refuse NaN and infinity (:class:`DomainError`).

    Raises
    ------
    TypeError
        Strings, objects, complex numbers.
    ValueError
        A shape that does not match.
    DomainError
        A non-finite entry when ``finite``.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an array of real numbers, got str {_describe(value)}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a rectangular array of real numbers: {exc}") from exc
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be an array of real numbers, got complex entries")
    if arr.dtype.kind not in "biuf":
        # numpy casts None to NaN: that would report a wrong type as a value out of domain
        if value is None or (arr.dtype.kind == "O" and any(v is None for v in arr.flat)):
            raise TypeError(f"{name} must be an array of real numbers, got None")
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be an array of real numbers, got {type(value).__name__} "
                            f"with dtype {arr.dtype}") from exc
    arr = np.asarray(arr, dtype=np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {arr.shape}")
    if shape is not None:
        shape = tuple(shape)
        batch = bool(shape) and shape[0] is Ellipsis
        want = shape[1:] if batch else shape
        tail = arr.shape[arr.ndim - len(want):] if arr.ndim >= len(want) else None
        ok = tail is not None and all(w is None or w == t for w, t in zip(want, tail, strict=True))
        if ok and not batch:
            ok = arr.ndim == len(want)
        if not ok:
            text = ", ".join("n" if w is None else str(w) for w in want)
            text = ("..., " if batch else "") + text
            raise ValueError(f"{name} must have shape ({text}{',' if len(want) == 1 and not batch else ''}), "
                             f"got {arr.shape}")
    if finite and arr.size and not np.isfinite(arr).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise DomainError(f"{name} must be finite, got {arr[bad]} at index {bad}")
    return arr


def as_vector(name, value, n=None):
    """``value`` as a finite 1-d float64 array, of length ``n`` if given."""
    return as_array(name, value, shape=(n,))


def as_symmetric(name, value, *, rtol=1e-6):
    """``value`` as a finite, non-empty, symmetric square matrix (symmetrised).

    Asymmetry up to ``rtol`` times the largest entry is accepted and averaged away: a
    finite-difference Hessian is symmetric only to about 1e-7.
    """
    A = as_array(name, value, ndim=2)
    if A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {A.shape}")
    scale = np.max(np.abs(A))
    asym = np.max(np.abs(A - A.T))
    if asym > rtol * scale:
        raise ValueError(f"{name} must be symmetric, max |A - A^T| = {asym:.3g}")
    return 0.5 * (A + A.T)
