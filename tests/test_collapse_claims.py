"""The seed-003 claims (expfam_nash.collapse.claims): evidence exists, counterexamples reproduce."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np

from expfam_nash import collapse
from expfam_nash.cli.main import build_parser
from expfam_nash.collapse.claims import CLAIMS
from expfam_nash.verification.claims import VERDICTS

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _functions(path: Path) -> set[str]:
    return {n.name for n in ast.parse(path.read_text()).body if isinstance(n, ast.FunctionDef)}


def test_every_finding_has_existing_evidence():
    import proofs

    parser = build_parser()
    assert [c.number for c in CLAIMS] == [9, 10, 11, 12, 13, 14, 15, 16]
    for claim in CLAIMS:
        for f in claim.findings:
            assert f.verdict in VERDICTS
            if f.verdict == "open":          # open findings carry no evidence (the register prints "-")
                continue
            assert f.evidence
            if f.verdict in ("refuted by counterexample", "verified on generated instances"):
                assert any(e.startswith("test:") for e in f.evidence)
            for e in f.evidence:
                kind, _, ref = e.partition(":")
                if kind == "proof":
                    assert ref in proofs.PROOFS
                elif kind == "test":
                    file, _, func = ref.partition("::")
                    assert func in _functions(ROOT / file), ref
                else:
                    assert kind == "cmd" and ref.split()[0] == "expfam-nash"
                    parser.parse_args(ref.split()[1:])


def test_counterexample_learned_sigma2_collapses_less_than_fixed_at_the_prior_std():
    A = np.array([[0.15]])
    args = dict(latent_dims=(1, 1), sigma1=0.5, beta1=1.0, beta2=0.5, eta_enc=0.5, eta_dec=0.5, starts=4)
    learned = collapse.hvae(A, sigma2="learned", **args)
    fixed = collapse.hvae(A, sigma2=0.5, **args)
    assert learned.global_minimum.holds and fixed.global_minimum.holds
    assert learned.verdicts[0][0].status.value == "refuted"          # level 1 active with Sigma2 learned
    assert fixed.verdicts[0][0].status.value == "certified"          # level 1 collapsed with sigma2 = eta_enc
    assert not learned.theory.collapsed[1][0] and not fixed.theory.collapsed[1][0]
