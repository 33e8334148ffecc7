"""Comparisons of solutions with the closed form, and the verdicts drawn from them.

Tolerances are relative: losses to ``LOSS_RTOL * max(1, |loss|)`` (the loss is dimensionless),
singular values to ``SV_RTOL`` times the unit of their level (``Problem.units``). Near a threshold
the objective is flat to fourth order in the singular value of the mode, so a numerical optimum
can match the loss to 1e-12 and the singular value only to ~ (1e-12)^(1/4): such a disagreement is
reported as undecided, never as a refutation.

Verdicts:

* ``global_minimum``: certified when the best of the starts reaches the closed-form loss and the
  singular values, and no start ends below the closed form; refuted when a start ends below it
  (the closed form is then not the global minimum); undecided otherwise (the optimiser did not
  reach it, or the singular values differ at equal loss).
* per mode, "this mode collapses at the global minimum": certified / refuted by the closed form
  when the eigenvalue is farther than ``Theory.tolerance`` from the threshold and the numerical
  optimum (when computed) does not contradict it; undecided otherwise.
"""
from __future__ import annotations

import numpy as np

from ..core.verdict import Verdict
from .solution import Solution, Theory, as_pair

__all__ = ["LOSS_RTOL", "SV_RTOL", "agreement", "global_minimum_verdict", "mode_verdicts"]

LOSS_RTOL = 1e-9
SV_RTOL = 1e-6


def agreement(theory: Theory, sol: Solution, units: tuple[float, ...]) -> dict:
    """Deviations of ``sol`` from the closed form: loss (relative), largest singular-value deviation per
    level (sorted descending, in units), and active-mode counts."""
    dev = []
    for th, got, unit in zip(as_pair(theory.decoder_singular_values), as_pair(sol.decoder_singular_values), units):
        dev.append(float(np.max(np.abs(np.sort(th)[::-1] - np.sort(got)[::-1]), initial=0.0) / unit))
    return {"loss_error": abs(sol.loss - theory.loss) / max(1.0, abs(theory.loss)),
            "singular_value_error": dev, "active_theory": theory.active_modes, "active": sol.active_modes}


def global_minimum_verdict(theory: Theory, start_losses: np.ndarray, agree: dict) -> Verdict:
    tol = LOSS_RTOL * max(1.0, abs(theory.loss))
    below = start_losses[start_losses < theory.loss - tol]
    ev = dict(closed_form_loss=theory.loss, best_loss=float(start_losses.min()), starts=int(start_losses.size),
              singular_value_error=agree["singular_value_error"])
    if below.size:
        return Verdict.refuted(f"{below.size} of {start_losses.size} starts end below the closed-form loss "
                               f"(best {below.min():.12g} < {theory.loss:.12g})", **ev)
    if agree["loss_error"] > LOSS_RTOL:
        return Verdict.undecided(f"no start reached the closed-form loss (best {start_losses.min():.12g}, closed "
                                 f"form {theory.loss:.12g}); more starts or iterations may", **ev)
    if max(agree["singular_value_error"]) > SV_RTOL:
        return Verdict.undecided(f"the loss matches but the singular values differ by up to "
                                 f"{max(agree['singular_value_error']):.2g} units (flat objective near a threshold?)", **ev)
    return Verdict.certified(f"the best of {start_losses.size} starts over all parameters reaches the closed form "
                             f"(loss to {agree['loss_error']:.1e}, singular values to "
                             f"{max(agree['singular_value_error']):.1e} units) and none ends below it", **ev)


def mode_verdicts(theory: Theory, optimum_ok: bool | None) -> tuple[tuple[Verdict, ...], ...]:
    """Per level, per mode: does the mode collapse at the global minimum? ``optimum_ok``: None when no
    numerical optimum was computed, else whether it agrees with the closed form."""
    out = []
    flagged = theory.undecided or tuple(np.zeros(np.size(t), bool) for t in as_pair(theory.thresholds))
    for level, (margin, thr, flag) in enumerate(zip(theory.margins(), as_pair(theory.thresholds), flagged), start=1):
        row = []
        for j, (m, t) in enumerate(zip(margin, thr)):
            ev = dict(level=level, mode=j + 1, margin=float(m), threshold=float(t))
            if flag[j]:
                row.append(Verdict.undecided(theory.undecided_reason, **ev))
            elif np.isfinite(m) and abs(m) <= theory.tolerance:
                row.append(Verdict.undecided("eigenvalue within round-off of the collapse threshold", **ev))
            elif optimum_ok is False:
                row.append(Verdict.undecided("the numerical optimum does not confirm the closed form", **ev))
            elif m <= 0:
                row.append(Verdict.certified("collapsed: eigenvalue <= threshold" if np.isfinite(t) else
                                             "collapsed: no data direction reaches this latent", **ev))
            else:
                row.append(Verdict.refuted("active: eigenvalue > threshold" if np.isfinite(t) else
                                           "active for every eigenvalue (level-2 models the level-1 noise)", **ev))
        out.append(tuple(row))
    return tuple(out)
