"""Benchmark ``introvae``: iterations per second of one full Soft-IntroVAE iteration, this package
against the same iteration in PyTorch on the CPU, and the cost of every method's iteration and of
the final evaluation (the numbers behind the scaled protocol of docs/introvae.md).

    python -m benchmarks.introvae [--quick] [--json PATH]      # measure, print, write JSON
    python -m benchmarks.introvae --only compare               # just the PyTorch comparison
    python -m benchmarks.introvae --only costs                 # just the per-method costs

One S-IntroVAE iteration (after warm-up): the encoder step, then the decoder and prior step,
batch 512, encoder 2-256-256-256-256-4 and decoder 2-256-256-256-256-2 (ReLU), 100 Monte Carlo
samples per KL, gamma_r = 1e-8 (its two extra decoder passes included), Adam for every player;
the prior N(0, I) or the learnable 64-component mixture (learnable weights, adaptive variance
clipping, sampling with gradients). Data: 8 pre-drawn 8Gaussian batches used in turn (data
generation is not timed in either implementation).

Implementations, each in a fresh subprocess per thread setting (``benchmarks._common.run_worker``):
``numba`` (this package, ``expfam_nash.introvae.methods.step``, float32) and ``torch`` (the
iteration written with ``torch.nn`` float32 layers, the reference's estimators: the KL of every
row against every component as a K x (B M) x d tensor and a logsumexp; autograd; ``torch.optim.Adam``
per player). torch is optional: without it the comparison prints one line, "torch not installed".
Thread settings: all cores and one thread (NUMBA/OPENBLAS/OMP/MKL_NUM_THREADS and
``torch.set_num_threads``). Timing: warm-up iterations, then repeats of k iterations (k such that
a repeat lasts >= min_repeat_s); the median rate is reported, with min, max and the CPU load other
processes put on the machine meanwhile.
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import statistics
import sys
import time

import numpy as np

from ._common import FOREIGN_LOAD, emit, machine_info, table, write_result
from ._common import run_worker as _common_run_worker

B, M, K, HIDDEN, LR = 512, 100, 64, (256, 256, 256, 256), 2e-4
N_BATCHES = 8
TARGET = "numba >= 3x torch iterations/s (issue 13)"
DISTURBED = 0.25


def _batches():
    from expfam_nash.introvae import data as D

    rng = np.random.default_rng(0)
    return [D.sample("8Gaussian", B, rng).astype(np.float32) for _ in range(N_BATCHES)]


# -- this package --------------------------------------------------------------------------------
def _ours(method: str, prior: str, **overrides):
    """step(i) for one iteration of ``method`` with ``prior`` ('normal' | 'mog') after warm-up
    (``overrides``: other config fields, e.g. mc_samples, gamma_r, train_prior)."""
    from expfam_nash.introvae import methods as Mth
    from expfam_nash.introvae import priors as P
    from expfam_nash.introvae.config import IntroConfig

    kw = dict(prior=f"mog:{K}", learnable_weights=True) if prior == "mog" else {}
    config = IntroConfig(**{"dataset": "8Gaussian", "method": method, "batch": B, "mc_samples": M, "hidden": HIDDEN,
                            **kw, **overrides})
    rng = np.random.default_rng(1)
    state, nets = Mth.init(config, rng)
    if method == "sintro":
        if state.stage == "vamp":
            Mth.vamp_to_mog(config, state, nets)
            state.clip_bounds = P.clip_bounds_of(state.params)
        state.step = config.warmup
    xs = _batches()
    box = [state]

    def step(i):
        box[0], info = Mth.step(config, box[0], nets, xs[i % N_BATCHES], rng)
        return info.values

    return step


# -- PyTorch ---------------------------------------------------------------------------------------
def _torch(prior: str, threads: int):
    """step(i) for the same S-IntroVAE iteration in PyTorch (module docstring)."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    d, s, a, brec, bkl, bneg, gr = 2, 0.5, 2.0, 0.2, 0.3, 0.9, 1e-8

    def mlp(sizes):
        layers = []
        for i, (u, v) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(torch.nn.Linear(u, v))
            if i < len(sizes) - 2:
                layers.append(torch.nn.ReLU())
        return torch.nn.Sequential(*layers)

    enc, dec = mlp((2, *HIDDEN, 2 * d)), mlp((d, *HIDDEN, 2))
    learn = prior == "mog"
    k = K if learn else 1
    mu_p = torch.nn.Parameter(torch.randn(k, d) * 0.5, requires_grad=learn)
    lv_p = torch.nn.Parameter(torch.randn(k, d) * 0.3 - 1, requires_grad=learn)
    logits = torch.nn.Parameter(torch.zeros(k), requires_grad=learn)
    lo, hi = lv_p.detach().min(0).values, lv_p.detach().max(0).values
    opt_e = torch.optim.Adam(enc.parameters(), lr=LR)
    opt_d = torch.optim.Adam(dec.parameters(), lr=LR)
    opt_p = torch.optim.Adam([mu_p, lv_p, logits], lr=LR) if learn else None
    xs = [torch.from_numpy(x) for x in _batches()]

    def prior_params():
        if not learn:
            return mu_p.detach(), lv_p.detach() * 0, torch.zeros(1)
        b = 10.0 / ((hi - lo).abs() + 1e-8)
        sp = torch.nn.functional.softplus
        lv = lv_p - sp(b * (lv_p - hi)) / b + sp(b * (lo - lv_p)) / b
        return mu_p, lv, torch.log_softmax(logits, 0)

    def log_normal(z, mu, lv):
        return (-0.5 * lv - 0.5 * (z - mu) ** 2 * torch.exp(-lv)).sum(-1)

    def kl(mu, lv, pm, plv, plw):
        mu_r, lv_r = mu.repeat(M, 1), lv.repeat(M, 1)
        z = mu_r + torch.exp(0.5 * lv_r) * torch.randn_like(mu_r)
        logp = torch.logsumexp(log_normal(z[None], pm[:, None], plv[:, None]) + plw[:, None], 0)
        return (log_normal(z, mu_r, lv_r) - logp).view(M, -1).mean(0)

    def encode(x):
        mu, lv = enc(x).chunk(2, 1)
        return mu, lv

    def sample_prior(n, pm, plv, plw):
        idx = torch.multinomial(torch.exp(plw), n, replacement=True) if k > 1 else torch.zeros(n, dtype=torch.long)
        return pm[idx] + torch.exp(0.5 * plv[idx]) * torch.randn(n, d)

    def rec_loss(u, v):
        return ((u - v) ** 2).sum(1)

    def step(i):
        x = xs[i % N_BATCHES]
        pm, plv, plw = (t.detach() for t in prior_params())
        with torch.no_grad():
            fake = dec(sample_prior(B, pm, plv, plw))
        mu, lv = encode(x)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        rec = dec(z)
        mu_f, lv_f = encode(fake)
        rr_f = dec(mu_f + torch.exp(0.5 * lv_f) * torch.randn_like(mu_f))
        mu_r, lv_r = encode(rec.detach())
        rr_r = dec(mu_r + torch.exp(0.5 * lv_r) * torch.randn_like(mu_r))
        e_f = torch.exp(-a * s * (brec * rec_loss(fake, rr_f) + bneg * kl(mu_f, lv_f, pm, plv, plw))).mean()
        e_r = torch.exp(-a * s * (brec * rec_loss(rec.detach(), rr_r) + bneg * kl(mu_r, lv_r, pm, plv, plw))).mean()
        loss_e = s * (bkl * kl(mu, lv, pm, plv, plw).mean() + brec * rec_loss(x, rec).mean()) + (e_f + e_r) / (2 * a)
        opt_e.zero_grad(set_to_none=True)
        loss_e.backward(inputs=list(enc.parameters()))
        opt_e.step()
        # decoder and prior (the encoder frozen: gradients only pass through it)
        pm, plv, plw = prior_params()
        fake = dec(sample_prior(B, pm, plv, plw))
        rec = dec(z.detach())
        mu_r, lv_r = encode(rec)
        mu_f, lv_f = encode(fake)
        rr_r = dec((mu_r + torch.exp(0.5 * lv_r) * torch.randn_like(mu_r)).detach())
        rr_f = dec((mu_f + torch.exp(0.5 * lv_f) * torch.randn_like(mu_f)).detach())
        bar = (pm.detach(), plv.detach(), plw.detach())
        loss_d = s * (brec * rec_loss(x, rec).mean() + bkl / 2 * (kl(mu_r, lv_r, *bar).mean() + kl(mu_f, lv_f, *bar).mean())
                      + gr * brec / 2 * (rec_loss(rec.detach(), rr_r).mean() + rec_loss(fake.detach(), rr_f).mean()))
        if learn:
            loss_d = loss_d + s * bkl * kl(mu.detach(), lv.detach(), pm, plv, plw).mean()
        opt_d.zero_grad(set_to_none=True)
        params = list(dec.parameters()) + ([mu_p, lv_p, logits] if learn else [])
        if learn:
            opt_p.zero_grad(set_to_none=True)
        loss_d.backward(inputs=params)
        opt_d.step()
        if learn:
            opt_p.step()
        return {"loss_encoder": loss_e.item(), "loss_decoder": loss_d.item()}

    return step, {"torch": torch.__version__, "torch_threads": torch.get_num_threads()}


