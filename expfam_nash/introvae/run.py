"""Runs: ``train(config, out)`` and ``resume(out)``, with progress, metrics as JSON lines, atomic
checkpoints, exact resume, a clear stop on NaN, and the final evaluation.

A run directory holds ``config.json``, ``metrics.jsonl`` (one line per ``log_every`` steps: the
means of the step values over the interval), ``checkpoint.npz`` (the latest, every
``checkpoint_every`` steps and at the end; written to a temporary file, then renamed),
``summary.json`` and ``samples.npz`` (points and latents for figures).

* Randomness: the initialisation from ``default_rng([seed, 0])``, every batch and draw of training
  from ``default_rng([seed, 2])`` (its state is in the checkpoint), the evaluation from
  ``default_rng([seed, 3])``. A stopped run (Ctrl-C, a killed process) loses at most the steps
  since its last checkpoint; :func:`resume` continues from it and reproduces the uninterrupted
  run bit for bit. When the newest checkpoint is damaged, resume uses the previous one
  (``checkpoint.prev.npz``) and says so; a checkpoint written by another run is refused.
* NaN: a step whose loss or gradient is not finite raises before any parameter moves; the run
  stops, keeps its last good checkpoint, and ``summary.json`` says ``"status": "nan"`` with the
  message (resuming would meet the same NaN: the run is final).
"""
from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._jsonable import jsonable
from ..core.files import read_json, write_text
from ..neural import checkpoint as ckpt
from . import methods as Mth
from .config import IntroConfig
from .evaluate import evaluate
from .state import IntroState


@dataclass(frozen=True)
class RunResult:
    """A finished, stopped or diverged run: where, how far, and its summary."""

    out: Path
    steps: int
    status: str                 # finished | interrupted | nan
    wall_time: float
    summary_values: dict = field(default_factory=dict)
    #: what resume had to do (e.g. the newest checkpoint was damaged and the previous one was used)
    note: str = ""

    def summary(self) -> str:
        head = f"run {self.out}: {self.status} after {self.steps} steps in {self.wall_time:.1f} s"
        if self.note:
            head += f"\n  note: {self.note}"
        v = self.summary_values
        if self.status == "nan":
            return f"{head}\n  stopped: {v.get('message')}; last good checkpoint at step {v.get('checkpoint_step')}"
        if self.status != "finished":
            return head
        fmt = lambda k: "n/a" if v.get(k) is None else f"{v[k]:.4f}"   # noqa: E731
        return (f"{head}\n  grid KL {fmt('grid_kl')}, grid JSD {fmt('grid_jsd')}, gnELBO x1e7 {fmt('gnelbo')}"
                f"\n  textbook: KL {fmt('kl_nats')} nat, JS {fmt('js_nats')} nat")

    def to_dict(self) -> dict:
        return jsonable({"out": str(self.out), "steps": self.steps, "status": self.status,
                         "wall_time": self.wall_time, "note": self.note, **self.summary_values})


def _save(path: Path, state: IntroState, rng, config: IntroConfig, wall: float) -> None:
    for k, a in state.params.items():
        if not np.all(np.isfinite(a)):
            raise FloatingPointError(f"{k} is not finite at step {state.step} (not saved: the last checkpoint is kept)")
    ckpt.save(path, state, rng, {"wall_time": wall, "config": config.to_dict(), **state.meta()})


def _load(path: Path, config: IntroConfig) -> tuple[IntroState, np.random.Generator, float, str]:
    """The newest usable checkpoint of this run (the previous one when the newest is damaged; another
    run's is refused), with the wall time so far and a note saying which file was used."""
    ls, rng, meta, _, note = ckpt.load_latest(path, None, config)
    try:
        state = IntroState.from_arrays(ls.params, ls.m, ls.v, ls.step, meta)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"checkpoint: {path} does not hold this run's players ({type(exc).__name__}: {exc})") from None
    if rng is None:
        raise ValueError(f"checkpoint: {path} holds no generator state; the run cannot resume exactly")
    return state, rng, float(meta.get("wall_time", 0.0)), note


def _line_step(line: str) -> int | None:
    """The step of one metrics line, or None for a damaged line (e.g. cut by a crash)."""
    try:
        row = json.loads(line)
        return int(row["step"]) if isinstance(row, dict) else None
    except (ValueError, KeyError, TypeError):
        return None


def _truncate_metrics(path: Path, last_step: int) -> None:
    """Drop the lines logged after the checkpoint a run resumes from (they are redone) and damaged ones."""
    if path.is_file():
        lines = path.read_text(errors="replace").splitlines()
        keep = [ln for ln in lines if _line_step(ln) is not None and _line_step(ln) <= last_step]
        path.write_text("".join(ln + "\n" for ln in keep))


class _Log:
    """Means of the step values over each logging interval, written as JSON lines."""

    def __init__(self, path: Path):
        self.fh = path.open("a")
        self.acc: dict = {}

    def add(self, info) -> None:
        for k, v in info.values.items():
            s, n = self.acc.get(k, (0.0, 0))
            self.acc[k] = (s + float(v), n + 1)
        self.phase = info.phase

    def write(self, step: int, seconds: float) -> dict:
        row = {"step": step, "time": round(seconds, 3), "phase": self.phase,
               **{k: s / n for k, (s, n) in self.acc.items()}}
        self.fh.write(json.dumps(jsonable(row)) + "\n")
        self.fh.flush()
        self.acc = {}
        return row

    def close(self) -> None:
        self.fh.close()


