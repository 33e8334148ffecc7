"""Command line: ``expfam-nash solve [MODEL] [options]``.

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


def _solve_options(defaults: bool) -> argparse.ArgumentParser:
    """Options of ``solve``, accepted before and after MODEL (defaults set once, at the top)."""
    p = argparse.ArgumentParser(add_help=False, argument_default=None if defaults else argparse.SUPPRESS)
    p.add_argument("--method", choices=METHODS, **({"default": "auto"} if defaults else {}))
    p.add_argument("--seed", type=int, **({"default": 0} if defaults else {}))
    p.add_argument("--tol", type=float, help="residual tolerance (default 1e-10)",
                   **({"default": 1e-10} if defaults else {}))
    p.add_argument("--max-steps", type=int, **({"default": 20000} if defaults else {}))
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a summary",
                   **({"default": False} if defaults else {}))
    p.add_argument("--progress", action="store_true", help="show progress on stderr",
                   **({"default": False} if defaults else {}))
    return p


def _add_model_parsers(sub) -> None:
    common = [_solve_options(defaults=False)]
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
    _add_model_parsers(sp.add_subparsers(dest="model"))
    return parser


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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return {"solve": cmd_solve}[args.command](args)
    except ValueError as exc:
        print(f"expfam-nash: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("expfam-nash: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:      # output piped into e.g. `head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
