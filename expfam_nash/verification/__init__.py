"""Verification layer: symmetries and invariants, Rosen certificates, ``verify``, the claims register."""
from .rosen import RosenCertificate, global_certificate, point_certificate
from .symmetry import SymmetryGroup, act, invariant_distance, latent_symmetries, orbit_dimension
from .verify import EquilibriumClass, Verdict, collapsed_start, is_collapsed, verify

__all__ = ["verify", "Verdict", "EquilibriumClass", "collapsed_start", "is_collapsed", "RosenCertificate",
           "global_certificate", "point_certificate", "SymmetryGroup", "latent_symmetries", "act",
           "orbit_dimension", "invariant_distance"]
