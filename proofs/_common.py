"""Shared helpers of the proof scripts: each step is printed with its verdict; the last line is
exactly ``PASS NAME`` or ``FAIL NAME``."""
from __future__ import annotations

import sys
import time
import traceback
from typing import Callable

import sympy as sp


class Proof:
    """Collects the steps of one proof."""

    def __init__(self, name: str):
        self.name = name
        self.failures: list[str] = []
        self.n_checks = 0

    def step(self, text: str) -> None:
        print(f"\n== {text}", flush=True)

    def note(self, text: str) -> None:
        print(f"   . {text}", flush=True)

    def check(self, label: str, ok: bool, detail: str = "") -> bool:
        self.n_checks += 1
        ok = bool(ok)
        print(f"   [{'ok' if ok else 'FAIL'}] {label}" + (f"  ({detail})" if detail else ""), flush=True)
        if not ok:
            self.failures.append(label)
        return ok

    def zero(self, label: str, expr, simplify: Callable = sp.simplify) -> bool:
        """Check that a sympy expression (or matrix) simplifies to 0."""
        if isinstance(expr, sp.MatrixBase):
            ok = all(simplify(e) == 0 for e in expr)
        else:
            ok = simplify(expr) == 0
        return self.check(label + " == 0", ok)

    def equal(self, label: str, a, b, simplify: Callable = sp.simplify) -> bool:
        return self.zero(label, (sp.Matrix(a) - sp.Matrix(b)) if isinstance(a, (sp.MatrixBase, list)) else a - b, simplify)


def execute(name: str, body: Callable[[Proof], None]) -> bool:
    """Run ``body``, print every step and the final line; True iff every check passed."""
    proof = Proof(name)
    t0 = time.perf_counter()
    print(f"proof {name}", flush=True)
    try:
        body(proof)
    except Exception:  # a crash is a failed proof, with its traceback
        traceback.print_exc(file=sys.stdout)
        proof.failures.append("exception")
    ok = not proof.failures and proof.n_checks > 0
    print(f"\n{proof.n_checks} checks, {len(proof.failures)} failed, {time.perf_counter() - t0:.1f} s", flush=True)
    print(f"{'PASS' if ok else 'FAIL'} {name}", flush=True)
    return ok


def main_for(name: str, body: Callable[[Proof], None]) -> None:
    sys.exit(0 if execute(name, body) else 1)
