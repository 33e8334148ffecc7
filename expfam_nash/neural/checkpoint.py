"""Save and load learner states to ``.npz``, atomically (write a temporary file, then rename), so
a run stopped at any moment leaves either the previous checkpoint or the new one, never half.

A checkpoint holds every network's parameters and Adam moments, the step count, the training
generator's state (so a resumed run draws the same numbers an uninterrupted one would) and a
JSON ``meta`` dict (configuration, wall time).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from .learning import LearnerState


def save(path, state: LearnerState, rng: np.random.Generator | None = None, meta: dict | None = None) -> Path:
    path = Path(path)
    arrays = {}
    for group in ("params", "m", "v"):
        for name, arr in getattr(state, group).items():
            arrays[f"{group}/{name}"] = arr
    arrays["step"] = np.array(state.step)
    arrays["rng"] = np.array(json.dumps(rng.bit_generator.state if rng is not None else None))
    arrays["meta"] = np.array(json.dumps(meta or {}))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load(path, model=None) -> tuple[LearnerState, np.random.Generator | None, dict]:
    """(state, generator restored to its saved state or None, meta).

    With ``model`` given, checks that the networks and their sizes match it."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"checkpoint: no file at {path}")
    with np.load(path, allow_pickle=False) as f:
        groups: dict[str, dict] = {"params": {}, "m": {}, "v": {}}
        for key in f.files:
            if "/" in key:
                g, name = key.split("/", 1)
                groups[g][name] = f[key].copy()
        step = int(f["step"])
        rng_state = json.loads(str(f["rng"]))
        meta = json.loads(str(f["meta"]))
    if model is not None:
        want = {k: v.spec.n_params for k, v in model.nets.items()}
        got = {k: v.size for k, v in groups["params"].items()}
        if want != got:
            raise ValueError(f"checkpoint: networks {got} do not match the model's {want}")
    rng = None
    if rng_state is not None:
        rng = np.random.Generator(getattr(np.random, rng_state["bit_generator"])())
        rng.bit_generator.state = rng_state
    grads = {k: np.zeros_like(v) for k, v in groups["params"].items()}
    return LearnerState(groups["params"], groups["m"], groups["v"], grads, step), rng, meta
