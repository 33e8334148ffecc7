"""``expfam-nash collapse vae|cvae|hvae [options]``: closed form, numerical optimum, optional training.

Data (one of):
  --moments FILE.npz    arrays cxx (vae, hvae) or cxx, cxy, cyy (cvae) -- or samples x (and y)
  --synthetic SPEC      vae/hvae: gaussian:L1,L2,...[:N] (diagonal second moment; N samples drawn when given)
                        cvae: correlation:RHO:DIM[:N] (y ~ N(0, I), x = RHO y + sqrt(1 - RHO^2) n)
  --dataset NAME        mnist | digits (pixels in [0, 1]; cvae: x = bottom-left quarter, y = the rest)

``--json`` prints one object (``CollapseResult.to_dict``): per-mode theory, numerical optimum, trained
values and the collapse verdicts. Bad input: one line on stderr, exit status 2.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

__all__ = ["configure", "run", "DEFAULT_SYNTHETIC"]

DEFAULT_SYNTHETIC = {"vae": "gaussian:4,2,1,0.5,0.1", "cvae": "correlation:0.5:4", "hvae": "gaussian:4,2,1,0.5,0.1"}


def _variance(text: str):
    if text == "learned":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'learned' or a number > 0, got {text!r}") from None


def _pair(text: str) -> tuple[int, int]:
    try:
        a, b = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected D1,D2 (two integers), got {text!r}") from None
    return a, b


def _common(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument("--moments", metavar="FILE.npz", help="second moments (or samples x, y) in an .npz file")
    src.add_argument("--synthetic", metavar="SPEC", help="gaussian:L1,L2,...[:N] (vae, hvae) | correlation:RHO:DIM[:N] (cvae)")
    src.add_argument("--dataset", choices=("mnist", "digits"), help="image data (needs the 'images' extra)")
    p.add_argument("--eta-enc", type=float, default=1.0, help="prior std (default 1)")
    p.add_argument("--eta-dec", type=float, default=1.0, help="decoder std (default 1)")
    p.add_argument("--objective", default="elbo", help="elbo (symmetric: a later issue)")
    p.add_argument("--starts", type=int, default=8, help="random starts of the numerical optimum (0: skip; default 8)")
    p.add_argument("--maxiter", type=int, default=20000, help="L-BFGS iterations per start (images: a few hundred)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train", action="store_true", help="also train by Adam on minibatches and compare")
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``vae``, ``cvae``, ``hvae`` sub-commands to ``parser`` (the ``collapse`` sub-parser)."""
    sub = parser.add_subparsers(dest="collapse_model", required=True)
    for name, text in (("vae", "linear VAE"), ("cvae", "linear conditional VAE"), ("hvae", "two-level linear HVAE")):
        p = sub.add_parser(name, help=f"posterior collapse of the {text}")
        _common(p)
        if name == "hvae":
            p.add_argument("--latent-dims", type=_pair, default=(2, 2), help="D1,D2 (default 2,2)")
            p.add_argument("--beta1", type=float, default=1.0)
            p.add_argument("--beta2", type=float, default=1.0)
            p.add_argument("--sigma1", type=float, default=0.5, help="level-1 encoder std (default 0.5)")
            p.add_argument("--sigma2", type=_variance, default="learned", help="'learned' or the level-2 encoder std")
        else:
            p.add_argument("--latent-dim", type=int, default=2)
            p.add_argument("--beta", type=float, default=1.0)
            p.add_argument("--encoder-var", type=_variance, default="learned",
                           help="'learned' or the fixed encoder variance")


def _gaussian(spec: str, seed: int):
    from .moments import samples

    parts = spec.split(":")
    try:
        eig = np.array([float(v) for v in parts[1].split(",") if v.strip()])
        n = int(parts[2]) if len(parts) > 2 else None
    except (ValueError, IndexError):
        raise ValueError(f"synthetic: expected gaussian:L1,L2,...[:N], got {spec!r}") from None
    if eig.size == 0 or np.any(eig < 0) or not np.all(np.isfinite(eig)):
        raise ValueError(f"synthetic: eigenvalues must be finite and >= 0, got {spec!r}")
    if n is None:
        return np.diag(eig)
    return samples(np.random.default_rng(seed).standard_normal((n, eig.size)) * np.sqrt(eig))


