"""Benchmark the symmetric game on the collapse models (issue 12, item 5).

* ``engine``: one evaluation (utilities + pseudo-gradient) and one analytic Jacobian of the HVAE network game
  for data dimension D in (4, 8, 16, 32) with d1 = d2 = D / 2 (sizes up to ~1700 parameters);
* ``certify``: ``certify_equilibrium`` on a one-mode HVAE game at each of its four branches (ball arithmetic);
* ``symmetric``: ``collapse.cvae(..., objective="symmetric", starts=0)`` on the image CVAE (scikit-learn's 8 x 8
  digits: 16 + 48 pixels, d_z = 16; MNIST quarters with --mnist: 196 + 588 pixels, d_z = 64): closed form plus
  the per-mode certificates (the full game is checked only up to ``symmetric.MAX_FULL_GAME`` parameters).

Run: ``python -m benchmarks.collapse_game [--quick] [--mnist]`` (prints a table; ``--out FILE`` writes JSON).
Times are medians of ``--repeat`` runs (default 3) on whatever else the machine is doing: quote the load.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def engine(dims, repeat: int) -> list[dict]:
    from expfam_nash.game.network import hvae_game

    rows = []
    for D in dims:
        A = np.diag(np.geomspace(4.0, 0.05, D))
        game = hvae_game(A, (D // 2, D // 2), 0.6, None, 1.0, 0.5)
        p = game.init(seed=0)
        rows.append({"D": D, "parameters": game.layout.size,
                     "evaluate_s": _median(lambda: game.engine.evaluate(p.theta, p.phi), repeat),
                     "jacobian_s": _median(lambda: game.engine.jacobian(p.theta, p.phi), repeat)})
    return rows


def certify(repeat: int) -> list[dict]:
    from expfam_nash.certify import certify_equilibrium
    from expfam_nash.collapse.game_params import scalar_game, scalar_params
    from expfam_nash.collapse.game_theory import hvae_branches

    game = scalar_game("hvae", 3.0, 1.0, 0.25, 0.36, None)
    rows = []
    for b in hvae_branches(3.0, 1.0, 0.25, 0.36, None):
        p = scalar_params("hvae", b, True)
        rows.append({"branch": str(tuple(int(a) for a in b.active)),
                     "certify_s": _median(lambda: certify_equilibrium(game, p), repeat),
                     "stability": certify_equilibrium(game, p).stability.status.value})
    return rows


def symmetric(dataset: str, latent_dim: int, repeat: int) -> dict:
    from expfam_nash import collapse
    from expfam_nash.collapse.images import load_images, quarters

    images, _ = load_images(dataset)
    data = collapse.samples(*quarters(images))
    run = lambda: collapse.cvae(data, latent_dim=latent_dim, eta_dec=0.5, objective="symmetric", starts=0)
    r = run()
    return {"dataset": dataset, "latent_dim": latent_dim, "seconds": _median(run, repeat),
            "modes": len(r.game.modes), "decided": sum(v.status.value != "undecided" for v in r.verdicts[0]),
            "active": int(np.sum(~np.asarray(r.theory.collapsed)))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, one repeat (a smoke run)")
    ap.add_argument("--mnist", action="store_true", help="also the MNIST quarters (d_z = 64)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=None, help="write the results as JSON")
    a = ap.parse_args(argv)
    repeat = 1 if a.quick else a.repeat
    out = {"load": os.getloadavg(), "cpus": os.cpu_count(),
           "engine": engine((4, 8) if a.quick else (4, 8, 16, 32), repeat), "certify": certify(repeat),
           "symmetric": [symmetric("digits", 16, repeat)] + ([symmetric("mnist", 64, repeat)] if a.mnist else [])}
    print(f"load average {out['load'][0]:.2f} on {out['cpus']} cores")
    for r in out["engine"]:
        print(f"engine HVAE D={r['D']:3d} ({r['parameters']:5d} params): evaluate {1e3 * r['evaluate_s']:8.2f} ms, "
              f"Jacobian {1e3 * r['jacobian_s']:8.2f} ms")
    for r in out["certify"]:
        print(f"certify one-mode HVAE branch {r['branch']}: {1e3 * r['certify_s']:.2f} ms ({r['stability']})")
    for r in out["symmetric"]:
        print(f"collapse.cvae symmetric on {r['dataset']} (d_z = {r['latent_dim']}): {r['seconds']:.2f} s, "
              f"{r['decided']} of {r['modes']} mode verdicts decided, {r['active']} active")
    if a.out:
        with open(a.out, "w") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
