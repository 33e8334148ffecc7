"""The ``probe`` task: a diagnostic cell for sweeps only (no sub-command). It sleeps, then returns
numbers derived from its seed; on demand it fails (an error row) or ends the Dask worker running it
(a lost worker). It measures per-task overhead and checks a cluster's fault handling."""
from __future__ import annotations

import os
import time

import numpy as np

from ..core.parsing import at_least, flag, nonnegative
from ..core.registry import Arg
from ..core.tasks import TASKS, Task


def probe(options: dict) -> dict:
    """After ``sleep`` seconds: ``crash`` ends the Dask worker process running the cell (refused
    outside a worker), ``fail`` raises; else ``value`` = a uniform draw from ``seed``, ``square`` =
    seed^2."""
    if options["sleep"]:
        time.sleep(options["sleep"])
    if options["crash"]:
        try:
            from distributed import get_worker
            get_worker()
        except (ImportError, ValueError):
            raise ValueError("crash: only inside a Dask worker") from None
        os._exit(70)
    if options["fail"]:
        raise ValueError(f"fail: probe cell with seed {options['seed']} failed on purpose")
    return {"value": float(np.random.default_rng(options["seed"]).random()), "square": options["seed"] ** 2}


TASKS.register("probe", Task(compute=probe),
               args=(Arg("seed", at_least(0), 0, "random seed"), Arg("sleep", nonnegative, 0.0, "seconds to sleep"),
                     Arg("fail", flag, False, "raise a ValueError (an error row)"),
                     Arg("crash", flag, False, "end the worker process (a lost worker)")),
               help="diagnostic sweep cell: sleeps, then returns numbers derived from the seed; for measuring "
                    "overhead and checking a cluster's fault handling (sweeps only)")
