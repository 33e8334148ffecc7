"""Every proof script runs and ends with exactly ``PASS NAME`` (exit status 0)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:      # `proofs` is a top-level folder of the repository, not in the installed package
    sys.path.insert(0, str(ROOT))

import proofs  # noqa: E402


def test_registry():
    assert len(set(proofs.PROOFS)) == len(proofs.PROOFS) >= 6
    for name in proofs.PROOFS:
        assert (ROOT / "proofs" / f"{name}.py").is_file() and (ROOT / "proofs" / f"{name}.md").is_file()
    with pytest.raises(ValueError, match="unknown"):
        proofs.run("no_such_proof")
    assert proofs.main(["no_such_proof"]) == 2


@pytest.mark.parametrize("name", proofs.PROOFS)
def test_proof_passes(name):
    out = subprocess.run([sys.executable, "-m", f"proofs.{name}"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    lines = out.stdout.strip().splitlines()
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert lines[-1] == f"PASS {name}"
    assert "[FAIL]" not in out.stdout
