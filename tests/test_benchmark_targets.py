"""benchmarks.targets: a target is met, missed with its gap, or "not measured" -- read from result
files, never assumed."""
import json

import pytest

from benchmarks import targets


def _write(root, name, results, stamp="2026-01-01T00:00:00"):
    (root / f"{name}.json").write_text(json.dumps({"timestamp": stamp, "command": f"cmd {name}", "results": results}))


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setattr(targets, "RESULTS", tmp_path)
    return tmp_path


def _row(prefix):
    return next(r for r in targets.rows() if r["target"].startswith(prefix))


def test_missing_files_are_not_measured(results):
    assert all(r["met"] is None and r["idle"] is None for r in targets.rows())
    assert "not measured" in targets.markdown()


def test_a_rate_target_is_missed_by_the_ratio_and_met_at_the_threshold(results):
    _write(results, "solve_throughput", {"uncertified": {"solves_per_s": 250.0}})
    r = _row("solve")
    assert r["met"] is False and r["gap_factor"] == pytest.approx(4.0)
    _write(results, "solve_throughput", {"uncertified": {"solves_per_s": 1000.0}})
    assert _row("solve")["met"] is True and _row("solve")["gap_factor"] is None


def test_a_time_target_is_strict_and_busy_values_come_from_the_foreign_file(results):
    _write(results, "verify_time", {"rho=0": {"median_s": 2.0}})
    _write(results, "verify_time_foreign1", {"rho=0": {"median_s": 3.0}})
    r = _row("verify at rho = 0,")
    assert r["met"] is False and r["gap_factor"] == pytest.approx(1.0) and r["busy"] == 3.0
    _write(results, "verify_time", {"rho=0": {"median_s": 1.5}})
    assert _row("verify at rho = 0,")["met"] is True


def test_the_linear_gaussian_target_takes_the_slowest_small_configuration(results):
    rows = [{"d": 8, "k": 8, "variances": "fixed", "parameters": 100, "compiled_evaluate_us": 9.0,
             "compiled_jacobian_us": 45.0},
            {"d": 16, "k": 8, "variances": "fixed", "parameters": 300, "compiled_evaluate_us": 99.0,
             "compiled_jacobian_us": 900.0}]
    _write(results, "lg_engine", {"one_thread": {"rows": rows}})
    assert _row("linear-Gaussian engine evaluate")["idle"] == 9.0
    jac = _row("linear-Gaussian engine Jacobian")
    assert jac["idle"] == 45.0 and jac["met"] is False and "10000 entries" in jac["why"]


def test_fill_replaces_only_the_marked_block(results, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{targets.BEGIN}\nold table\n{targets.END}\nafter\n")
    targets.fill(str(readme))
    text = readme.read_text()
    assert text.startswith("before\n") and text.endswith("after\n") and "old table" not in text
    assert targets.markdown() in text
