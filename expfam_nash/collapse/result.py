"""``CollapseResult``: closed form, numerical optimum, optional training, and the verdicts."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._jsonable import jsonable
from ..core.verdict import Verdict
from .optimum import Optimum
from .solution import Solution, Theory, as_pair

__all__ = ["Trained", "CollapseResult"]


@dataclass(frozen=True, eq=False)
class Trained(Solution):
    """The model after minibatch training: per-mode values at the final parameters (collapsed: decoder
    singular value <= ``collapse_rtol`` units), the closed form for the *training set's* moments
    (``sample_theory``: what the stochastic objective minimises in expectation), the deviations from it,
    and the training settings."""

    sample_theory: Theory | None = None
    agreement: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    collapse_rtol: float = 0.0
    log: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = super().to_dict()
        out.update(jsonable({"sample_theory": self.sample_theory, "agreement": self.agreement,
                             "settings": self.settings, "collapse_rtol": self.collapse_rtol, "log": self.log}))
        return out


def _fmt(values, width: int = 9) -> str:
    return " ".join(f"{v:{width}.4g}" for v in values)


@dataclass(frozen=True, eq=False)
class CollapseResult:
    """One model on one data set: ``theory`` (closed form), ``optimum`` (numerical global minimum, None
    when ``starts=0``), ``trained`` (None unless training was asked for), the verdict that the closed
    form is the global minimum, and per level the per-mode collapse verdicts."""

    model: str
    objective: str
    settings: dict
    data: dict
    theory: Theory
    optimum: Optimum | None
    trained: Trained | None
    global_minimum: Verdict
    verdicts: tuple[tuple[Verdict, ...], ...]
    agreement: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    #: objective "symmetric": the game's equilibria per mode, the full game, the runs of solve
    game: object | None = None

    def _levels(self) -> list[str]:
        return ["level 1", "level 2"] if self.model == "hvae" else ["modes"]

    def summary(self) -> str:
        s = self.settings
        lines = [f"{self.model.upper()} ({self.objective}): " + ", ".join(f"{k}={v}" for k, v in s.items())]
        lines.append(f"data: eigenvalues ({'residual E' if self.model == 'cvae' else 'E[x x^T]'}) rank "
                     f"{self.data['rank']} of {self.data['dim']}, largest {_fmt(self.data['eigenvalues'][:5])}")
        lines += [f"note: {n}" for n in self.notes]
        th = self.theory
        for lvl, name in enumerate(self._levels()):
            lines.append(f"{name}: threshold {_fmt(as_pair(th.thresholds)[lvl][:8])}")
            lines.append(f"  decoder s.v. theory  {_fmt(as_pair(th.decoder_singular_values)[lvl][:8])}")
            for label, sol in (("optimum", self.optimum), ("trained", self.trained)):
                if sol is not None:
                    lines.append(f"  decoder s.v. {label:8s}{_fmt(np.sort(as_pair(sol.decoder_singular_values)[lvl])[::-1][:8])}")
            verdicts = self.verdicts[lvl]
            tally = {k: sum(v.status.value == k for v in verdicts) for k in ("certified", "refuted", "undecided")}
            lines.append(f"  collapsed (certified) {tally['certified']}, active (refuted) {tally['refuted']}, "
                         f"undecided {tally['undecided']} of {len(verdicts)}")
        lines.append(f"encoder std theory  {_fmt(th.encoder_std[:8])}")
        if self.game is not None:
            lines.append(f"beta = 1 ELBO loss at the stable equilibrium {th.loss:.10g}; stable equilibrium: "
                         f"{self.global_minimum.summary()}")
            lines.append(self.game.summary())
        else:
            lines.append(f"closed-form loss {th.loss:.10g}; global minimum: {self.global_minimum.summary()}")
        if self.trained is not None:
            a = self.trained.agreement
            lines.append(f"trained ({self.trained.settings.get('epochs')} epochs): active {a.get('active')} vs "
                         f"theory {a.get('active_theory')}; max s.v. deviation {_fmt(a.get('singular_value_error', []), 6)} units")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({"model": self.model, "objective": self.objective, "settings": self.settings,
                         "data": self.data, "theory": self.theory, "optimum": self.optimum, "trained": self.trained,
                         "global_minimum": self.global_minimum, "agreement": self.agreement,
                         "verdicts": [[v.to_dict() for v in row] for row in self.verdicts], "notes": list(self.notes),
                         "game": self.game})
