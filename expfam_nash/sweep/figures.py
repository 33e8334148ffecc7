"""Gallery figures computed as sweeps: the cells run on Dask (resumable table), the figure is drawn
from the table. Each function returns ``(Figure, data)`` like the gallery's figure functions, so
it can be registered in place of a loop-in-one-process version."""
from __future__ import annotations

import dataclasses
import os
import tempfile

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



def uniqueness_map(seed: int = 0, table: str | os.PathLike | None = None, workers: int | None = None,
                   client=None):
    """The ``uniqueness_map`` figure from a sweep of its 32 verify cells (seed ``seed``), kept in
    ``table`` (resumable) or a temporary file. ``data``: the gallery's panels {label: {alphas,
    rhos, category, text}}."""
    from ..plot.sweep import uniqueness_panels
    from ..plot.uniqueness import UNIQUENESS_TITLE, plot_uniqueness_map

    spec = dataclasses.replace(UNIQUENESS_MAP, seeds=[seed])
    with tempfile.TemporaryDirectory() as tmp:
        path = table if table is not None else os.path.join(tmp, "uniqueness_map.parquet")
        run(spec, path, workers=workers, client=client, progress=False)
        frame = load_table(path, sweep=spec)
    panels = uniqueness_panels(frame, labels=UNIQUENESS_LABELS)
    data = {label: {k: v for k, v in p.items() if k != "seeds"} for label, p in panels.items()}
    return plot_uniqueness_map(data, title=UNIQUENESS_TITLE), data
