"""Sweep specs without a cluster: TOML parsing, cell order, resolution and keys (aliases, int vs
float, defaults), one-line errors naming the key, the table store, the worker's rows, batch
sizes, the missing-extra error, and the game a verify cell builds against the gallery's game."""
import json
import sys

import numpy as np
import pytest

from expfam_nash.sweep import Sweep, cell_key
from expfam_nash.sweep import store as st
from expfam_nash.sweep.execute import BatchSizer
from expfam_nash.sweep.worker import run_cells

ISSUE_TOML = """
task = "verify"
[fixed]
model = "tabular"
joint = "random:3:3:0"
starts = 4
[grid]
labeled_weight = [0.0, 0.1, 0.4]
l2 = [0.0, 0.1]
seed = [0, 1]
"""


def test_issue_example_has_12_cells_in_nested_loop_order():
    spec = Sweep.from_toml(ISSUE_TOML)
    cells = spec.cells()
    assert len(cells) == 12 and [c.index for c in cells] == list(range(12))
    got = [(c.params["alpha"], c.params["rho"], c.params["seed"]) for c in cells]
    assert got == [(a, r, s) for a in (0.0, 0.1, 0.4) for r in (0.0, 0.1) for s in (0, 1)]
    assert spec.varied() == ["alpha", "rho", "seed"]
    p = cells[0].params
    assert p["model"] == "tabular" and p["joint"] == "random:3:3:0" and p["starts"] == 4
    assert p["tol"] == 1e-10 and p["max_steps"] == 20000          # task defaults filled in
    assert "l2" not in p and "labeled_weight" not in p             # aliases renamed


def test_aliases_numbers_and_defaults_give_the_same_key():
    base = Sweep("verify", fixed={"model": "tabular", "joint": "random:3:3:0", "alpha": 0.1, "rho": 0.0}).cells()[0]
    for fixed in ({"model": "tabular", "joint": "random:3:3:0", "labeled_weight": 0.1, "l2": 0},
                  {"model": "tabular", "joint": "random:3:3:0", "labelled_weight": 0.1, "rho": -0.0},
                  {"model": "tabular", "joint": "random:3:3:0", "alpha": "0.1", "starts": 32.0, "tol": 1e-10}):
        assert Sweep("verify", fixed=fixed).cells()[0].key == base.key
    other = Sweep("verify", fixed={"model": "tabular", "joint": "random:3:3:0", "alpha": 0.1, "rho": 1e-3}).cells()[0]
    assert other.key != base.key
    assert cell_key("verify", base.params, "9.9.9") != base.key               # the version is hashed
    assert cell_key("solve", base.params) != cell_key("verify", base.params)  # so is the task
    lists = [Sweep("verify", fixed={"eigenvalues": e}).cells()[0].key for e in ([3, 1], "3,1", "3.0, 1.0")]
    assert len(set(lists)) == 1


def test_key_is_sha256_of_canonical_json():
    import hashlib
    params = {"b": 1.0, "a": "x"}
    blob = json.dumps({"task": "t", "params": params, "version": "1"}, sort_keys=True, separators=(",", ":"))
    assert cell_key("t", params, "1") == hashlib.sha256(blob.encode()).hexdigest()[:16]


def test_cases_zipped_and_seeds_axes():
    spec = Sweep.from_toml("""
task = "verify"
seeds = 2
[fixed]
starts = 2
[zipped]
rho = [0.0, 0.5]
max_steps = [10, 20]
[grid]
alpha = [0.0, 1.0]
[[cases]]
model = "tabular"
joint = "random:2:2:0"
[[cases]]
model = "bernoulli-anchored"
concentration = 2
""")
    cells = spec.cells()
    assert len(cells) == 2 * 2 * 2 * 2
    order = [(c.params["model"], c.params["rho"], c.params["max_steps"], c.params["alpha"], c.params["seed"])
             for c in cells]
    assert order == [(m, r, n, a, s) for m in ("tabular", "bernoulli-anchored") for r, n in ((0.0, 10), (0.5, 20))
                     for a in (0.0, 1.0) for s in (0, 1)]
    assert cells[-1].params["joint"] == "random:3:1:1234" and cells[-1].params["concentration"] == 2.0
    assert "concentration" not in cells[0].params                   # each model its own arguments
    assert spec.varied() == ["model", "joint", "concentration", "rho", "max_steps", "alpha", "seed"]
    assert Sweep.from_dict(spec.to_dict()).cells() == cells


