"""Three-valued verdicts and the result contract.

Every yes/no answer the toolkit gives about a game (an equilibrium exists, a run converged, a
point is stable, the equilibrium is unique, a run escapes, the equilibria form a continuum) is a
:class:`Verdict`: ``certified`` (with the certificate's numbers in ``evidence``), ``refuted``
(with the counterexample) or ``undecided`` (with the reason and what would decide it). The
boolean a user reads (``bool(verdict)``, or ``converged: true`` in JSON) is true only when
certified.

Results (solve, verify, collapse, training runs, sweeps) follow one contract, :class:`Result`:
frozen dataclasses with ``summary() -> str`` and ``to_dict() -> dict`` (plain JSON values).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol, runtime_checkable

from .jsonable import jsonable


class Status(str, Enum):
    CERTIFIED = "certified"
    REFUTED = "refuted"
    UNDECIDED = "undecided"


@dataclass(frozen=True)
class Verdict:
    """An answer with its status, a one-line reason and the evidence (certificate numbers,
    counterexample, diagnostics) as plain JSON values."""

    status: Status
    reason: str
    evidence: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "status", Status(self.status))

    @classmethod
    def certified(cls, reason: str, **evidence) -> "Verdict":
        return cls(Status.CERTIFIED, reason, evidence)

    @classmethod
    def refuted(cls, reason: str, **evidence) -> "Verdict":
        return cls(Status.REFUTED, reason, evidence)

    @classmethod
    def undecided(cls, reason: str, **evidence) -> "Verdict":
        return cls(Status.UNDECIDED, reason, evidence)

    @property
    def holds(self) -> bool:
        """True only when certified."""
        return self.status is Status.CERTIFIED

    def __bool__(self) -> bool:
        return self.holds

    def summary(self) -> str:
        return f"{self.status.value}: {self.reason}"

    def to_dict(self) -> dict:
        return {"status": self.status.value, "reason": self.reason, "evidence": jsonable(self.evidence)}


@runtime_checkable
class Result(Protocol):
    """The contract every result type meets."""

    def summary(self) -> str: ...

    def to_dict(self) -> dict: ...
