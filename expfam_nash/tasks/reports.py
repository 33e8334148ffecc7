"""The report tasks: ``prove`` (the symbolic proofs), ``claims`` (the claims register), ``figures``
(the gallery) and ``docs`` (the registry tables)."""
from __future__ import annotations

import json
import sys
import time

from ..core.registry import Arg
from ..core.tasks import TASKS, Task
from .game import JSON

# -- prove, claims ---------------------------------------------------------------------------------
def _import_proofs():
    """The top-level ``proofs`` package: the checkout's, next to this package, or the installed one."""
    import importlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    if (root / "proofs" / "__init__.py").exists() and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        return importlib.import_module("proofs")
    except ImportError:
        raise ValueError("prove: the proofs package is missing; reinstall expfam-nash") from None


def prove_run(options: dict) -> int:
    proofs = _import_proofs()
    names = proofs.PROOFS if options.get("name") is None else [options["name"]]
    unknown = [n for n in names if n not in proofs.PROOFS]
    if unknown:
        raise ValueError(f"name: unknown proof {unknown[0]!r}; expected one of {', '.join(proofs.PROOFS)}")
    failed = [n for n in names if not proofs.run(n)]
    if len(names) > 1:
        print(f"{len(names) - len(failed)} of {len(names)} proofs PASS" + (f"; FAIL: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


TASKS.register("prove", Task(run=prove_run), args=(Arg("name", str, None, "the proof to run (default: all)",
                                                       positional=True, nargs="?"),),
               help="run the symbolic proofs (all, or the one named)")


def claims_run(options: dict) -> int:
    from ..verification.claims import full_register, register_text

    print(json.dumps([c.to_dict() for c in full_register()], indent=1) if options.get("json") else register_text())
    return 0


TASKS.register("claims", Task(run=claims_run), args=(JSON,),
               help="the claims register of THEORY.md section 4 with verdicts and evidence")


# -- figures ---------------------------------------------------------------------------------------
#: options of the figures that take some (each figure's ``args``; tests check they are all here)
FIGURE_OPTIONS = (Arg("runs", str, "runs/introvae", "root of the Soft-IntroVAE benchmark's run directories "
                      "(figures introvae_*)"),)


def figures_run(options: dict) -> int:
    """Every figure it can make; those whose optional extras are missing (checked before any work)
    or whose inputs are absent (e.g. runs not made yet) are skipped and listed at the end."""
    from ..core.files import output_dir
    from ..experiments import FIGURES, MissingInputs, load, missing_extras, write

    load()
    names = options.get("only") or list(FIGURES)
    for name in names:
        FIGURES.get(name)                  # unknown names fail before any work
    skipped = {name: missing_extras(name) for name in names}
    skipped = {name: extras for name, extras in skipped.items() if extras}
    todo = [n for n in names if n not in skipped]
    if not todo:
        raise ValueError(f"only: every figure asked for needs a missing extra ({_needs(skipped)})")
    output_dir(options["out"], "out")
    figure_options = {a.name: options.get(a.name) for a in FIGURE_OPTIONS}
    total, made, absent = time.perf_counter(), 0, {}
    for i, name in enumerate(todo, 1):
        start = time.perf_counter()
        try:
            png, js = write(name, options["out"], seed=options["seed"], **figure_options)
        except MissingInputs as exc:
            absent[name] = str(exc)
            print(f"[{i}/{len(todo)}] {name}: skipped ({exc})", file=sys.stderr, flush=True)
            continue
        made += 1
        missing = json.loads(js.read_text())["data"].get("missing") if js.exists() else None
        print(f"[{i}/{len(todo)}] {name}: {png} + {js.name} in {time.perf_counter() - start:.1f} s"
              + (f"; runs missing, skipped: {'; '.join(missing)}" if missing else ""),
              file=sys.stderr, flush=True)
    print(f"{made} figures in {time.perf_counter() - total:.1f} s", file=sys.stderr)
    if absent and not made and not skipped:
        raise ValueError(f"{next(iter(absent))}: {next(iter(absent.values()))}")
    if absent:
        print(f"skipped {len(absent)} without inputs: " + "; ".join(f"{n} ({why})" for n, why in absent.items()),
              file=sys.stderr)
    if skipped:
        print(f"skipped {len(skipped)}: {_needs(skipped)}", file=sys.stderr)
    return 0


def _needs(skipped: dict) -> str:
    return "; ".join(f"{name} needs the extra {', '.join(repr(e) for e in extras)} "
                     f"(pip install 'expfam-nash[{','.join(extras)}]')" for name, extras in skipped.items())


TASKS.register("figures", Task(run=figures_run),
               args=(Arg("out", str, "figures", "output directory"),
                     Arg("only", str, None, "only these figures", nargs="+"), Arg("seed", int, 0, "seed"),
                     *FIGURE_OPTIONS),
               help="regenerate the figure gallery (NAME.png + NAME.json per figure)")


# -- docs ------------------------------------------------------------------------------------------
def docs_run(options: dict) -> int:
    from pathlib import Path

    from .docs import render

    path, text = Path(options["out"]), render()
    if options.get("check"):
        if not path.exists() or path.read_text() != text:
            raise ValueError(f"docs: {path} is out of date; regenerate it with: expfam-nash docs --out {path}")
        return 0
    path.write_text(text)
    print(f"wrote {path}", file=sys.stderr)
    return 0


TASKS.register("docs", Task(run=docs_run),
               args=(Arg("out", str, "docs/REGISTRIES.md", "the generated tables"),
                     Arg("check", bool, False, "fail if the file differs from what the registries give")),
               help="write the registry tables of the docs (families, lifts, models, solvers, ...)")
