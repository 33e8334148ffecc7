"""``expfam-nash collapse vae|cvae|hvae``: summaries, JSON, data sources, one-line errors."""
from __future__ import annotations

import json

import numpy as np
import pytest

from expfam_nash.cli.main import main


def _run(capsys, *argv):
    code = main(["collapse", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_vae_default_summary(capsys):
    code, out, err = _run(capsys, "vae", "--starts", "2")
    assert code == 0 and "VAE (elbo)" in out and "certified" in out and err == ""


def test_json_has_theory_optimum_training_and_verdicts(capsys):
    code, out, _ = _run(capsys, "hvae", "--latent-dims", "2,1", "--beta2", "2", "--sigma2", "0.5", "--starts", "2",
                        "--train", "--epochs", "2", "--json")
    d = json.loads(out)
    assert code == 0 and d["model"] == "hvae" and d["settings"]["sigma2"] == 0.5
    assert len(d["theory"]["decoder_singular_values"]) == 2 and d["trained"]["settings"]["epochs"] == 2
    assert {v["status"] for row in d["verdicts"] for v in row} <= {"certified", "refuted", "undecided"}


def test_cvae_synthetic_correlation_and_moments_file(capsys, tmp_path):
    code, out, _ = _run(capsys, "cvae", "--synthetic", "correlation:1:3", "--starts", "1", "--json")
    d = json.loads(out)
    assert code == 0 and all(d["theory"]["collapsed"])
    path = tmp_path / "m.npz"
    np.savez(path, cxx=np.eye(2), cxy=0.5 * np.eye(2), cyy=np.eye(2))
    code, out, _ = _run(capsys, "cvae", "--moments", str(path), "--eta-dec", "0.5", "--starts", "0", "--json")
    assert code == 0 and json.loads(out)["theory"]["eigenvalues"] == pytest.approx([0.75, 0.75])


@pytest.mark.parametrize("argv, text", [
    (["vae", "--beta", "-1"], "beta"),
    (["cvae", "--objective", "symmetric", "--train"], "training is for --objective elbo"),
    (["vae", "--synthetic", "gaussian:1,-2"], "synthetic"),
    (["cvae", "--synthetic", "gaussian:1,2"], "synthetic"),
    (["hvae", "--moments", "/no/such/file.npz"], "moments"),
    (["vae", "--encoder-var", "0"], "--encoder-var: expected a variance > 0"),     # refused by the parser
])
def test_errors_are_one_line_with_exit_status_2(capsys, argv, text):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == "" and text in err and err.count("\n") == 1 and "Traceback" not in err
