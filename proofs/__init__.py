"""Machine-checked proofs of the toolkit's mathematical claims (sympy + the numeric engine).

Each proof is a module ``proofs.NAME`` with a Markdown companion ``proofs/NAME.md``; run one with
``python -m proofs.NAME`` (last line ``PASS NAME`` / ``FAIL NAME``, exit status 0 / 1), or all
with ``python -m proofs``.
"""
from __future__ import annotations

import importlib
import sys

PROOFS = ("concavity", "stochastic_unbiased", "limiting_distribution", "tabular", "collapsed_affine",
          "linear_gaussian", "collapse_vae", "collapse_cvae", "collapse_hvae", "collapse_game")

__all__ = ["PROOFS", "run", "main"]


def run(name: str) -> bool:
    """Run the proof ``name`` (printing its steps); True iff it passes."""
    if name not in PROOFS:
        raise ValueError(f"proof: unknown name {name!r} (expected one of {', '.join(PROOFS)})")
    return bool(importlib.import_module(f"proofs.{name}").run())


def main(argv: list[str] | None = None) -> int:
    """``main([NAME ...])``: run the named proofs (all when none); 0 iff all pass, 2 on a bad name."""
    names = list(sys.argv[1:] if argv is None else argv) or list(PROOFS)
    bad = [n for n in names if n not in PROOFS]
    if bad:
        print(f"proof: unknown name {bad[0]!r} (expected one of {', '.join(PROOFS)})", file=sys.stderr)
        return 2
    results = {n: run(n) for n in names}
    if len(names) > 1:
        print("\n" + "\n".join(f"{'PASS' if ok else 'FAIL'} {n}" for n, ok in results.items()))
    return 0 if all(results.values()) else 1