def _correlation(spec: str, seed: int):
    from .moments import samples

    parts = spec.split(":")
    try:
        rho, dim = float(parts[1]), int(parts[2])
        n = int(parts[3]) if len(parts) > 3 else None
    except (ValueError, IndexError):
        raise ValueError(f"synthetic: expected correlation:RHO:DIM[:N], got {spec!r}") from None
    if not 0 <= rho <= 1 or dim < 1:
        raise ValueError(f"synthetic: expected 0 <= RHO <= 1 and DIM >= 1, got {spec!r}")
    if n is None:
        eye = np.eye(dim)
        return eye, rho * eye, eye
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((n, dim))
    return samples(rho * y + np.sqrt(1 - rho ** 2) * rng.standard_normal((n, dim)), y)


def _load_npz(path: str, model: str):
    from .moments import samples

    try:
        data = np.load(path)
    except (OSError, ValueError) as exc:
        raise ValueError(f"moments: cannot read {path!r} ({exc})") from None
    keys = set(data.files)
    if model == "cvae":
        if {"cxx", "cxy", "cyy"} <= keys:
            return data["cxx"], data["cxy"], data["cyy"]
        if {"x", "y"} <= keys:
            return samples(data["x"], data["y"])
        raise ValueError(f"moments: {path!r} needs arrays cxx, cxy, cyy or x, y (has {', '.join(sorted(keys))})")
    if "cxx" in keys:
        return data["cxx"]
    if "x" in keys:
        return samples(data["x"])
    raise ValueError(f"moments: {path!r} needs an array cxx or x (has {', '.join(sorted(keys))})")


def _data(args):
    from .images import load_images, quarters
    from .moments import samples

    model = args.collapse_model
    if args.moments:
        return _load_npz(args.moments, model)
    if args.dataset:
        images, _ = load_images(args.dataset)
        if model == "cvae":
            return samples(*quarters(images))
        return samples(images.reshape(images.shape[0], -1))
    spec = args.synthetic or DEFAULT_SYNTHETIC[model]
    kind = spec.split(":")[0]
    if model == "cvae" and kind == "correlation":
        return _correlation(spec, args.seed)
    if model != "cvae" and kind == "gaussian":
        return _gaussian(spec, args.seed)
    raise ValueError(f"synthetic: {model} expects {DEFAULT_SYNTHETIC[model].split(':')[0]}:..., got {spec!r}")


def _solve(args):
    from . import api
    from .training import TrainSpec

    api.check_objective(args.objective)
    spec = TrainSpec(epochs=args.epochs, batch=args.batch, lr=args.lr, seed=args.seed) if args.train else None
    data = _data(args)
    common = dict(eta_enc=args.eta_enc, eta_dec=args.eta_dec, starts=args.starts, seed=args.seed, train=spec,
                  maxiter=args.maxiter)
    if args.collapse_model == "vae":
        return api.vae(data, args.latent_dim, args.beta, encoder_var=args.encoder_var, **common)
    if args.collapse_model == "cvae":
        cxx, cxy, cyy = data if isinstance(data, tuple) else (data, None, None)
        return api.cvae(cxx, cxy, cyy, args.latent_dim, args.beta, encoder_var=args.encoder_var, **common)
    return api.hvae(data, args.latent_dims, args.sigma1, args.sigma2, args.beta1, args.beta2, **common)


def run(args: argparse.Namespace) -> int:
    """Solve and print; 0 on success, 2 (one line on stderr) on bad input or a missing extra."""
    try:
        result = _solve(args)
    except (ValueError, ImportError) as exc:
        print(f"expfam-nash: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_dict()) if args.json else result.summary())
    return 0
