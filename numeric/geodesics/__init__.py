"""Geodesics: a compiled DOP853 integrator, shooting for the log map, closed-form distances.

:func:`compile_geodesic` builds a :class:`GeodesicSolver` for the geodesic equation of a
Christoffel kernel (with its variational equations for the Jacobian of the exp map);
:func:`shoot` solves the boundary-value problem (log map) by Newton's method on that Jacobian;
:mod:`numeric.geodesics.distances` holds the closed-form Fisher-Rao distances that catalog
families declare, :mod:`numeric.geodesics.guesses` the first guesses of log maps they declare; :class:`ReferenceGeodesics` integrates at high precision with mpmath;
:func:`compile_transport` integrates a vector parallel-transported along a geodesic
(:mod:`numeric.geodesics.transport`); :func:`karcher_mean` computes Fréchet means from exp and
log maps (:mod:`numeric.geodesics.means`); :mod:`numeric.geodesics.pairwise` computes distance
matrices in chunks, locally or on a Dask cluster.
"""
import importlib

from . import distances

# The integrator modules load numba; resolved on first use (the catalog imports distances).
_LAZY = {
    "GeodesicSolver": "integrate", "IntegrationStatus": "integrate", "Solution": "integrate",
    "VariationalSolution": "integrate", "compile_geodesic": "integrate",
    "ReferenceGeodesics": "reference", "ShootingResult": "shooting", "ShootingStatus": "shooting",
    "shoot": "shooting", "PairwiseResult": "pairwise",
    "MeanResult": "means", "MeanStatus": "means", "karcher_mean": "means",
    "TransportSolution": "transport", "TransportSolver": "transport",
    "compile_transport": "transport",
}

__all__ = ["distances", *_LAZY]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value
