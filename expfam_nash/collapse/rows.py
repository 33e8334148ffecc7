"""A ``CollapseResult`` as one sweep-table row: per level (``level1_``, ``level2_`` for the HVAE;
no prefix otherwise) the number of modes, the active-mode counts of the closed form, the numerical
optimum and the trained model, and the counts of the per-mode collapse verdicts (collapsed =
certified, active = refuted, undecided); then the verdict that the closed form is the global
minimum, the optimum's agreement with it (relative loss error, largest singular-value deviation in
units of its level) and the closed-form loss."""
from __future__ import annotations

from .solution import as_pair

__all__ = ["collapse_row"]


def _counts(value) -> tuple[int, ...]:
    return tuple(int(v) for v in (value if isinstance(value, tuple) else (value,)))


def collapse_row(result) -> dict:
    levels = len(result.verdicts)
    prefixes = [f"level{i + 1}_" for i in range(levels)] if levels > 1 else [""]
    theory = _counts(result.theory.active_modes)
    optimum = _counts(result.optimum.active_modes) if result.optimum is not None else (None,) * levels
    trained = _counts(result.trained.active_modes) if result.trained is not None else (None,) * levels
    row: dict = {}
    for p, verdicts, th, op, tr, thr in zip(prefixes, result.verdicts, theory, optimum, trained,
                                            as_pair(result.theory.thresholds)):
        status = [v.status.value for v in verdicts]
        row.update({f"{p}modes": len(thr), f"{p}active_theory": th, f"{p}active_optimum": op,
                    f"{p}active_trained": tr, f"{p}collapsed": status.count("certified"),
                    f"{p}active": status.count("refuted"), f"{p}undecided": status.count("undecided")})
    agree = result.agreement or {}
    errors = agree.get("singular_value_error") or []
    row.update({"global_minimum_status": result.global_minimum.status.value,
                "loss_error": agree.get("loss_error"), "singular_value_error": max(errors) if errors else None,
                "theory_loss": float(result.theory.loss), "data_rank": result.data.get("rank")})
    return row
