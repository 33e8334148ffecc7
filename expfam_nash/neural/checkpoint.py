"""Save and load learner states to ``.npz``, atomically (write a temporary file, then rename), so
a run stopped at any moment leaves either the previous checkpoint or the new one, never half.

A checkpoint holds every network's parameters and Adam moments, the step count, the training
generator's state (so a resumed run draws the same numbers an uninterrupted one would), a JSON
``meta`` dict (configuration, wall time) and a SHA-256 ``checksum`` of all of these.

Saving keeps the previous checkpoint as ``NAME.prev.npz`` (the new file replaces the old one
only once it is complete, so a full disk or a crash leaves the last good checkpoint in place).
:func:`load` refuses a damaged file (unreadable, truncated, a checksum that does not match,
arrays of the wrong shapes or dtype) with :class:`DamagedCheckpoint`, and a checkpoint written by
another run (its configuration differs from the given one) with :class:`ForeignCheckpoint`;
:func:`load_latest` falls back to the previous checkpoint when the newest is damaged and says
which one it used.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from ..core.files import READ_ERRORS
from .learning import LearnerState

#: bit generators a checkpoint may name (anything else is a damaged file)
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
#: configuration keys that may differ on resume (the run's length)
MAY_CHANGE = ("steps",)


class DamagedCheckpoint(ValueError):
    """A checkpoint file that cannot be trusted: unreadable, truncated, or failing its checksum."""


class ForeignCheckpoint(ValueError):
    """A checkpoint written by another run (configuration or networks differ)."""


def previous(path) -> Path:
    """Where the checkpoint before ``path`` is kept: ``NAME.prev.npz``."""
    path = Path(path)
    return path.with_name(path.name[:-len(".npz")] + ".prev.npz" if path.name.endswith(".npz") else path.name + ".prev")


def checksum(arrays: dict) -> str:
    """SHA-256 over every entry's name, dtype, shape and bytes, in sorted order."""
    h = hashlib.sha256()
    for key in sorted(arrays):
        a = np.ascontiguousarray(arrays[key])
        h.update(f"{key}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _write_npz(fh, arrays: dict) -> None:
    """The writer (a test replaces it with one that fails like a full disk)."""
    np.savez(fh, **arrays)


def save(path, state: LearnerState, rng: np.random.Generator | None = None, meta: dict | None = None) -> Path:
    """Write the checkpoint atomically; the one it replaces becomes ``NAME.prev.npz``. On failure
    (e.g. ENOSPC) the temporary file is removed, the existing checkpoints are untouched and the
    OSError names ``path``."""
    path = Path(path)
    arrays = {}
    for group in ("params", "m", "v"):
        for name, arr in getattr(state, group).items():
            arrays[f"{group}/{name}"] = arr
    arrays["step"] = np.array(state.step)
    arrays["rng"] = np.array(json.dumps(rng.bit_generator.state if rng is not None else None))
    arrays["meta"] = np.array(json.dumps(meta or {}))
    arrays["checksum"] = np.array(checksum(arrays))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_npz(fh, arrays)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.replace(path, previous(path))
        os.replace(tmp, path)
    except OSError as exc:
        _unlink(tmp)
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    except BaseException:
        _unlink(tmp)
        raise
    return path


def _unlink(tmp: str) -> None:
    if os.path.exists(tmp):
        os.unlink(tmp)


def _read(path: Path) -> dict:
    """Every entry of the file, checksum verified; DamagedCheckpoint for any problem."""
    if not path.is_file():
        raise DamagedCheckpoint(f"checkpoint: {path} is missing or not a file")
    try:
        with np.load(path, allow_pickle=False) as f:
            entries = {key: np.array(f[key]) for key in f.files}
    except READ_ERRORS as exc:
        raise DamagedCheckpoint(f"checkpoint: {path} is damaged ({type(exc).__name__}: "
                                f"{str(exc).splitlines()[0] if str(exc) else 'unreadable'})") from None
    stored = entries.pop("checksum", None)
    if stored is not None and str(stored) != checksum(entries):
        raise DamagedCheckpoint(f"checkpoint: {path} is damaged (its checksum does not match its arrays)")
    missing = [k for k in ("step", "rng", "meta") if k not in entries]
    if missing:
        raise DamagedCheckpoint(f"checkpoint: {path} is damaged (no {missing[0]!r} entry)")
    return entries


def _state(path: Path, entries: dict) -> tuple[LearnerState, np.random.Generator | None, dict]:
    groups: dict[str, dict] = {"params": {}, "m": {}, "v": {}}
    try:
        for key, value in entries.items():
            if "/" in key:
                g, name = key.split("/", 1)
                groups[g][name] = value
        step = int(entries["step"])
        rng_state = json.loads(str(entries["rng"]))
        meta = json.loads(str(entries["meta"]))
        if step < 0 or not isinstance(meta, dict):
            raise ValueError("a negative step or a meta that is not an object")
        rng = None if rng_state is None else _generator(rng_state)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DamagedCheckpoint(f"checkpoint: {path} is damaged ({type(exc).__name__}: {exc})") from None
    for name, p in groups["params"].items():
        for g in ("m", "v"):
            if name not in groups[g] or groups[g][name].shape != p.shape or groups[g][name].dtype != p.dtype:
                raise DamagedCheckpoint(f"checkpoint: {path} is damaged (Adam moments of {name!r} do not match "
                                        "its parameters)")
    grads = {k: np.zeros_like(v) for k, v in groups["params"].items()}
    return LearnerState(groups["params"], groups["m"], groups["v"], grads, step), rng, meta


def _generator(rng_state) -> np.random.Generator:
    name = rng_state.get("bit_generator") if isinstance(rng_state, dict) else None
    if name not in BIT_GENERATORS:
        raise ValueError(f"unknown bit generator {name!r}")
    rng = np.random.Generator(getattr(np.random, name)())
    rng.bit_generator.state = rng_state
    return rng


def _check_owner(path: Path, state: LearnerState, meta: dict, model, config) -> None:
    """ForeignCheckpoint unless the networks match ``model`` and the saved configuration ``config``."""
    if model is not None:
        want = {k: v.spec.n_params for k, v in model.nets.items()}
        got = {k: v.size for k, v in state.params.items()}
        if want != got:
            raise ForeignCheckpoint(f"checkpoint: {path} holds networks {got}, not the model's {want} "
                                    "(another run's checkpoint)")
    if config is None:
        return
    saved, want = meta.get("config"), config.to_dict()
    if not isinstance(saved, dict):
        raise ForeignCheckpoint(f"checkpoint: {path} records no configuration; it cannot be matched to this run")
    for key in sorted(set(saved) | set(want)):
        if key not in MAY_CHANGE and saved.get(key) != want.get(key):
            raise ForeignCheckpoint(f"checkpoint: {path} was written by another run (its {key} is {saved.get(key)!r}, "
                                    f"this run's config.json says {want.get(key)!r})")
    dtype = np.dtype(config.dtype)
    if any(p.dtype != dtype for p in state.params.values()):
        raise ForeignCheckpoint(f"checkpoint: {path} holds parameters that are not {config.dtype}")


def load(path, model=None, config=None) -> tuple[LearnerState, np.random.Generator | None, dict]:
    """(state, generator restored to its saved state or None, meta) of one checkpoint file.

    Raises :class:`DamagedCheckpoint` for a damaged file; with ``model`` and/or ``config`` (a
    TrainConfig), :class:`ForeignCheckpoint` unless the networks and the saved configuration
    (all but ``steps``) match them."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"checkpoint: no file at {path}")
    state, rng, meta = _state(path, _read(path))
    _check_owner(path, state, meta, model, config)
    return state, rng, meta


def load_latest(path, model=None, config=None):
    """(state, rng, meta, the file used, a note) from ``path``, or from ``NAME.prev.npz`` when
    ``path`` is missing or damaged (the note says so); a foreign checkpoint is refused at once,
    and ValueError when neither file can be used."""
    path, prev = Path(path), previous(path)
    try:
        return (*load(path, model, config), path, "")
    except ForeignCheckpoint:
        raise
    except ValueError as exc:
        if not prev.exists():
            raise
        first = str(exc)
    try:
        state, rng, meta = load(prev, model, config)
    except ValueError as exc:
        raise ValueError(f"{first}; the previous checkpoint cannot be used either: {exc}") from None
    return state, rng, meta, prev, f"{first}; resumed from the previous checkpoint {prev} (step {state.step})"
