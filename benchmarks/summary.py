"""Markdown tables of the latest full results: ``python -m benchmarks.summary [--quick]``
(reads benchmarks/results/*.json; used to fill benchmarks/README.md)."""
from __future__ import annotations

import json
import sys

from ._common import RESULTS


def _load(name, quick):
    path = RESULTS / f"{name}{'_quick' if quick else ''}.json"
    return json.loads(path.read_text()) if path.exists() else None


def main(argv=None) -> int:
    quick = "--quick" in (argv if argv is not None else sys.argv[1:])
    out = []
    eg = _load("exact_gradient", quick)
    if eg:
        r, m = eg["results"], eg["machine"]
        out.append(f"Machine: {m['cpu_model']} ({m['logical_cores']} logical cores, flags {', '.join(m['cpu_flags'])}), "
                   f"{m['memory_gb']} GB, Python {m['python']}, NumPy {m['numpy']} ({m.get('numpy_blas', '?')}), "
                   f"SciPy {m['scipy']}, Numba {m['numba']}; run {eg['timestamp']}, other processes' CPU use "
                   f"during measurements <= {eg.get('max_foreign_cpu_cores', float('nan')):.2f} cores.\n")
        fm = r["all_cores"]["flop_model"]
        out.append(f"**exact_gradient** ({fm['flops'] / 1e9:.3f} GFLOP by the flop model, "
                   f"{fm['exps'] / 1e6:.1f} M exponentials)\n")
        out.append("| threads | configuration | median ms | min ms | effective GFLOP/s | GEMM GFLOP/s | of GEMM | vs NumPy | rel. error |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for label in ("all_cores", "one_thread"):
            x = r[label]
            thr = x["threads"]["numba_threads"]
            for name, tt, err in (("`game.gradient`", x["gradient"], x["rel_error_vs_numpy"]),):
                out.append(f"| {thr} | {name} | {tt['median'] * 1e3:.1f} | {tt['min'] * 1e3:.1f} | "
                           f"{tt['effective_gflops']:.1f} | {x['matmul']['gflops_best']:.1f} | "
                           f"{100 * tt['fraction_of_matmul']:.0f}% | {tt['ratio_vs_numpy']:.1f}x | {err:.1e} |")
            out.append(f"| {thr} | NumPy reference | {x['numpy']['median'] * 1e3:.0f} | {x['numpy']['min'] * 1e3:.0f} | "
                       f"{x['numpy']['effective_gflops']:.1f} | {x['matmul']['gflops_best']:.1f} | | 1.0x | |")
        me, mn = r["memory"]["engine"], r["memory"]["numpy"]
        out.append(f"\nMemory ({me['method']}): one `game.gradient` raises the RSS by **{me['evaluation_mb']:.1f} MB** "
                   f"(from {me['rss_before_mb']:.0f} MB after imports, JIT loading and building the game, to a peak of "
                   f"{me['peak_rss_mb']:.0f} MB; NumPy allocations traced by tracemalloc peak at "
                   f"{me['tracemalloc_peak_mb']:.1f} MB). The NumPy reference raises it by {mn['evaluation_mb']:.0f} MB.\n")
        ti = r.get("thread_interference")
        if ti:
            out.append(f"Thread interference ({ti['game']}, gradient median): " + "; ".join(
                f"{k}: {v['median'] * 1e3:.2f} ms" for k, v in ti["configurations"].items()) + ".\n")
        for label, r in eg["results"].get("jax_peer", {}).items():
            if r.get("jax") is None:
                out.append(f"JAX peer ({label.replace('_', ' ')}): {r.get('skip', 'skipped')}.\n")
                continue
            out.append(f"JAX peer ({label.replace('_', ' ')}, {r['game']}): `game.gradient` "
                       f"{r['expfam_nash']['median'] * 1e3:.2f} ms, `jax.jit` {r['jax']['median'] * 1e3:.2f} ms (JAX "
                       f"{r['jax_version']}): **{r['ratio_jax_over_expfam_nash']:.1f}x** (target 5x), rel. difference "
                       f"{r['rel_error_jax_vs_expfam_nash']:.1e}.\n")
    st = _load("solve_throughput", quick)
    if st:
        for label, x in (("certify=False", st["results"].get("uncertified")), ("certify=True", st["results"]["one_thread"])):
            if x is None:
                continue
            out.append(f"**solve_throughput** (1 thread, {label}): **{x['solves_per_s']:.0f} solves/s** over {x['n']} "
                       f"solves (median {x['median_ms']:.2f} ms, p90 {x['p90_ms']:.2f} ms); converged "
                       f"{100 * x['converged']:.0f}%, converged and stable {100 * x['converged_and_stable']:.0f}%, "
                       f"diverged {100 * x['diverged']:.0f}%.\n")
        if "certified_overhead" in st["results"]:
            out.append(f"Certification adds {100 * st['results']['certified_overhead']:.0f}% to the uncertified solve "
                       f"(targets: >= 1000 uncertified solves/s, certification <= +50%).\n")
        p = st["results"]["profile_50_solves"]
        out.append(f"cProfile of {p['n']} solves ({p['profiled_total_s']:.2f} s), top by own time:\n")
        out.append("| function | calls | own s | cumulative s |\n|---|---|---|---|")
        for e in p["top_tottime"][:10]:
            out.append(f"| `{e['function']}` | {e['ncalls']} | {e['tottime']:.3f} | {e['cumtime']:.3f} |")
        out.append("\nTop by cumulative time (below `solve` itself):\n")
        out.append("| function | calls | own s | cumulative s |\n|---|---|---|---|")
        for e in [e for e in p["top_cumtime"] if "solve_throughput" not in e["function"]][1:11]:
            out.append(f"| `{e['function']}` | {e['ncalls']} | {e['tottime']:.3f} | {e['cumtime']:.3f} |")
        out.append("")
    lg = _load("lg_engine", quick)
    if lg:
        r = lg["results"]
        out.append(f"**lg_engine** (1 thread, microseconds per call from Python; target {r['target_us']:g} us for d <= 8)\n")
        out.append("| d | k | variances | parameters | evaluate | Jacobian | NumPy evaluate | NumPy Jacobian |")
        out.append("|---|---|---|---|---|---|---|---|")
        for q in r["one_thread"]["rows"]:
            out.append(f"| {q['d']} | {q['k']} | {q['variances']} | {q['parameters']} | {q['compiled_evaluate_us']:.1f} | "
                       f"{q['compiled_jacobian_us']:.1f} | {q['numpy_evaluate_us']:.0f} | {q['numpy_jacobian_us']:.0f} |")
        out.append("")
    sc = _load("scaling", quick)
    if sc:
        g, s, f = sc["results"]["gradient"], sc["results"]["solve"], sc["results"]["exponents"]
        out.append("**scaling** (gradient: all cores; solve: 1 thread; medians in ms)\n")
        out.append("| sweep | d | k | N | \\|X\\|\\|Z\\| | path / converged | ms |\n|---|---|---|---|---|---|---|")
        for sweep in ("vs_d", "vs_k", "vs_N"):
            for q in g[sweep]:
                out.append(f"| gradient {sweep} | {q['d']} | {q['k']} | {q['N']} | 2^{q['d'] + q['k']} | {q['path']} | "
                           f"{q['median_s'] * 1e3:.2f} |")
        for sweep in ("vs_d", "vs_k"):
            for q in s[sweep]:
                out.append(f"| solve {sweep} | {q['d']} | {q['k']} | {q['N']} | 2^{q['d'] + q['k']} | "
                           f"{100 * q['converged']:.0f}% | {q['median_s'] * 1e3:.2f} |")
        out.append("\nLog-log slopes: " + ", ".join(f"{k} = {v:.2f}" for k, v in f.items()) + ".")
        a = sc["results"].get("gradient_vs_N_affine")
        if a:
            out.append(f"Gradient vs N (d = 14, k = 8): {a['intercept_ms']:.2f} ms + {a['per_data_point_us']:.2f} us "
                       f"per data point ({a['per_pair_ns']:.1f} ns per decoder (x, z) pair).")
    vt = _load("verify_time", quick)
    if vt:
        r = vt["results"]
        out.append(f"\n**verify_time** (1 thread; `{r['game']}`; target {r['target_s']:g} s)\n")
        out.append("| rho | median s | min s | runs | verdict |")
        out.append("|---|---|---|---|---|")
        for level in ("0.1", "0"):
            x = r.get(f"rho={level}") or r[f"l2={level}"]      # results older than the rename say l2
            v = x["verdicts"][0]
            out.append(f"| {x.get('rho', x.get('l2')):g} | {x['median_s']:.3f} | {x['seconds'][0]:.3f} | {len(x['seconds'])} | "
                       f"unique {v['unique']}, {v['classes']} classes, escaped {v['escaped']}, "
                       f"not converged {v['not_converged']} |")
    for path in sorted(RESULTS.glob(f"*{'_quick' if quick else ''}_foreign*.json")):
        res = json.loads(path.read_text())
        if quick != res.get("quick", False):
            continue
        out.append(f"\nForeign load (`{res['command']}`): {res['foreign_load_processes']} busy process(es) running; "
                   f"see `{path.name}`.")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
