"""The speed targets of the performance issue, each with its measured value, met or missed, and
for a missed one the measured gap and where the time goes: ``python -m benchmarks.targets``
(reads the latest ``benchmarks/results/<name>.json``, idle, and ``<name>_foreign1.json``, one core
kept busy by another process; ``python -m benchmarks.run`` prints it after a full run);
``python -m benchmarks.targets --readme README.md`` writes it into the README's marked block.

Nothing here measures: every number comes from a result file, and a target whose file is missing
is listed as "not measured".
"""
from __future__ import annotations

import json
import sys

from ._common import RESULTS


def _load(name: str, foreign: bool = False) -> dict | None:
    """The full run's result, else (foreign load only) the quick one's."""
    for tag in (("_foreign1", "_quick_foreign1") if foreign else ("",)):
        path = RESULTS / f"{name}{tag}.json"
        if path.exists():
            return json.loads(path.read_text())
    return None


def _get(doc: dict | None, *keys):
    for k in keys:
        if doc is None:
            return None
        doc = doc.get(k) if isinstance(doc, dict) else None
    return doc


def _solve(res: dict | None) -> tuple[float | None, str]:
    x = _get(res, "results", "uncertified", "solves_per_s")
    prof = _get(res, "results", "profile_50_solves")
    why = ""
    if prof:
        n, total = prof["n"], prof["profiled_total_s"]
        own = {e["function"].split("(")[-1].rstrip(")"): e["tottime"] for e in prof["top_tottime"]}
        cum = {e["function"].split("(")[-1].rstrip(")"): e["cumtime"] for e in prof["top_cumtime"]}
        part = lambda label, sec: f"{label} {1e3 * sec / n:.2f} ms ({100 * sec / total:.0f}%)"
        why = (f"per solve (cProfile, {1e3 * total / n:.2f} ms profiled): "
               + ", ".join(part(lab, sec) for lab, sec in (
                   ("flow kernel", own.get("simultaneous_ascent", 0.0)),
                   ("Newton polish", cum.get("_polish", 0.0)),
                   ("eigvals (stability in floating point)", own.get("eigvals", 0.0))) if sec > 0)
               )
    return x, why


def _verify(res: dict | None) -> tuple[float | None, str]:
    r = _get(res, "results", "rho=0")
    if r is None:
        return None, ""
    b = r.get("breakdown")
    why = "" if not b else "cProfile shares: " + "; ".join(f"{k} {100 * f:.0f}%" for k, f in b["fractions"].items())
    return r["median_s"], why


def _certified(res: dict | None) -> tuple[float | None, str]:
    """The share certification adds to an uncertified solve (issue 10's bound), from the same run."""
    return _get(res, "results", "certified_overhead"), ""


def _verify_at(res: dict | None, key: str) -> tuple[float | None, str]:
    return _get(res, "results", key, "median_s"), ""


def _numpy(res: dict | None, label: str) -> tuple[float | None, str]:
    return _get(res, "results", label, "gradient", "ratio_vs_numpy"), ""


def _threads_gain(res: dict | None) -> tuple[float | None, str]:
    """Speed of the all-cores gradient relative to one thread (median times), issue 9's criterion."""
    one, every = _get(res, "results", "one_thread", "gradient"), _get(res, "results", "all_cores", "gradient")
    if not one or not every:
        return None, ""
    return one["median"] / every["median"], (f"medians {1e3 * every['median']:.1f} ms on all cores, "
                                             f"{1e3 * one['median']:.1f} ms on one thread")


def _lg(res: dict | None, call: str) -> tuple[float | None, str]:
    """The slowest configuration with d <= 8 for ``call`` ("evaluate": utilities and gradient, or "jacobian")."""
    rows = _get(res, "results", "one_thread", "rows")
    if not rows:
        return None, ""
    key = f"compiled_{call}_us"
    q = max((q for q in rows if q["d"] <= 8), key=lambda q: q[key])
    n = q["parameters"]
    why = (f"slowest: d = {q['d']}, k = {q['k']}, {q['variances']} variances, {n} parameters: the Jacobian has "
           f"{n * n} entries, {1e3 * q[key] / (n * n):.1f} ns per entry") if call == "jacobian" else ""
    return q[key], why


def _jax(res: dict | None, label: str) -> tuple[float | None, str]:
    r = _get(res, "results", "jax_peer", label)
    if r is None or r.get("jax") is None:
        return None, _get(r, "skip") or ""
    why = (f"medians {1e3 * r['expfam_nash']['median']:.2f} ms (ours) vs {1e3 * r['jax']['median']:.2f} ms (jax.jit), "
           f"minima {1e3 * r['expfam_nash']['min']:.2f} vs {1e3 * r['jax']['min']:.2f} ms")
    g = _get(res, "results", label)
    if g:
        why += (f"; our d = 16 gradient: {g['gradient']['effective_gflops']:.0f} GFLOP/s by the flop model, "
                f"{100 * g['gradient']['fraction_of_matmul']:.0f}% of a GEMM of the same flop count")
    return r["ratio_jax_over_expfam_nash"], why


def _sweep(res: dict | None) -> tuple[float | None, str]:
    return _get(res, "results", "speedup_2_over_1"), ""


