"""Uniqueness map from a sweep table: run examples/uniqueness_sweep.toml on a local Dask cluster
(resumable: rerunning with the same --out computes only missing cells), then draw the figure
from the table alone, with the function that draws the gallery's ``uniqueness_map``.

    python examples/uniqueness_sweep.py [--out uniqueness_sweep.parquet] [--workers N] [--seeds K] [--quick]

--seeds 1 reproduces the gallery's uniqueness_map (6 starts, seed 0: the same data and figure as
``expfam-nash figures --only uniqueness_map``); --quick keeps alpha, rho in {0, 0.1} x {0, 0.1} and
one seed (8 cells, for a smoke test).
"""
import argparse
import dataclasses
import json
from pathlib import Path

from expfam_nash import sweep
from expfam_nash.sweep.figures import uniqueness_figure

SPEC = Path(__file__).with_name("uniqueness_sweep.toml")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="uniqueness_sweep.parquet", help="table (.parquet or .csv)")
    ap.add_argument("--figure", default="uniqueness_sweep.png", help="the figure (its data beside it as .json)")
    ap.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores)")
    ap.add_argument("--seeds", type=int, default=None, help="number of seeds (default: the file's)")
    ap.add_argument("--quick", action="store_true", help="a 2 x 2 grid and one seed")
    args = ap.parse_args(argv)

    spec = sweep.Sweep.load(SPEC)
    if args.quick:
        spec = dataclasses.replace(spec, grid={"alpha": [0.0, 0.1], "rho": [0.0, 0.1]}, seeds=1)
    elif args.seeds is not None:
        spec = dataclasses.replace(spec, seeds=args.seeds)
    print(spec.summary())
    result = sweep.run(spec, args.out, workers=args.workers)
    print(result.summary())

    table = sweep.load_table(args.out, sweep=spec)          # this sweep's cells, in grid order
    print(table.groupby(["model", "category"]).size().to_string())
    fig, data = uniqueness_figure(table)
    fig.savefig(args.figure, dpi=110, metadata={"Software": None})
    Path(args.figure).with_suffix(".json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"figure: {args.figure} (data: {Path(args.figure).with_suffix('.json')})")


if __name__ == "__main__":          # Dask starts worker processes by spawning: keep this guard
    main()
