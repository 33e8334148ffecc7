"""Training runs: a loop with progress, metrics as JSON lines, atomic checkpoints and resume.

An output directory holds ``config.json``, ``metrics.jsonl`` (one line per logged step),
``checkpoint.npz`` (the latest; ``checkpoint.prev.npz`` the one before), ``summary.json`` (after
the final evaluation) and ``timing.json`` (wall-clock time and steps per second: the only file that
differs between two runs with the same seed); callbacks (e.g. the figures of
``expfam_nash.experiments.neural``) add their files after it. A stopped run (Ctrl-C, a killed
process) loses at most the steps since its last checkpoint; :func:`resume` continues from it and,
because the generator's state is in the checkpoint, draws exactly the numbers an uninterrupted run
would. Resume refuses a checkpoint written by another run (its saved configuration must match
``config.json``) and uses the previous checkpoint when the newest is damaged (``RunResult.note``
says so). A full disk stops the run with an OSError and leaves the last good checkpoint. The
configuration is :class:`~.config.TrainConfig`, the model specs :mod:`.build`.
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..core.files import output_dir, read_json, write_text
from ..core.jsonable import jsonable
from ..core.validation import check_int, check_memory
from . import checkpoint as ckpt
from . import datasets as D
from .build import MODEL_SPECS, build_model  # noqa: F401  (re-exported)
from .config import TrainConfig
from .learning import LEARNING_METHODS, Adam, init


@dataclass(frozen=True)
class FinishedRun:
    """What a callback of :func:`train` receives after the final evaluation."""

    config: TrainConfig
    out: Path
    model: object
    params: dict
    data: D.Dataset
    evaluation: dict | None


Callback = Callable[[FinishedRun], None]


@dataclass(frozen=True)
class RunResult:
    """A finished (or stopped) run: where it lives, how far it got, the final evaluation."""

    out: Path
    steps: int
    interrupted: bool
    wall_time: float
    evaluation: dict | None
    options: dict = field(default_factory=dict)    # the TrainConfig the run ran with
    #: what resume had to do (e.g. the newest checkpoint was damaged and the previous one was used)
    note: str = ""

    def to_dict(self) -> dict:
        return jsonable({"out": str(self.out), "steps": self.steps, "interrupted": self.interrupted,
                         "wall_time": self.wall_time, "evaluation": self.evaluation, "options": self.options,
                         "note": self.note})

    def summary(self) -> str:
        head = f"run {self.out}: {self.steps} steps in {self.wall_time:.1f} s" + (" (interrupted)" if self.interrupted else "")
        if self.note:
            head += f"\n  note: {self.note}"
        ev = self.evaluation
        if not ev:
            return head
        lines = [head, f"  data {ev.get('dataset')}, model {ev.get('model')}, method {ev.get('method')}"]
        ll = ev.get("log_likelihood")
        if ll:
            extra = f", K={ll['K']}" if ll.get("K") else ""
            lines.append(f"  held-out log-likelihood {ll['mean']:.4f} +- {ll['se']:.4f} nat ({ll['method']}{extra})")
        if ev.get("ll_gap") is not None:
            lines.append(f"  gap to the true model {ev['ll_gap']:.4f} +- {ev['ll_gap_se']:.4f} nat "
                         f"(true {ev['true_log_likelihood']:.4f})")
        for key, name in (("generated", "decoder marginal"), ("chain", "chain limit")):
            d = ev.get(key) or {}
            if d.get("tv") is not None:
                lines.append(f"  {name} vs data: TV {d['tv']:.4f} ({d['method']})")
            elif d.get("mmd") is not None:
                lines.append(f"  {name} vs data: MMD^2 {d['mmd']:.5f} (test halves {d['mmd_floor']:.5f})")
        rec, lat = ev.get("reconstruction") or {}, ev.get("latents") or {}
        if rec.get("nll") is not None:
            lines.append(f"  reconstruction -log p(x|z) {rec['nll']:.4f}" +
                         (f", pixel error {rec['error_rate']:.4f}" if rec.get("error_rate") is not None else ""))
        if "n_active" in lat:
            lines.append(f"  active units {lat['n_active']}/{lat['n_units']}")
        lines += [f"  note: {n}" for n in ev.get("notes") or []]
        return "\n".join(lines)


class _Progress:
    def __init__(self, total: int, start: int, enabled: bool):
        self.total, self.start, self.enabled = total, start, enabled
        self.t0 = time.monotonic()
        self.last = 0.0

    def update(self, step: int, text: str = "", force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.5 and not force):
            return
        self.last = now
        done = step - self.start
        rate = done / max(now - self.t0, 1e-9)
        eta = (self.total - step) / rate if rate > 0 else float("inf")
        width = 30
        fill = int(width * step / max(self.total, 1))
        print(f"\r[{'#' * fill}{'.' * (width - fill)}] {step}/{self.total} {rate:.0f} steps/s eta {eta:.0f}s {text}",
              end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr, flush=True)


def _labelled_split(data, config: TrainConfig):
    """Indices of training examples whose label is observed (a fixed, seeded subset)."""
    if config.labelled_fraction <= 0:
        return None
    n = data.x_train.shape[0]
    k = max(1, int(round(config.labelled_fraction * n)))
    return np.sort(np.random.default_rng([config.seed, 1]).choice(n, k, replace=False))


def _metric_step(line: str) -> int | None:
    """The step of one metrics line, or None for a damaged line (e.g. cut by a crash)."""
    try:
        row = json.loads(line)
        return int(row["step"]) if isinstance(row, dict) else None
    except (ValueError, KeyError, TypeError):
        return None


def _truncate_metrics(path: Path, last_step: int) -> None:
    """Drop metric lines logged after the checkpoint we resume from (they will be redone), and
    damaged lines."""
    if not path.exists():
        return
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeError):
        lines = []
    keep = [line for line in lines if (_metric_step(line) is not None and _metric_step(line) <= last_step)]
    write_text(path, "".join(line + "\n" for line in keep))


class _Run:
    """One run's state between steps: data, model, learner state, the training stream, the clock."""

    def __init__(self, config: TrainConfig, out: Path, resume: bool):
        self.config, self.out, self.note, self.saved_step = config, out, "", None
        self.ck_path, self.met_path = out / "checkpoint.npz", out / "metrics.jsonl"
        output_dir(out, "out", create=False)
        if not resume and (self.ck_path.exists() or ckpt.previous(self.ck_path).exists()):
            raise ValueError(f"out: {out} already holds a run; resume it or choose another directory")
        self.data = D.load(config.dataset, seed=config.seed, n_train=config.n_train)
        self.model = build_model(config, self.data)
        widths = sum(sum(net.spec.sizes) for net in self.model.nets.values())
        check_memory(4 * config.batch * widths, "batch", f"activations of {config.batch} rows through the networks")
        self.dtype = np.dtype(config.dtype).type
        if resume and (self.ck_path.exists() or ckpt.previous(self.ck_path).exists()):
            self.state, self.rng, meta, used, self.note = ckpt.load_latest(self.ck_path, self.model, config)
            if used != self.ck_path and self.ck_path.exists():    # keep the damaged file aside, out of the rotation
                os.replace(self.ck_path, out / "checkpoint.damaged.npz")
                self.note += "; the damaged file is kept as checkpoint.damaged.npz"
            self.wall, self.saved_step = float(meta.get("wall_time", 0.0)), self.state.step
            _truncate_metrics(self.met_path, self.state.step)
        else:
            self.state, self.wall = init(self.model, np.random.default_rng([config.seed, 0]), self.dtype), 0.0
            self.rng = np.random.default_rng([config.seed, 2])
            output_dir(out, "out")
            write_text(self.met_path, "")
        write_text(out / "config.json", json.dumps(config.to_dict(), indent=1))
        self.t0 = time.monotonic()

    def elapsed(self) -> float:
        return self.wall + time.monotonic() - self.t0

    def check_finite(self, what: str) -> None:
        if not all(np.all(np.isfinite(p)) for p in self.state.params.values()):
            raise FloatingPointError(f"parameters became NaN or infinite by step {self.state.step}{what}; "
                                     f"lower lr (now {self.config.lr})")

    def save_checkpoint(self) -> None:
        """Save (unless this step is saved already: the previous checkpoint stays one interval back)."""
        if self.saved_step == self.state.step:
            return
        self.check_finite(" (not saved: the last checkpoint is kept)")
        self.saved_step = self.state.step
        wall = self.elapsed()
        ckpt.save(self.ck_path, self.state, self.rng, {"wall_time": wall, "config": self.config.to_dict()})
        self.write_timing(wall)

    def write_timing(self, wall: float) -> None:
        """timing.json: wall-clock seconds and steps per second (kept out of the seeded results)."""
        write_text(self.out / "timing.json", json.dumps({"steps": self.state.step, "wall_time": wall,
                                                         "steps_per_second": self.state.step / max(wall, 1e-9)},
                                                        indent=1))

    def loop(self, progress: bool) -> bool:
        """Steps until ``config.steps``; True if interrupted (Ctrl-C)."""
        cfg, rng = self.config, self.rng
        step_fn = LEARNING_METHODS[cfg.method].obj
        opt = Adam(lr=cfg.lr, rho=cfg.rho)
        kwargs = {"samples": cfg.elbo_samples} if cfg.method == "elbo" else {}
        lab_idx = _labelled_split(self.data, cfg)
        x_train = np.ascontiguousarray(self.data.x_train, dtype=self.dtype)
        eye = np.eye(max(self.data.n_classes, 1), dtype=self.dtype)
        bar = _Progress(cfg.steps, self.state.step, progress)
        acc, n_acc = np.zeros(3), 0
        metrics = self.met_path.open("a")
        try:
            while self.state.step < cfg.steps:
                xb = x_train[rng.integers(0, x_train.shape[0], cfg.batch)]
                if lab_idx is not None:
                    li = lab_idx[rng.integers(0, len(lab_idx), cfg.batch)]
                    kwargs.update(labelled=(x_train[li], eye[self.data.y_train[li]]), alpha=cfg.alpha)
                if cfg.schedule == "cosine":
                    opt = dataclasses.replace(opt, lr=cfg.lr * 0.5 * (1 + np.cos(np.pi * self.state.step / cfg.steps)))
                self.state, info = step_fn(self.model, self.state, xb, rng, opt=opt, **kwargs)
                acc += (info.decoder_ll, info.encoder_ll, info.elbo)
                n_acc += 1
                if self.state.step % cfg.log_every == 0 or self.state.step == cfg.steps:
                    self._log(metrics, bar, acc / n_acc)
                    acc[:], n_acc = 0, 0
                if self.state.step % cfg.checkpoint_every == 0:
                    self.save_checkpoint()
        except KeyboardInterrupt:
            return True
        finally:
            metrics.close()
            bar.close()
        return False

    def _log(self, metrics, bar: _Progress, means: np.ndarray) -> None:
        row = {"step": self.state.step}
        for k, v in zip(("decoder_ll", "encoder_ll", "elbo"), means):
            if np.isfinite(v):
                row[k] = float(v)
        self.check_finite("")
        metrics.write(json.dumps(row) + "\n")
        metrics.flush()
        bar.update(self.state.step, " ".join(f"{k}={v:.3f}" for k, v in row.items() if k != "step"))

    def report(self, wall_time: float) -> dict:
        """The final evaluation, written to ``summary.json``."""
        from .evaluation import evaluate as run_eval

        ev = run_eval(self.model, self.state.params, self.data, seed=self.config.seed, K=self.config.eval_K)
        result = ev.to_dict()
        result.update(steps=self.state.step, method=self.config.method)
        write_text(self.out / "summary.json", json.dumps(result, indent=1))
        self.write_timing(wall_time)
        return result


