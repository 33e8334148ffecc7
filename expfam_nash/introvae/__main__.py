"""``python -m expfam_nash.introvae COMMAND``: the Soft-IntroVAE benchmark's protocol from the shell.

    drive --root DIR [--scale 10 --seeds 5 --jobs 2 --reference-settings --extras --deviation-check --dry-run]
    grid --root DIR --dataset D --method M --budget N [--scale 10 --jobs 2]   # budgeted grid search
    run-one --out DIR --config-json JSON                                      # the driver's worker

One run, its resumption and the table go through the package's command line (the shared train
path): ``expfam-nash train --dataset ref2d:8Gaussian --method sintro --prior mog:64 ... --out DIR``,
``expfam-nash train --resume DIR``, ``expfam-nash introvae-table DIR...``.

``drive`` runs the proposed protocol (docs/introvae.md): 4 datasets x 5 methods x 5 seeds at the
schedule divided by ``--scale``, one seed per method at the full schedule on 8Gaussian and
checkerboard, every training run with 10 Monte Carlo samples and without the gamma_r terms
(``--reference-settings``: 100 and 1e-8, as the reference); ``--deviation-check`` adds the
reference-settings runs of one configuration that measure those deviations' effect.

Bad input: one line on stderr, exit status 2.
"""
from __future__ import annotations

import argparse
import json
import sys

from .config import IntroConfig


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m expfam_nash.introvae", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    one = sub.add_parser("run-one")            # the driver's worker: train or resume, no progress bar
    one.add_argument("--out", required=True)
    one.add_argument("--config-json", required=True)
    dr = sub.add_parser("drive")
    dr.add_argument("--root", required=True)
    dr.add_argument("--scale", type=float, default=10.0)
    dr.add_argument("--reference-settings", action="store_true")
    dr.add_argument("--deviation-check", action="store_true")
    dr.add_argument("--estimate", help="costs JSON of benchmarks.introvae: print the plan's core-hours and stop")
    dr.add_argument("--seeds", type=int, default=5)
    dr.add_argument("--jobs", type=int, default=1)
    dr.add_argument("--extras", action="store_true", help="also the learnable-prior ablations at seed 0")
    dr.add_argument("--dry-run", action="store_true")
    gr = sub.add_parser("grid")
    for flag, kw in (("--root", dict(required=True)), ("--dataset", dict(required=True)),
                     ("--method", dict(required=True)), ("--budget", dict(type=int, required=True)),
                     ("--scale", dict(type=float, default=10.0)), ("--jobs", dict(type=int, default=1))):
        gr.add_argument(flag, **kw)
    a = ap.parse_args(argv)
    try:
        return _run(a)
    except (ValueError, FloatingPointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130


def _run(a) -> int:
    from . import protocol, run

    if a.cmd == "run-one":
        config = IntroConfig.from_dict(json.loads(a.config_json))
        st = protocol.status(a.out)
        result = run.resume(a.out, progress=False) if st == "partial" else run.train(config, a.out, progress=False)
    else:
        over = protocol.REFERENCE if getattr(a, "reference_settings", False) else protocol.PROPOSED
        runs = (protocol.plan(a.root, scale=a.scale, seeds=range(a.seeds), **over) if a.cmd == "drive" else
                protocol.grid_plan(a.root, a.dataset, a.method, a.budget, scale=a.scale, **protocol.PROPOSED))
        if a.cmd == "drive" and a.extras:
            runs += [(protocol.Path(a.root) / f"scaled{a.scale:g}" / ds / m / "seed0",
                      protocol.config_for(ds, m, 0, a.scale, **over)) for ds in protocol.DATASETS for m in protocol.EXTRAS]
        if a.cmd == "drive" and a.deviation_check:
            runs += protocol.deviation_check(a.root, scale=a.scale)
        if getattr(a, "estimate", None):
            costs = json.loads(open(a.estimate).read())
            est = protocol.estimate(runs, costs.get("costs_one_thread", costs))
            print(f"{est['runs']} runs: {est['core_hours']:.2f} core-hours")
            return 0
        if getattr(a, "dry_run", False):
            for d, c in runs:
                print(f"{protocol.status(d):8s} {d}  steps={c.steps}")
            return 0
        counts = protocol.drive(runs, jobs=a.jobs, log=lambda s: print(s, flush=True))
        print(json.dumps(counts))
        if a.cmd == "grid":
            best = protocol.best_of_grid([d for d, _ in runs])
            print("best:", None if best is None else f"{best[0]} grid_kl={best[1]['grid_kl']:.4f}")
        return 0
    print(result.summary())
    return 0 if result.status == "finished" else 1


if __name__ == "__main__":
    sys.exit(main())
