"""Compare two JSON results (files or directories of ``*.json``) field by field.

    python -m benchmarks.compare_json OLD NEW [--rtol 1e-9] [--ignore timings,seconds]

Strings, booleans, integers, nulls and the structure must be identical; floats may differ by at
most ``rtol`` relative to the larger magnitude (or ``atol`` absolutely; both default to rounding
level). Keys containing an ``--ignore`` word (timings by default) are skipped. Prints every
difference beyond that (path, old, new) and, per file, the largest relative difference among the
floats that agree, then exits 1 if anything differed. Used to check that a change of kernels
leaves every verdict and every figure's data the same up to rounding.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

IGNORE = ("timing", "seconds", "elapsed", "time_s", "wall")


def _is_float(x) -> bool:
    return isinstance(x, float) and not isinstance(x, bool)


def compare(old, new, rtol: float, atol: float, ignore: tuple[str, ...], path: str = "$"):
    """(differences, largest relative float difference among the agreeing ones)."""
    diffs, worst = [], 0.0
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            if any(word in str(key).lower() for word in ignore):
                continue
            if key not in old or key not in new:
                diffs.append((f"{path}.{key}", old.get(key, "<missing>"), new.get(key, "<missing>")))
                continue
            d, w = compare(old[key], new[key], rtol, atol, ignore, f"{path}.{key}")
            diffs += d
            worst = max(worst, w)
        return diffs, worst
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [(f"{path}[len]", len(old), len(new))], 0.0
        for i, (a, b) in enumerate(zip(old, new)):
            d, w = compare(a, b, rtol, atol, ignore, f"{path}[{i}]")
            diffs += d
            worst = max(worst, w)
        return diffs, worst
    if _is_float(old) or _is_float(new):
        if isinstance(old, (int, float)) and isinstance(new, (int, float)) and not isinstance(old, bool) \
                and not isinstance(new, bool):
            a, b = float(old), float(new)
            if a == b or (math.isnan(a) and math.isnan(b)):
                return [], 0.0
            scale = max(abs(a), abs(b))
            rel = abs(a - b) / scale if math.isfinite(scale) and scale > 0 else math.inf
            if rel <= rtol or abs(a - b) <= atol:
                return [], rel if math.isfinite(rel) else 0.0
        return [(path, old, new)], 0.0
    return ([] if old == new else [(path, old, new)]), 0.0


def _files(root: Path) -> dict[str, Path]:
    if root.is_file():
        return {root.name: root}
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*.json"))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--rtol", type=float, default=1e-9, help="relative tolerance on floats (default 1e-9)")
    ap.add_argument("--atol", type=float, default=0.0, help="absolute tolerance on floats (default 0)")
    ap.add_argument("--ignore", default=",".join(IGNORE), help="comma-separated key words to skip")
    ap.add_argument("--max-lines", type=int, default=40, help="differences printed per file")
    args = ap.parse_args(argv)
    ignore = tuple(w.strip().lower() for w in args.ignore.split(",") if w.strip())
    if args.old.is_file() and args.new.is_file():
        old, new = {args.new.name: args.old}, {args.new.name: args.new}
    else:
        old, new = _files(args.old), _files(args.new)
    failed = False
    for name in sorted(set(old) | set(new)):
        if name not in old or name not in new:
            print(f"{name}: only in {'new' if name in new else 'old'}")
            failed = True
            continue
        diffs, worst = compare(json.loads(old[name].read_text()), json.loads(new[name].read_text()),
                               args.rtol, args.atol, ignore)
        status = "identical" if not diffs and worst == 0 else (
            f"equal up to rounding (largest relative float difference {worst:.2g})" if not diffs else
            f"{len(diffs)} difference(s)")
        print(f"{name}: {status}")
        for path, a, b in diffs[: args.max_lines]:
            print(f"  {path}: {str(a)[:100]!s} -> {str(b)[:100]!s}")
        failed |= bool(diffs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