@pytest.mark.parametrize("spec, where", [
    ({"task": "verify", "fixed": {"model": "tabular"}, "grid": {"alpha": [0.1, 1.5]}}, "grid.alpha[1]: expected a number in [0, 1]"),
    ({"task": "verify", "fixed": {"alpha": 0.1}}, "fixed.alpha: 'alpha' is not an argument of task 'verify' with model 'linear-gaussian'"),
    ({"task": "verify", "fixed": {"model": "tabular", "l2": 0.1}, "grid": {"rho": [0.2]}}, "grid.rho[0]: 'rho' is also set by fixed.l2"),
    ({"task": "verfy"}, "task: unknown name 'verfy'"),
    ({"task": "verify", "grid": {"rho": 0.1}}, "grid.rho: expected a non-empty list"),
    ({"task": "verify", "grid": {"rho": []}}, "grid.rho: expected a non-empty list"),
    ({"task": "verify", "grid": {"rho": [0.1, 0.10]}}, "grid: cells 0 and 1 resolve to the same parameters"),
    ({"task": "verify", "seeds": 2, "grid": {"seed": [1]}}, "'seed' is also set by grid.seed[0]"),
    ({"task": "verify", "grd": {}}, "grd: unknown section"),
    ({"grid": {}}, "task: missing"),
    ({"task": "verify", "fixed": {"max-steps": 3}}, "fixed.max-steps: parameter names use underscores"),
    ({"task": "verify", "zipped": {"rho": [1, 2], "seed": [1]}}, "zipped: the lists must have equal lengths"),
    ({"task": "solve", "fixed": {"method": "newtn"}}, "fixed.method: expected one of auto"),
    ({"task": "verify", "fixed": {"model": "tabulr"}}, "fixed.model: unknown model 'tabulr'"),
    ({"task": "verify", "fixed": {"starts": 2.5}}, "fixed.starts: expected an integer"),
    ({"task": "verify", "fixed": {"starts": 1}}, "fixed.starts: expected an integer >= 2"),
    ({"task": "verify", "fixed": {"tol": True}}, "fixed.tol: expected a number"),
    ({"task": "verify", "fixed": {"decoder_var": "lerned"}}, "fixed.decoder_var: expected a variance > 0 or 'learned'"),
    ({"task": "probe", "seeds": 0}, "seeds: expected a count >= 1"),
    ({"task": "probe", "seeds": [1, -1]}, "seeds: expected a count >= 1 or a non-empty list of integers >= 0"),
    ({"task": "probe", "cases": {"seed": 1}}, "cases: expected a list of tables"),
    ({"task": "probe", "imports": ["no_such_module_xyz"]}, "imports: cannot import 'no_such_module_xyz'"),
    ({"task": "verify", "cases": [{"model": "tabular", "joint": "random:2:2:0"}, {"model": "bernoulli", "joint": "x"}]},
     "cases[1].joint: 'joint' is not an argument of task 'verify' with model 'bernoulli'"),
])
def test_bad_specs_are_one_line_errors_naming_the_key(spec, where):
    with pytest.raises(ValueError) as info:
        Sweep.from_dict(spec).cells()
    msg = str(info.value)
    assert where in msg and "\n" not in msg


def test_bad_toml_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match="spec: not valid TOML"):
        Sweep.from_toml("task = ")
    with pytest.raises(ValueError, match="file: .* does not exist"):
        Sweep.load(tmp_path / "none.toml")


def test_oversized_grid_is_refused_before_enumeration():
    with pytest.raises(ValueError, match="grid: 100000000 cells"):
        Sweep("probe", grid={"sleep": [0.0] * 10_000, "seed": list(range(10_000))})


# -- the store ----------------------------------------------------------------------------------
ROWS = [{"key": "a", "task": "t", "x": 0.5, "n": 1, "ok": True, "word": "learned", "error": None, "elapsed_s": 0.1},
        {"key": "b", "task": "t", "x": float("nan"), "n": None, "ok": None, "word": 0.25, "error": "ValueError: no",
         "elapsed_s": None},
        {"key": "c", "task": "t", "x": -1.0, "n": 3, "ok": False, "word": "w", "error": None, "elapsed_s": 0.2}]


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_table_round_trip_keeps_values_and_types(tmp_path, suffix):
    path = tmp_path / f"t{suffix}"
    cols = st.order_columns(list(ROWS[0]), ["x"])
    assert cols == ["key", "task", "x", "n", "ok", "word", "error", "elapsed_s"]
    with st.Store(path) as store:
        store.write(ROWS, cols, {"spec": {}})
    back = st.read_rows(path)
    assert [r["key"] for r in back] == ["a", "b", "c"]
    assert back[0] == {**ROWS[0], "word": "learned"} and back[2]["n"] == 3 and back[2]["ok"] is False
    assert back[1]["x"] is None and back[1]["n"] is None and back[1]["ok"] is None   # missing stays missing
    assert back[1]["word"] == "0.25"                      # a mixed column is text
    frame = st.load_table(path)
    assert str(frame["n"].dtype) == "Int64" and str(frame["ok"].dtype) == "boolean"
    # writing what was read gives the same file content
    with st.Store(path) as store:
        store.write(back, cols, {"spec": {}})
    assert st.read_rows(path) == back