def train(config: TrainConfig, out, *, progress: bool = True, evaluate: bool = True,
          callbacks: Sequence[Callback] = (), figures: bool = False, _resume: bool = False) -> RunResult:
    """Start a training run in directory ``out`` (see the module docstring); :func:`resume`
    continues one. After a run that was not interrupted, each callback receives a :class:`FinishedRun`
    (after the evaluation, when ``evaluate``). ``figures`` is the older switch: ``train`` no longer
    draws (the figures are the callback ``expfam_nash.experiments.neural.run_figures``)."""
    if figures:
        raise ValueError("figures: train no longer draws; pass callbacks=(expfam_nash.experiments.neural.run_figures,)")
    run = _Run(config, Path(out), _resume)
    interrupted = run.loop(progress)
    if not interrupted:   # after Ctrl-C the arrays may be mid-update: keep the last consistent checkpoint
        run.save_checkpoint()
    wall_time = run.elapsed()
    result = run.report(wall_time) if evaluate and not interrupted else None
    if not interrupted:
        for callback in callbacks:
            callback(FinishedRun(config, run.out, run.model, run.state.params, run.data, result))
    return RunResult(run.out, run.state.step, interrupted, wall_time, result, config.to_dict(), run.note)


def resume(out, *, steps: int | None = None, progress: bool = True, evaluate: bool = True,
           callbacks: Sequence[Callback] = (), figures: bool = False) -> RunResult:
    """Continue the run in ``out`` from its checkpoint, up to ``steps`` in total (default: the
    saved total). A stopped run resumed to its own total is bit-for-bit the uninterrupted run;
    raising the total of a cosine-schedule run re-stretches the schedule (the learning rate at
    step t depends on the total), so the extension is not the run a larger total would give."""
    if not Path(out).is_dir():
        raise ValueError(f"resume: {str(out)!r} holds no run (not a directory)")
    cfg_path = Path(out) / "config.json"
    if not cfg_path.exists():
        raise ValueError(f"resume: {out} holds no run (no config.json)")
    try:
        config = TrainConfig.from_dict(read_json(cfg_path, "resume"))
    except (ValueError, TypeError) as exc:
        if str(exc).startswith("resume:"):
            raise
        raise ValueError(f"resume: {cfg_path} is not a valid run configuration ({exc})") from None
    if steps is not None:
        config = dataclasses.replace(config, steps=check_int(steps, "steps", minimum=0))
    return train(config, out, progress=progress, evaluate=evaluate, callbacks=callbacks, figures=figures,
                 _resume=True)
