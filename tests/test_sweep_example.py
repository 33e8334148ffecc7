"""The sweep example runs as a program (its own local cluster) and writes a table and a figure;
the uniqueness map drawn from tables pools seeds honestly and refuses tables it cannot draw."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]


def test_uniqueness_sweep_example_runs(tmp_path):
    from expfam_nash.sweep import load_table

    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out, fig = tmp_path / "u.parquet", tmp_path / "u.png"
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "uniqueness_sweep.py"), "--quick", "--workers", "1",
                           "--out", str(out), "--figure", str(fig)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "8 of 8 cells in the table" in proc.stdout and fig.stat().st_size > 0
    table = load_table(out)
    assert len(table) == 8 and table["error"].isna().all()
    # the full map against the gallery's committed data: tests/test_sweep_dask.py


def _table(rows):
    import pandas as pd
    cols = ["model", "alpha", "rho", "seed", "starts", "category", "classes", "not_converged", "escaped", "error"]
    return pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols)


GRID = [("g", a, r, s, 6, "unique", 1, 0, 0, None) for a in (0.0, 1.0) for r in (0.0, 0.1) for s in (0, 1)]


def test_seeds_are_pooled_by_the_most_severe_category():
    from expfam_nash.plot.sweep import plot_uniqueness_table, uniqueness_panels

    rows = list(GRID)
    rows[1] = ("g", 0.0, 0.0, 1, 6, "not unique", 2, 1, 0, None)          # seeds disagree at (0, 0)
    rows[3] = ("g", 0.0, 0.1, 1, 6, "escape", 1, 2, 3, None)
    rows[2] = ("g", 0.0, 0.1, 0, 6, "continuum", 4, 0, 0, None)
    rows[5] = ("g", 1.0, 0.0, 1, 6, "one class, uniqueness undecided", 1, 0, 0, None)
    p = uniqueness_panels(_table(rows))["g"]
    assert p["alphas"] == [0.0, 1.0] and p["rhos"] == [0.0, 0.1] and p["seeds"] == [0, 1]
    assert p["category"] == [["not unique", "one class, uniqueness undecided"], ["escape", "unique"]]
    assert p["text"][0][0] == "1-2 cl, 0-1 und\n0 esc\n1/2 seeds"
    assert p["text"][1][0] == "1-4 cl, 0-2 und\n0-3 esc\n1/2 seeds"
    assert p["text"][1][1] == "1 cl, 0 und\n0 esc"
    fig = plot_uniqueness_table(_table(rows))
    assert len(fig.axes) == 1 and "6 starts, 2 seeds" in fig._suptitle.get_text()


@pytest.mark.parametrize("change, message", [
    (lambda r: r.__setitem__(0, ("g", 0.0, 0.0, 0, 6, None, None, None, None, "ValueError: x")), "1 rows hold an error"),
    (lambda r: r.__setitem__(1, ("g", 0.0, 0.0, 0, 8, "unique", 1, 0, 0, None)), "two rows share model, alpha, rho, seed"),
    (lambda r: r.__delitem__(slice(0, 2)), "no row for alpha=0.0, rho=0.0"),
    (lambda r: r.__setitem__(0, ("g", 0.0, 0.0, 0, 6, "maybe", 1, 0, 0, None)), "unknown category 'maybe'"),
])
def test_uniqueness_panels_refuse_tables_they_cannot_draw_honestly(change, message):
    from expfam_nash.plot.sweep import uniqueness_panels

    rows = list(GRID)
    change(rows)
    with pytest.raises(ValueError, match=message):
        uniqueness_panels(_table(rows))
    with pytest.raises(ValueError, match="no column 'category'"):
        uniqueness_panels(_table(GRID).drop(columns=["category"]))
