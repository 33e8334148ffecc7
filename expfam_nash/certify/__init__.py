"""Rigorous certificates for equilibria of the exact engines (issue 10, part 1).

    from expfam_nash.certify import certify_equilibrium, certify_escape, independent_nash_gap, max_stable_step
    cert = certify_equilibrium(game, params)          # existence, uniqueness, stability, continuum
    print(cert.summary()); cert.to_dict()

Every answer is a three-valued :class:`~expfam_nash.core.verdict.Verdict`: certified (with the
certificate's numbers), refuted (with the counterexample) or undecided (with the reason). The
methods, the rigour statement and the arguments are in docs/certify.md.
"""
from .ball import Ball
from .enclosure import Enclosure, enclosure
from .equilibrium import certify_equilibrium
from .escape import certify_escape
from .nash_gap import independent_nash_gap
from .results import EquilibriumCertificate, EscapeCertificate, NashGapCertificate, StepCertificate
from .steps import max_stable_step

__all__ = ["certify_equilibrium", "certify_escape", "independent_nash_gap", "max_stable_step", "Enclosure",
           "enclosure", "Ball", "EquilibriumCertificate", "EscapeCertificate", "NashGapCertificate",
           "StepCertificate"]
