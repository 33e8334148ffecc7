"""``expfam-nash sweep FILE [--scheduler ADDRESS] [--workers N] [--out PATH.parquet]`` runs (or
resumes) the sweep declared in the TOML file FILE; ``expfam-nash sweep --show PATH`` summarises a
table. Wiring: ``configure(parser)`` adds the options to a (sub-)parser, ``run(args)`` executes
them and returns the exit status (bad input raises ValueError / ImportError for the caller's
one-line error; an interrupted sweep returns 130)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return v


def configure(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("file", nargs="?", default=None, help="sweep file (TOML: task, [fixed], [grid], ...)")
    parser.add_argument("--out", default=None, help="table (.parquet or .csv; default: FILE with .parquet); "
                        "rerunning with the same --out resumes")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="address of an existing Dask scheduler (default: a local cluster)")
    parser.add_argument("--workers", type=_positive_int, default=None,
                        help="worker processes of the local cluster (default: the cores available)")
    parser.add_argument("--batch-size", type=_positive_int, default=None,
                        help="cells per Dask task (default: adaptive, about 0.25 s of work)")
    parser.add_argument("--retry-errors", action="store_true", help="recompute cells whose row holds an error")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--show", metavar="PATH", default=None, help="summarise the table at PATH and exit")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
    return parser


def run(args: argparse.Namespace) -> int:
    from .execute import run as run_sweep
    from .show import summarise
    from .spec import Sweep

    if args.show is not None:
        if args.file is not None:
            raise ValueError("file: give either a sweep FILE or --show PATH, not both")
        from . import _extras
        _extras.require("sweep --show")
        res = summarise(args.show)
    else:
        if args.file is None:
            raise ValueError("file: expected a sweep file (TOML) or --show PATH")
        spec = Sweep.load(args.file)
        out = args.out or str(Path(args.file).with_suffix(".parquet"))
        res = run_sweep(spec, out, scheduler=args.scheduler, workers=args.workers, batch_size=args.batch_size,
                        progress=not args.no_progress, retry_errors=args.retry_errors)
    print(json.dumps(res.to_dict()) if args.json else res.summary())
    if getattr(res, "interrupted", False):
        kept = f"finished cells are in {res.out}" if res.skipped + res.computed else "no cell had finished"
        print(f"expfam-nash: sweep interrupted; {kept}; rerun the same command to resume", file=sys.stderr)
        return 130
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m expfam_nash.sweep.cli``), with the CLI's one-line errors."""
    parser = configure(argparse.ArgumentParser(prog="expfam-nash sweep"))
    try:
        return run(parser.parse_args(argv))
    except (ValueError, ImportError) as exc:
        print(f"expfam-nash: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