def test_journal_survives_a_torn_line_and_is_read_with_the_table(tmp_path):
    path = tmp_path / "t.parquet"
    with st.Store(path) as store:
        store.write(ROWS[:1], st.order_columns(list(ROWS[0])), {})
        store.append(ROWS[1:])
        with open(store.journal, "a") as fh:
            fh.write('{"key": "d", "task": "t", "x": 1')            # a driver killed mid-write
        assert set(store.load()) == {"a", "b", "c"}
    assert list(st.load_table(path)["key"]) == ["a", "b", "c"]


def test_store_rejects_bad_paths_and_a_second_writer(tmp_path):
    with pytest.raises(ValueError, match="out: expected a path ending in .parquet or .csv"):
        st.Store(tmp_path / "t.txt")
    (tmp_path / "other.parquet").write_text("not parquet")
    with pytest.raises(ValueError, match="not a readable Parquet file"):
        st.read_rows(tmp_path / "other.parquet")
    with st.Store(tmp_path / "t.parquet"):
        with pytest.raises(ValueError, match="being written by another sweep"):
            with st.Store(tmp_path / "t.parquet"):
                pass
    with st.Store(tmp_path / "t.parquet"):                 # released on exit
        pass


# -- worker rows and batches -----------------------------------------------------------------------
def _cell(params):
    if params["x"] < 0:
        raise ValueError("x: negative\nsecond line")
    if params["x"] == 0:
        return {"vec": np.zeros(2)}
    if params["x"] == 2:
        return {"x": 1.0}
    return {"y": np.float64(params["x"]) * 2, "flag": np.bool_(True), "n": np.int64(3)}


def test_run_cells_gives_one_row_per_cell_with_errors_recorded():
    rows = run_cells(_cell, [("k1", {"x": 1.0}), ("k2", {"x": -1.0}), ("k3", {"x": 0.0}), ("k4", {"x": 2.0})])
    assert [r["key"] for r in rows] == ["k1", "k2", "k3", "k4"]
    assert rows[0]["y"] == 2.0 and type(rows[0]["y"]) is float and rows[0]["flag"] is True and type(rows[0]["n"]) is int
    assert rows[0]["error"] is None
    assert rows[1]["error"] == "ValueError: x: negative" and "y" not in rows[1]
    assert rows[2]["error"].startswith("TypeError: result 'vec' is a ndarray")
    assert rows[3]["error"].startswith("TypeError: result name 'x' is reserved or repeats a parameter")
    assert all(r["elapsed_s"] >= 0 for r in rows)


def test_batch_sizer_targets_work_per_task_and_keeps_the_tail_balanced():
    s = BatchSizer(None, workers=2, target_s=0.25)
    assert s.next(1000) == 1                                 # nothing measured yet
    s.record([{"elapsed_s": 0.01}] * 10)
    assert s.next(1000) == 25                                # 0.25 s / 0.01 s
    assert s.next(20) == 5                                   # fair share: 20 / (2 * 2)
    assert BatchSizer(7, workers=2).next(3) == 7
    with pytest.raises(ValueError, match="batch_size: expected an integer >= 1"):
        BatchSizer(0, workers=1)


# -- the optional extra -------------------------------------------------------------------------------
def test_missing_extra_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    from expfam_nash.cli.main import main

    spec = tmp_path / "s.toml"
    spec.write_text('task = "probe"\nseeds = 2\n')
    monkeypatch.setitem(sys.modules, "distributed", None)     # import distributed -> ImportError
    assert main(["sweep", str(spec), "--out", str(tmp_path / "t.parquet")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "needs the optional extra 'sweep'" in err and "pip install 'expfam-nash[sweep]'" in err
    assert not (tmp_path / "t.parquet").exists()


# -- the anchored Bernoulli model is the gallery's game --------------------------------------------------
@pytest.mark.parametrize("alpha, rho", [(0.0, 0.0), (0.1, 0.03), (1.0, 0.3)])
def test_anchored_bernoulli_model_is_the_uniqueness_map_game(alpha, rho):
    from expfam_nash.models import bernoulli_anchored
    from expfam_nash.tasks.game import make_game

    values = Sweep("verify", fixed={"model": "bernoulli-anchored", "alpha": alpha, "rho": rho}).cells()[0].values
    mine, theirs = make_game(values), bernoulli_anchored(alpha=alpha, rho=rho)   # what a verify cell builds
    np.testing.assert_array_equal(mine.labeled.table, theirs.labeled.table)
    np.testing.assert_array_equal(mine.data.weights, theirs.data.weights)
    np.testing.assert_array_equal(mine.prior.weights, theirs.prior.weights)
    assert (mine.alpha, mine.rho) == (theirs.alpha, theirs.rho)
    p = mine.init(seed=3)
    np.testing.assert_allclose(mine.flatten(mine.gradient(p)), theirs.flatten(theirs.gradient(p)), rtol=1e-13, atol=0)