# -- timing -----------------------------------------------------------------------------------------
def _time(step, warmup: int, repeat: int, min_repeat_s: float) -> dict:
    i = 0
    for _ in range(warmup):
        step(i)
        i += 1
    t0 = time.perf_counter()
    step(i)
    i += 1
    k = max(1, math.ceil(min_repeat_s / max(time.perf_counter() - t0, 1e-9)))
    rates = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(k):
            step(i)
            i += 1
        rates.append(k / (time.perf_counter() - t0))
    return {"it_per_s": statistics.median(rates), "it_per_s_min": min(rates), "it_per_s_max": max(rates),
            "ms_per_it": 1e3 / statistics.median(rates), "per_repeat": k, "repeats": repeat}


def task_compare(args: dict) -> dict:
    threads = int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count())
    if args["impl"] == "torch":
        try:
            import torch  # noqa: F401
        except ImportError:
            return {"skipped": "torch not installed"}
        step, desc = _torch(args["prior"], threads)
    else:
        step, desc = _ours("sintro", args["prior"]), {}
    return {**_time(step, args["warmup"], args["repeat"], args["min_repeat_s"]), **desc,
            "loadavg": list(os.getloadavg())}


def task_costs(args: dict) -> dict:
    """ms per iteration of every method/phase (one process), and one evaluation's seconds."""
    out = {}
    for name, (method, prior, over) in COST_CASES.items():
        out[name] = _time(_ours(method, prior, **over), args["warmup"], args["repeat"], args["min_repeat_s"])
    out["evaluation"] = {p: _eval_seconds(p) for p in ("normal", "mog")} if args.get("eval", True) else {}
    return out


