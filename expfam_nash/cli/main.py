"""Command line: ``expfam-nash solve|verify [MODEL] [options]``, ``expfam-nash prove [NAME]``,
``expfam-nash claims [--json]``, ``expfam-nash figures [--out DIR] [--only NAME ...] [--seed S]``,
``expfam-nash train --dataset SPEC --model SPEC --method symmetric|elbo --steps N --seed S --out DIR``
and ``expfam-nash train --resume DIR``.

Every failure caused by input is one line on stderr and exit status 2 (never a traceback);
Ctrl-C exits with status 130.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from .. import models
from ..dynamics.solve import METHODS, solve


def _floats(text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def _variance(text: str):
    if text == "learned":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a variance > 0 or 'learned', got {text!r}") from None


def _flag(p, defaults, *names, value, **kw):
    p.add_argument(*names, **kw, **({"default": value} if defaults else {}))


def _solve_options(defaults: bool) -> argparse.ArgumentParser:
    """Options of ``solve``, accepted before and after MODEL (defaults set once, at the top)."""
    p = argparse.ArgumentParser(add_help=False, argument_default=None if defaults else argparse.SUPPRESS)
    _flag(p, defaults, "--method", choices=METHODS, value="auto")
    _common_options(p, defaults)
    return p


def _verify_options(defaults: bool) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False, argument_default=None if defaults else argparse.SUPPRESS)
    _flag(p, defaults, "--starts", type=int, value=32, help="number of starts (default 32)")
    _common_options(p, defaults)
    return p


def _common_options(p, defaults: bool) -> None:
    _flag(p, defaults, "--seed", type=int, value=0)
    _flag(p, defaults, "--tol", type=float, value=1e-10, help="residual tolerance (default 1e-10)")
    _flag(p, defaults, "--max-steps", type=int, value=20000)
    _flag(p, defaults, "--json", action="store_true", value=False, help="print one JSON object instead of a summary")
    _flag(p, defaults, "--progress", action="store_true", value=False, help="show progress on stderr")


def _add_model_parsers(sub, options: argparse.ArgumentParser) -> None:
    common = [options]
    lg = sub.add_parser("linear-gaussian", parents=common,
                        help="Gaussian decoder and encoder with affine lifts, prior N(0, I)")
    lg.add_argument("--eigenvalues", type=_floats, default=[3.0, 1.0], help="data covariance eigenvalues (default 3,1)")
    lg.add_argument("--latent-dim", type=int, default=1)
    lg.add_argument("--decoder-var", type=_variance, default=0.5, help="variance > 0 or 'learned' (default 0.5)")
    lg.add_argument("--encoder-var", type=_variance, default=0.8, help="variance > 0 or 'learned' (default 0.8)")
    lg.add_argument("--l2", type=float, default=0.0)
    be = sub.add_parser("bernoulli", parents=common, help="Bernoulli decoder and encoder with affine lifts, uniform prior on bits")
    be.add_argument("--data", default="bars:3",
                    help="bars:N[:P] | independent:p1,p2,... | random:D:SEED[:N] | file.npz (default bars:3)")
    be.add_argument("--latent-dim", type=int, default=3)
    be.add_argument("--l2", type=float, default=0.0)
    ta = sub.add_parser("tabular", parents=common, help="categorical pair with one-hot lifts on a joint table")
    ta.add_argument("--joint", default="random:4:3:0", help="random:NX:NZ:SEED | table.npy (default random:4:3:0)")
    ta.add_argument("--labeled-weight", type=float, default=0.0)
    ta.add_argument("--l2", type=float, default=0.0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="expfam-nash", description="Symmetric equilibrium learning of lifted "
                                     "exponential-family encoder/decoder pairs: solve, certify, report.")
    cmds = parser.add_subparsers(dest="command", required=True)
    sp = cmds.add_parser("solve", parents=[_solve_options(defaults=True)],
                         help="find an equilibrium and certify it (default model: linear-gaussian)")
    _add_model_parsers(sp.add_subparsers(dest="model"), _solve_options(defaults=False))
    vp = cmds.add_parser("verify", parents=[_verify_options(defaults=True)],
                         help="solve from many starts; classes up to symmetry, uniqueness, stability, certificates")
    _add_model_parsers(vp.add_subparsers(dest="model"), _verify_options(defaults=False))
    pp = cmds.add_parser("prove", help="run the symbolic proofs (all, or the one named)")
    pp.add_argument("name", nargs="?", default=None)
    cp = cmds.add_parser("claims", help="the claims register of THEORY.md section 4 with verdicts and evidence")
    cp.add_argument("--json", action="store_true")
    fp = cmds.add_parser("figures", help="regenerate the figure gallery (NAME.png + NAME.json per figure)")
    fp.add_argument("--out", default="figures", help="output directory (default: ./figures)")
    fp.add_argument("--only", nargs="+", metavar="NAME", default=None, help="only these figures")
    fp.add_argument("--seed", type=int, default=0)
    _add_train_parser(cmds)
    from ..collapse import cli as collapse_cli
    collapse_cli.configure(cmds.add_parser("collapse", help="posterior collapse of linear VAE / CVAE / HVAE: closed "
                                            "form, numerical optimum, training, verdicts"))
    return parser


def _add_train_parser(cmds) -> None:
    from ..neural.datasets import DATASETS
    from ..neural.train import MODEL_SPECS, TrainConfig

    d = TrainConfig()
    tp = cmds.add_parser("train", help="train a neural VAE (NumPy + Numba, no torch) by symmetric learning or the ELBO")
    tp.add_argument("--dataset", default=d.dataset, help=f"{' | '.join(DATASETS)} (default {d.dataset})")
    tp.add_argument("--model", default=d.model, help=f"{' | '.join(MODEL_SPECS)} (default {d.model})")
    tp.add_argument("--method", choices=["symmetric", "elbo"], default=d.method)
    tp.add_argument("--steps", type=int, default=None, help=f"total training steps (default {d.steps}; "
                    "with --resume, default: the saved total)")
    tp.add_argument("--seed", type=int, default=d.seed)
    tp.add_argument("--out", default=None, help="run directory (default runs/DATASET-MODEL-METHOD-sSEED)")
    tp.add_argument("--resume", metavar="DIR", default=None, help="continue the run in DIR from its checkpoint")
    tp.add_argument("--batch", type=int, default=d.batch)
    tp.add_argument("--lr", type=float, default=d.lr)
    tp.add_argument("--schedule", choices=["cosine", "constant"], default=d.schedule, help="learning-rate schedule")
    tp.add_argument("--hidden", type=lambda s: tuple(int(v) for v in s.split(",") if v.strip()), default=d.hidden,
                    help="hidden widths, comma-separated (default 64; '' for none)")
    tp.add_argument("--activation", choices=["tanh", "relu"], default=d.activation)
    tp.add_argument("--labelled", type=float, default=0.0, help="fraction of training labels observed (needs --alpha)")
    tp.add_argument("--alpha", type=float, default=0.0, help="weight of the labelled term")
    tp.add_argument("--decay", type=float, default=0.0, help="L2 weight rho on all parameters")
    tp.add_argument("--data-variance", default="learned", help="real data: 'learned' or a fixed variance")
    tp.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every)
    tp.add_argument("--log-every", type=int, default=d.log_every)
    tp.add_argument("--eval-k", type=int, default=d.eval_K, help="importance samples per test image")
    tp.add_argument("--no-progress", action="store_true")
    tp.add_argument("--no-figures", action="store_true")


def make_game(args: argparse.Namespace):
    model = args.model or "linear-gaussian"
    if model == "linear-gaussian":
        if args.model is None:
            return models.linear_gaussian()
        return models.linear_gaussian(eigenvalues=args.eigenvalues, latent_dim=args.latent_dim,
                                      decoder_var=args.decoder_var, encoder_var=args.encoder_var, l2=args.l2)
    if model == "bernoulli":
        return models.bernoulli(data=args.data, latent_dim=args.latent_dim, l2=args.l2)
    return models.tabular(joint=args.joint, labeled_weight=args.labeled_weight, l2=args.l2)


def _finite(obj):
    """JSON cannot hold NaN or infinity: write them as null."""
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def cmd_solve(args) -> int:
    game = make_game(args)
    result = solve(game, method=args.method, seed=args.seed, tol=args.tol, max_steps=args.max_steps,
                   progress=args.progress)
    if args.json:
        print(json.dumps(_finite(result.to_dict())))
    else:
        print(game.describe())
        print(result.summary())
    return 0


def cmd_verify(args) -> int:
    from ..verification import verify

    game = make_game(args)
    verdict = verify(game, starts=args.starts, seed=args.seed, tol=args.tol, max_steps=args.max_steps)
    print(json.dumps(_finite(verdict.to_dict())) if args.json else verdict.summary())
    return 0


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


def cmd_prove(args) -> int:
    proofs = _import_proofs()
    names = proofs.PROOFS if args.name is None else [args.name]
    unknown = [n for n in names if n not in proofs.PROOFS]
    if unknown:
        raise ValueError(f"name: unknown proof {unknown[0]!r}; expected one of {', '.join(proofs.PROOFS)}")
    failed = [n for n in names if not proofs.run(n)]
    if len(names) > 1:
        print(f"{len(names) - len(failed)} of {len(names)} proofs PASS" + (f"; FAIL: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def cmd_claims(args) -> int:
    from ..verification.claims import REGISTER, register_text

    print(json.dumps([c.to_dict() for c in REGISTER], indent=1) if args.json else register_text())
    return 0


def cmd_figures(args) -> int:
    import time

    from ..plot.gallery import FIGURES, write

    names = args.only or list(FIGURES)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(f"only: unknown figure {unknown[0]!r}; expected one of {', '.join(FIGURES)}")
    total = time.perf_counter()
    for i, name in enumerate(names, 1):
        start = time.perf_counter()
        png, js = write(name, args.out, seed=args.seed)
        print(f"[{i}/{len(names)}] {name}: {png} + {js.name} in {time.perf_counter() - start:.1f} s",
              file=sys.stderr, flush=True)
    print(f"{len(names)} figures in {time.perf_counter() - total:.1f} s", file=sys.stderr)
    return 0


def cmd_train(args) -> int:
    from ..neural.train import TrainConfig, resume, train

    if args.resume:
        result = resume(args.resume, steps=args.steps, progress=not args.no_progress, figures=not args.no_figures)
    else:
        var = args.data_variance if args.data_variance == "learned" else float(args.data_variance)
        config = TrainConfig(dataset=args.dataset, model=args.model, method=args.method,
                             steps=TrainConfig.steps if args.steps is None else args.steps, seed=args.seed,
                             batch=args.batch, lr=args.lr, schedule=args.schedule, hidden=args.hidden, activation=args.activation,
                             labelled=args.labelled, alpha=args.alpha, decay=args.decay, data_variance=var,
                             checkpoint_every=args.checkpoint_every, log_every=args.log_every, eval_K=args.eval_k)
        out = args.out or f"runs/{args.dataset}-{args.model}-{args.method}-s{args.seed}".replace(":", "_")
        result = train(config, out, progress=not args.no_progress, figures=not args.no_figures)
    print(result.summary())
    if result.interrupted:
        print(f"expfam-nash: interrupted at step {result.steps}; continue with: expfam-nash train --resume {result.out}",
              file=sys.stderr)
        return 130
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "collapse":
            from ..collapse import cli as collapse_cli
            return collapse_cli.run(args)
        return {"solve": cmd_solve, "verify": cmd_verify, "prove": cmd_prove, "claims": cmd_claims,
                "figures": cmd_figures, "train": cmd_train}[args.command](args)
    except (ValueError, ImportError) as exc:   # ImportError: an optional extra is missing (e.g. digits)
        print(f"expfam-nash: error: {exc}", file=sys.stderr)
        return 2
    except FloatingPointError as exc:           # a diverged training run (its last good checkpoint is kept)
        print(f"expfam-nash: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("expfam-nash: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:      # output piped into e.g. `head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