def _learner(res: dict | None, label: str) -> tuple[float | None, str]:
    """The smallest ratio to PyTorch over every configuration and method ("never loses"); the why
    compares how each side gains from all cores over one thread at that configuration."""
    configs = _get(res, "results", label)
    if not configs:
        return None, ""
    worst = None
    for cfg, impls in configs.items():
        for method, r in (_get(impls, "numba", "methods") or {}).items():
            if r.get("vs_torch") is not None and (worst is None or r["vs_torch"] < worst[0]):
                worst = (r["vs_torch"], cfg, method, r["steps_per_s"])
    if worst is None:
        return None, ""
    ratio, cfg, method, rate = worst
    why = f"worst case: {cfg}, {method} learning, {rate:.0f} steps/s"
    one = _get(res, "results", "one_thread", cfg)
    if label == "all_cores" and one:
        ours = rate / one["numba"]["methods"][method]["steps_per_s"]
        theirs = (configs[cfg]["torch"]["methods"][method]["steps_per_s"]
                  / one["torch"]["methods"][method]["steps_per_s"])
        why += (f"; all cores over one thread: ours {ours:.2f}x, PyTorch {theirs:.2f}x (BLAS stays on one thread "
                "for products under about 20 ms of work per thread: core/threads.py)")
    return ratio, why


#: (target, benchmark file, extractor, comparison, threshold, unit)
TARGETS = (
    ("solve, uncertified, 1 thread", "solve_throughput", _solve, ">=", 1000.0, "solves/s"),
    ("time certification adds to a solve", "solve_throughput", _certified, "<=", 0.5, "share"),
    ("linear-Gaussian engine evaluate, d <= 8", "lg_engine", lambda r: _lg(r, "evaluate"), "<=", 30.0, "us"),
    ("linear-Gaussian engine Jacobian, d <= 8", "lg_engine", lambda r: _lg(r, "jacobian"), "<=", 30.0, "us"),
    ("verify at rho = 0.1, 64 starts, 1 thread", "verify_time", lambda r: _verify_at(r, "rho=0.1"), "<", 2.0, "s"),
    ("verify at rho = 0, 64 starts, 1 thread", "verify_time", _verify, "<", 2.0, "s"),
    ("exact gradient vs NumPy reference, d = 16, 1 thread", "exact_gradient", lambda r: _numpy(r, "one_thread"),
     ">=", 5.0, "x"),
    ("exact gradient d = 16, all cores over one thread (speed)", "exact_gradient", _threads_gain, ">=", 0.9, "x"),
    ("exact gradient vs jax.jit, 1 thread", "exact_gradient", lambda r: _jax(r, "one_thread"), ">=", 5.0, "x"),
    ("exact gradient vs jax.jit, all cores", "exact_gradient", lambda r: _jax(r, "all_cores"), ">=", 5.0, "x"),
    ("sweep, 2 workers over 1", "sweep", _sweep, ">=", 1.7, "x"),
    ("neural learner vs PyTorch, 1 thread", "neural", lambda r: _learner(r, "one_thread"), ">=", 1.0, "x"),
    ("neural learner vs PyTorch, all cores", "neural", lambda r: _learner(r, "all_cores"), ">=", 1.0, "x"),
)


def _met(value: float, op: str, threshold: float) -> bool:
    return {">=": value >= threshold, "<=": value <= threshold, "<": value < threshold}[op]


def rows() -> list[dict]:
    """One row per target: idle and busy values, met (idle; ``busy_met`` under the foreign load),
    the idle gap and where the time goes."""
    out = []
    for name, bench, extract, op, threshold, unit in TARGETS:
        idle_doc, busy_doc = _load(bench), _load(bench, foreign=True)
        idle, why = extract(idle_doc)
        busy, busy_why = extract(busy_doc)
        met = None if idle is None else _met(idle, op, threshold)
        gap = None
        if met is False:
            gap = threshold / idle if op == ">=" else idle / threshold
        shown = f"+{100 * threshold:.0f}%" if unit == "share" else f"{threshold:g} {unit}"
        out.append({"target": f"{name} {op} {shown}", "idle": idle, "busy": busy, "unit": unit,
                    "met": met, "busy_met": None if busy is None else _met(busy, op, threshold),
                    "busy_why": busy_why, "gap_factor": gap, "why": why if met is False else "",
                    "measured": _get(idle_doc, "timestamp"), "command": _get(idle_doc, "command")})
    return out


def _fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "not measured"
    if unit == "share":
        return f"+{100 * v:.0f}%"
    return f"{v:.3g} {unit}" if unit != "x" else f"{v:.2f}x"


def markdown() -> str:
    lines = ["| target | idle | one core busy | met | gap | idle run | where the time goes (missed targets) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows():
        met = "not measured" if r["met"] is None else ("yes" if r["met"] else "**no**")
        gap = "" if r["gap_factor"] is None else f"{r['gap_factor']:.2f}x"
        when = (r["measured"] or "")[:10]
        busy = _fmt(r["busy"], r["unit"]) + (" (missed)" if r["busy_met"] is False else "")
        why = r["why"] or (f"one core busy: {r['busy_why']}" if r["busy_met"] is False and r["busy_why"] else "")
        lines.append(f"| {r['target']} | {_fmt(r['idle'], r['unit'])} | {busy} | {met} | {gap} "
                     f"| {when} | {why} |")
    return "\n".join(lines)


BEGIN, END = "<!-- benchmarks.targets: begin -->", "<!-- benchmarks.targets: end -->"


def fill(path: str) -> None:
    """Replace the text between the BEGIN and END markers of ``path`` with the table."""
    from pathlib import Path

    text = Path(path).read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path}: no {BEGIN} ... {END} block to fill")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    Path(path).write_text(f"{head}{BEGIN}\n{markdown()}\n{END}{tail}")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--readme"]:
        fill(argv[1] if len(argv) > 1 else "README.md")
        return 0
    print(markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