def _eval_seconds(prior: str) -> float:
    from expfam_nash.introvae import methods as Mth
    from expfam_nash.introvae.config import IntroConfig
    from expfam_nash.introvae.evaluate import evaluate

    kw = dict(prior=f"mog:{K}", learnable_weights=True) if prior == "mog" else {}
    config = IntroConfig(dataset="8Gaussian", method="vae", **kw)
    state, nets = Mth.init(config, np.random.default_rng(0))
    t0 = time.perf_counter()
    evaluate(config, state, nets)
    return time.perf_counter() - t0


#: name -> (method, prior, config overrides); "M=10, no gamma_r" are the proposed protocol's settings
_PROTO = {"mc_samples": 10, "gamma_r": 0.0}
COST_CASES = {
    "vae normal": ("vae", "normal", {}),
    "vae mog (VampPrior)": ("vae", "mog", {}),
    "sintro normal": ("sintro", "normal", {}),
    "sintro mog (learnable player)": ("sintro", "mog", {}),
    "sintro mog (fixed)": ("sintro", "mog", {"train_prior": False}),
    "symmetric mog": ("symmetric", "mog", {}),
    "vae normal, M=10": ("vae", "normal", {"mc_samples": 10}),
    "vae mog (VampPrior), M=10": ("vae", "mog", {"mc_samples": 10}),
    "sintro normal, M=10, no gamma_r": ("sintro", "normal", _PROTO),
    "sintro mog (learnable player), M=10, no gamma_r": ("sintro", "mog", _PROTO),
    "sintro mog (fixed), M=10, no gamma_r": ("sintro", "mog", {"train_prior": False, **_PROTO}),
}
TASKS = {"compare": task_compare, "costs": task_costs}


