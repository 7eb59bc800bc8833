"""Geodesics: a compiled DOP853 integrator, shooting for the log map, closed-form distances.

:func:`compile_geodesic` builds a :class:`GeodesicSolver` for the geodesic equation of a
Christoffel kernel (with its variational equations for the Jacobian of the exp map);
:func:`shoot` solves the boundary-value problem (log map) by Newton's method on that Jacobian;
:mod:`numeric.geodesics.distances` holds the closed-form Fisher-Rao distances that catalog
families declare; :class:`ReferenceGeodesics` integrates at high precision with mpmath.
"""
from . import distances
from .integrate import GeodesicSolver, IntegrationStatus, Solution, VariationalSolution, compile_geodesic
from .reference import ReferenceGeodesics
from .shooting import ShootingResult, ShootingStatus, shoot

__all__ = [
    "GeodesicSolver", "IntegrationStatus", "ReferenceGeodesics", "ShootingResult", "ShootingStatus",
    "Solution", "VariationalSolution", "compile_geodesic", "distances", "shoot",
]
