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
  run bit for bit.
* NaN: a step whose loss or gradient is not finite raises before any parameter moves; the run
  stops, keeps its last good checkpoint, and ``summary.json`` says ``"status": "nan"`` with the
  message (resuming would meet the same NaN: the run is final).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._jsonable import jsonable
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

    def summary(self) -> str:
        head = f"run {self.out}: {self.status} after {self.steps} steps in {self.wall_time:.1f} s"
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
                         "wall_time": self.wall_time, **self.summary_values})


def _save(path: Path, state: IntroState, rng, config: IntroConfig, wall: float) -> None:
    for k, a in state.params.items():
        if not np.all(np.isfinite(a)):
            raise FloatingPointError(f"{k} is not finite at step {state.step} (not saved: the last checkpoint is kept)")
    ckpt.save(path, state, rng, {"wall_time": wall, "config": config.to_dict(), **state.meta()})


def _load(path: Path) -> tuple[IntroState, np.random.Generator, float]:
    ls, rng, meta = ckpt.load(path)
    return IntroState.from_arrays(ls.params, ls.m, ls.v, ls.step, meta), rng, float(meta.get("wall_time", 0.0))


def _truncate_metrics(path: Path, last_step: int) -> None:
    if path.exists():
        keep = [ln for ln in path.read_text().splitlines() if ln.strip() and json.loads(ln)["step"] <= last_step]
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
    if paths["ckpt"].exists() and _resume:
        state, rng, wall = _load(paths["ckpt"])
        _truncate_metrics(paths["metrics"], state.step)
    elif paths["ckpt"].exists() or paths["summary"].exists():
        raise ValueError(f"out: {out} already holds a run; resume it or choose another directory")
    else:
        state, _ = Mth.init(config, np.random.default_rng([config.seed, 0]))
        rng, wall = np.random.default_rng([config.seed, 2]), 0.0
        out.mkdir(parents=True, exist_ok=True)
        paths["metrics"].write_text("")
    paths["config"].write_text(json.dumps(config.to_dict(), indent=1))
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
        paths["summary"].write_text(json.dumps(jsonable({**values, "config": config.to_dict()}), indent=1))
        return RunResult(out, state.step, status, wall, values)
    if status == "interrupted":
        return RunResult(out, state.step, status, wall, {"checkpoint_step": last_ckpt})
    _save(paths["ckpt"], state, rng, config, wall)
    values: dict = {"status": "finished", "steps": state.step, "wall_time": wall,
                    "seconds_per_step": wall / max(config.steps, 1)}
    if evaluate_at_end:
        t1 = time.monotonic()
        metrics, arrays = evaluate(config, state, nets)
        values.update(metrics, eval_seconds=time.monotonic() - t1)
        np.savez_compressed(out / "samples.npz", **arrays)
    paths["summary"].write_text(json.dumps(jsonable({**values, "config": config.to_dict()}), indent=1))
    return RunResult(out, state.step, "finished", wall, values)


def resume(out, *, progress: bool = True, evaluate_at_end: bool = True) -> RunResult:
    """Continue the run in ``out`` from its checkpoint to its configured number of steps."""
    path = Path(out) / "config.json"
    if not path.exists():
        raise ValueError(f"resume: {out} holds no run (no config.json)")
    summary = Path(out) / "summary.json"
    if summary.exists():
        raise ValueError(f"resume: the run in {out} is final ({json.loads(summary.read_text()).get('status')})")
    config = IntroConfig.from_dict(json.loads(path.read_text()))
    return train(config, out, progress=progress, evaluate_at_end=evaluate_at_end, _resume=True)