class _NoBar:
    def update(self, n): pass
    def set_postfix(self, *a, **k): pass
    def close(self): pass


def _progress(total: int, start: int, enabled: bool):
    """A tqdm bar on stderr (``pip install ".[introvae]"``), or none."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, initial=start, disable=not enabled, unit="it", dynamic_ncols=True, leave=False)


def train(config: IntroConfig, out, *, progress: bool = True, evaluate_at_end: bool = True,
          _resume: bool = False) -> RunResult:
    """Start a run in ``out`` (module docstring); :func:`resume` continues one."""
    out = Path(out)
    paths = {k: out / f for k, f in (("config", "config.json"), ("ckpt", "checkpoint.npz"),
                                     ("metrics", "metrics.jsonl"), ("summary", "summary.json"))}
    nets = Mth.networks(config)
    note = ""
    if _resume and (paths["ckpt"].exists() or ckpt.previous(paths["ckpt"]).exists()):
        state, rng, wall, note = _load(paths["ckpt"], config)
        _truncate_metrics(paths["metrics"], state.step)
    elif paths["ckpt"].exists() or paths["summary"].exists():
        raise ValueError(f"out: {out} already holds a run; resume it or choose another directory")
    else:
        state, _ = Mth.init(config, np.random.default_rng([config.seed, 0]))
        rng, wall = np.random.default_rng([config.seed, 2]), 0.0
        out.mkdir(parents=True, exist_ok=True)
        paths["metrics"].write_text("")
    write_text(paths["config"], json.dumps(config.to_dict(), indent=1))
    log, bar, t0 = _Log(paths["metrics"]), _progress(config.steps, state.step, progress), time.monotonic()
    last_ckpt, status, message = state.step, "finished", None
    try:
        while state.step < config.steps:
            state, info = Mth.step(config, state, nets, Mth.data_batch(config, rng), rng)
            log.add(info)
            bar.update(1)
            if state.step % config.log_every == 0 or state.step == config.steps:
                row = log.write(state.step, wall + time.monotonic() - t0)
                bar.set_postfix({k: f"{v:.3g}" for k, v in list(row.items())[3:6]}, refresh=False)
            if state.step % config.checkpoint_every == 0 and state.step < config.steps:
                _save(paths["ckpt"], state, rng, config, wall + time.monotonic() - t0)
                last_ckpt = state.step
    except KeyboardInterrupt:       # arrays may be mid-update: keep the last consistent checkpoint
        status = "interrupted"
    except FloatingPointError as exc:
        status, message = "nan", str(exc)
    finally:
        log.close()
        bar.close()
    wall += time.monotonic() - t0
    if status == "nan":
        values = {"status": "nan", "message": message, "checkpoint_step": last_ckpt, "step": state.step}
        write_text(paths["summary"], json.dumps(jsonable({**values, "config": config.to_dict()}), indent=1))
        return RunResult(out, state.step, status, wall, values, note)
    if status == "interrupted":
        return RunResult(out, state.step, status, wall, {"checkpoint_step": last_ckpt}, note)
    _save(paths["ckpt"], state, rng, config, wall)
    values: dict = {"status": "finished", "steps": state.step, "wall_time": wall,
                    "seconds_per_step": wall / max(config.steps, 1)}
    if evaluate_at_end:
        t1 = time.monotonic()
        metrics, arrays = evaluate(config, state, nets)
        values.update(metrics, eval_seconds=time.monotonic() - t1)
        np.savez_compressed(out / "samples.npz", **arrays)
    write_text(paths["summary"], json.dumps(jsonable({**values, "config": config.to_dict()}), indent=1))
    return RunResult(out, state.step, "finished", wall, values, note)


def _config(out: Path) -> IntroConfig:
    """The configuration saved in a run directory (one-line ValueError when it is missing or damaged)."""
    if not out.is_dir():
        raise ValueError(f"resume: {str(out)!r} holds no run (not a directory)")
    if not (out / "config.json").exists():
        raise ValueError(f"resume: {out} holds no run (no config.json)")
    saved = read_json(out / "config.json", "resume")
    try:
        return IntroConfig.from_dict(saved)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"resume: {out / 'config.json'} is not a valid run configuration "
                         f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None


def resume(out, *, steps: int | None = None, progress: bool = True, evaluate_at_end: bool = True) -> RunResult:
    """Continue the run in ``out`` from its checkpoint to its configured number of steps (or to
    ``steps``: the learning rates depend on the milestones only, so a longer run continued is the
    run that was configured longer)."""
    out = Path(out)
    config = _config(out)
    if (out / "summary.json").exists():
        status = read_json(out / "summary.json", "resume").get("status")
        raise ValueError(f"resume: the run in {out} is final ({status})")
    if steps is not None:
        config = dataclasses.replace(config, steps=steps)
    return train(config, out, progress=progress, evaluate_at_end=evaluate_at_end, _resume=True)


def load(out) -> RunResult:
    """The result of the final run in ``out`` (finished or stopped on NaN) from its ``summary.json``."""
    out = Path(out)
    config = _config(out)
    values = read_json(out / "summary.json", "summary")
    values = {k: v for k, v in values.items() if k != "config"}
    status = values.get("status")
    if status not in ("finished", "nan"):
        raise ValueError(f"summary: {out / 'summary.json'} records no final status (got {status!r})")
    steps = int(values.get("steps", values.get("step", config.steps)))
    return RunResult(out, steps, status, float(values.get("wall_time") or 0.0), values)
