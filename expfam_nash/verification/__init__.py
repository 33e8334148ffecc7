"""Verification layer: symmetries and invariants, Rosen certificates, ``verify``, the claims register,
encoder-decoder consistency."""
from .rosen import RosenCertificate, global_certificate, point_certificate
from .symmetry import SymmetryGroup, act, invariant_distance, latent_symmetries, orbit_dimension
from .verify import EquilibriumClass, VerifyResult, collapsed_start, is_collapsed, verify

#: the older name of :class:`VerifyResult` (``Verdict`` now names the three-valued answer of ``core``)
Verdict = VerifyResult

__all__ = ["verify", "VerifyResult", "Verdict", "EquilibriumClass", "collapsed_start", "is_collapsed",
           "RosenCertificate", "global_certificate", "point_certificate", "SymmetryGroup", "latent_symmetries", "act",
           "orbit_dimension", "invariant_distance"]