def run_worker(task, args, threads, timeout=3600.0):
    return _common_run_worker(task, args, threads, timeout=timeout, module="benchmarks.introvae")


def _best_of(task, args, threads, retries):
    attempts = [run_worker(task, args, threads)]
    while retries > 0 and "skipped" not in attempts[-1] and attempts[-1].get("foreign_cpu_cores", 0) > DISTURBED:
        attempts.append(run_worker(task, args, threads))
        retries -= 1
    best = min(attempts, key=lambda a: a.get("foreign_cpu_cores", 0.0))
    best["attempts_foreign_cpu_cores"] = [a.get("foreign_cpu_cores") for a in attempts]
    return best


def run(quick: bool, only=None, progress=print) -> dict:
    timing = {"warmup": 2 if quick else 5, "repeat": 3 if quick else 7, "min_repeat_s": 0.5 if quick else 2.0}
    retries = 0 if quick else 2
    out = {"plan": timing, "target": TARGET, "cores": os.cpu_count(), "machine": machine_info(),
           "date": datetime.datetime.now().isoformat(timespec="seconds")}
    if only in (None, "compare"):
        out["compare"] = {}
        for label, threads in (("all_cores", None), ("one_thread", 1)):
            for prior in ("normal", "mog"):
                row = {impl: _best_of("compare", {"impl": impl, "prior": prior, **timing}, threads, retries)
                       for impl in ("numba", "torch")}
                if "skipped" not in row["torch"]:
                    row["speedup"] = row["numba"]["it_per_s"] / row["torch"]["it_per_s"]
                out["compare"][f"{label}/{prior}"] = row
                progress(f"  {label:10s} {prior:6s} numba {row['numba']['it_per_s']:7.2f} it/s   torch "
                         + (row["torch"]["skipped"] if "skipped" in row["torch"] else
                            f"{row['torch']['it_per_s']:7.2f} it/s   speedup {row['speedup']:.2f}x")
                         + f"   (foreign load {row['numba'].get('foreign_cpu_cores', float('nan')):.2f})")
    if only in (None, "costs"):
        out["costs_one_thread"] = _best_of("costs", {**timing, "eval": not quick}, 1, retries)
        for name, r in out["costs_one_thread"].items():
            if name in COST_CASES:
                progress(f"  one thread: {name:32s} {r['ms_per_it']:7.1f} ms/iteration")
        for prior, sec in out["costs_one_thread"].get("evaluation", {}).items():
            progress(f"  one thread: evaluation ({prior}) {sec:.1f} s")
    out["max_foreign_cpu_cores"] = max(FOREIGN_LOAD, default=0.0)
    return out


def report(res: dict) -> str:
    rows = []
    for key, r in res.get("compare", {}).items():
        t = r["torch"]
        rows.append([key, f"{r['numba']['it_per_s']:.2f}", t.get("skipped") or f"{t['it_per_s']:.2f}",
                     "-" if "speedup" not in r else f"{r['speedup']:.2f}x"])
    return table(rows, ["threads/prior", "numba it/s", "torch it/s", "speedup"]) if rows else ""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker")
    ap.add_argument("--args", default="{}")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=("compare", "costs"))
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    if a.worker:
        emit(TASKS[a.worker](json.loads(a.args)))
        return 0
    res = run(a.quick, a.only)
    print(report(res))
    if res["max_foreign_cpu_cores"] > DISTURBED:
        print(f"warning: other processes used up to {res['max_foreign_cpu_cores']:.2f} cores during the run")
    path = a.json or write_result("introvae_quick" if a.quick else "introvae", res)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=2, default=float)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
