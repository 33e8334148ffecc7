"""Gallery figures computed as sweeps: the cells run on Dask (a resumable table), the figure is drawn
from the table. The ``uniqueness_map`` of ``expfam-nash figures`` is registered here, in the sweep
layer (above ``experiments``), and found by the figure registry through
``experiments.figures.FIGURE_MODULES``; ``examples/uniqueness_sweep.py`` draws the same figure with
:func:`uniqueness_figure` from a table it runs itself."""
from __future__ import annotations

import dataclasses
import os
import tempfile

from ..experiments.figures import FIGURES
from .execute import run
from .spec import Sweep
from .store import load_table

#: the gallery's uniqueness map: verify (6 starts) on a tabular and an anchored Bernoulli game
UNIQUENESS_MAP = Sweep("verify", fixed={"starts": 6},
                       cases=[{"model": "tabular", "joint": "random:3:3:0"},
                              {"model": "bernoulli-anchored", "joint": "random:3:1:1234"}],
                       grid={"alpha": [0.0, 0.1, 0.4, 1.0], "rho": [0.0, 0.03, 0.1, 0.3]})
UNIQUENESS_LABELS = {"tabular": "tabular random:3:3:0",
                     "bernoulli-anchored": "Bernoulli d=3, k=1, random labelled joint"}


def uniqueness_figure(table, title: str | None = None):
    """(Figure, data) of the uniqueness map from a table of verify cells (one map per ``model``,
    alpha across, rho up; seeds pooled by :func:`expfam_nash.plot.sweep.uniqueness_panels`).
    ``data``: {label: {alphas, rhos, category, text}}. One seed: the gallery's title."""
    from ..plot.sweep import uniqueness_panels
    from ..plot.uniqueness import UNIQUENESS_TITLE, plot_uniqueness_map

    panels = uniqueness_panels(table, labels=UNIQUENESS_LABELS)
    seeds = {s for p in panels.values() for s in p["seeds"]}
    starts = sorted({int(s) for s in table["starts"]}) if "starts" in table.columns else []
    if title is None and (len(seeds) > 1 or starts != [6]):
        title = (f"verify ({'/'.join(map(str, starts)) or '?'} starts, {len(seeds)} seed{'s' if len(seeds) != 1 else ''}) "
                 "over labelled weight alpha x L2 penalty rho: certified classes (cl), undecided runs (und), "
                 "certified escapes (esc)")
    data = {label: {k: v for k, v in p.items() if k != "seeds"} for label, p in panels.items()}
    return plot_uniqueness_map(data, title=title or UNIQUENESS_TITLE), data


@FIGURES.register("uniqueness_map", extras=("sweep",),
                  help="verify's verdict over the labelled weight alpha x L2 weight rho (a Dask sweep of 32 cells)")
def uniqueness_map(seed: int = 0, table: str | os.PathLike | None = None, workers: int | None = None,
                   client=None):
    """The ``uniqueness_map`` figure from a sweep of its 32 verify cells (seed ``seed``), kept in
    ``table`` (resumable) or a temporary file; on a local cluster of ``workers`` processes (default:
    the cores) or the Dask ``client`` given."""
    spec = dataclasses.replace(UNIQUENESS_MAP, seeds=[seed])
    with tempfile.TemporaryDirectory() as tmp:
        path = table if table is not None else os.path.join(tmp, "uniqueness_map.parquet")
        run(spec, path, workers=workers, client=client, progress=False)
        frame = load_table(path, sweep=spec)
    return uniqueness_figure(frame)
