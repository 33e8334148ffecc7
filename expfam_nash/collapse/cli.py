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

import json

import numpy as np

from ..core.parsing import ints, variance
from ..core.registry import Arg, Registry
from ..core.tasks import TASKS, Task

__all__ = ["COLLAPSE_MODELS", "ARGS", "run", "DEFAULT_SYNTHETIC"]

DEFAULT_SYNTHETIC = {"vae": "gaussian:4,2,1,0.5,0.1", "cvae": "correlation:0.5:4", "hvae": "gaussian:4,2,1,0.5,0.1"}

#: options of the ``collapse`` task (before or after the model sub-command)
ARGS = (
    Arg("moments", str, None, "second moments (arrays cxx[, cxy, cyy]) or samples (x[, y]) in an .npz file"),
    Arg("synthetic", str, None, "gaussian:L1,L2,...[:N] (vae, hvae) | correlation:RHO:DIM[:N] (cvae)"),
    Arg("dataset", str, None, "image data (needs the 'images' extra)", choices=("mnist", "digits")),
    Arg("eta_enc", float, 1.0, "prior standard deviation"),
    Arg("eta_dec", float, 1.0, "decoder standard deviation"),
    Arg("objective", str, "elbo", "elbo (the beta-ELBO's global minimum) | symmetric (the game's equilibria)",
        choices=("elbo", "symmetric")),
    Arg("starts", int, 8, "random starts of the numerical optimum, or of solve for the game (0: skip)"),
    Arg("maxiter", int, 20000, "L-BFGS iterations (game: solve steps) per start (images: a few hundred)"),
    Arg("seed", int, 0, "seed of the starts, the synthetic samples and training"),
    Arg("train", bool, False, "also train by Adam on minibatches and compare"),
    Arg("epochs", int, 200, "training epochs"),
    Arg("batch", int, 128, "training minibatch size"),
    Arg("lr", float, 1e-2, "Adam learning rate"),
    Arg("json", bool, False, "print one JSON object instead of a summary", sweep=False),
)

_ONE_LEVEL = (Arg("latent_dim", int, 2, "latent dimension"), Arg("beta", float, 1.0, "KL weight beta"),
              Arg("encoder_var", variance, "learned", "'learned' or the fixed encoder variance"))

#: the models of ``expfam-nash collapse MODEL``: their own options become the sub-command's flags
COLLAPSE_MODELS: Registry = Registry("collapse model")
COLLAPSE_MODELS.register("vae", "vae", args=_ONE_LEVEL, help="posterior collapse of the linear VAE")
COLLAPSE_MODELS.register("cvae", "cvae", args=_ONE_LEVEL, help="posterior collapse of the linear conditional VAE")
COLLAPSE_MODELS.register("hvae", "hvae", help="posterior collapse of the two-level linear HVAE", args=(
    Arg("latent_dims", ints, (2, 2), "D1,D2: latent dimensions of the two levels"),
    Arg("beta1", float, 1.0, "KL weight of level 1"), Arg("beta2", float, 1.0, "KL weight of level 2"),
    Arg("sigma1", float, 0.5, "level-1 encoder standard deviation"),
    Arg("sigma2", variance, "learned", "'learned' or the level-2 encoder standard deviation")))


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
    from ..core.files import read_npz
    from .moments import samples

    data = read_npz(path, "moments")        # one-line ValueError for a missing, empty or damaged file
    keys = set(data)
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


def _data(o: dict):
    from .images import load_images, quarters
    from .moments import samples

    model = o["model"]
    given = [k for k in ("moments", "synthetic", "dataset") if o.get(k) is not None]
    if len(given) > 1:
        raise ValueError(f"{given[1]}: give one data source (--moments, --synthetic or --dataset), not {' and '.join(given)}")
    if o.get("moments"):
        return _load_npz(o["moments"], model)
    if o.get("dataset"):
        images, _ = load_images(o["dataset"])
        if model == "cvae":
            return samples(*quarters(images))
        return samples(images.reshape(images.shape[0], -1))
    spec = o.get("synthetic") or DEFAULT_SYNTHETIC[model]
    kind = spec.split(":")[0]
    if model == "cvae" and kind == "correlation":
        return _correlation(spec, o["seed"])
    if model != "cvae" and kind == "gaussian":
        return _gaussian(spec, o["seed"])
    raise ValueError(f"synthetic: {model} expects {DEFAULT_SYNTHETIC[model].split(':')[0]}:..., got {spec!r}")


def _options(options: dict) -> dict:
    """The task's options with every default filled in (the model's own ones included)."""
    model = options.get("model")
    entry = COLLAPSE_MODELS.get(model)
    out = {a.name: a.default for a in ARGS + entry.args}
    out.update({k: v for k, v in options.items() if v is not None})
    if len(tuple(out.get("latent_dims", (0, 0)))) != 2:
        raise ValueError(f"latent_dims: expected D1,D2 (two integers), got {out['latent_dims']!r}")
    return out


def compute(options: dict):
    """The ``CollapseResult`` of a task's options (model and its arguments included)."""
    from . import api
    from .training import TrainSpec

    o = _options(options)
    api.check_objective(o["objective"])
    if o["train"] and o["objective"] == "symmetric":
        raise ValueError("train: training is for --objective elbo; the symmetric game is solved exactly")
    spec = TrainSpec(epochs=o["epochs"], batch=o["batch"], lr=o["lr"], seed=o["seed"]) if o["train"] else None
    data = _data(o)
    common = dict(eta_enc=o["eta_enc"], eta_dec=o["eta_dec"], starts=o["starts"], seed=o["seed"], train=spec,
                  maxiter=o["maxiter"], objective=o["objective"])
    if o["model"] == "vae":
        return api.vae(data, o["latent_dim"], o["beta"], encoder_var=o["encoder_var"], **common)
    if o["model"] == "cvae":
        cxx, cxy, cyy = data if isinstance(data, tuple) else (data, None, None)
        return api.cvae(cxx, cxy, cyy, o["latent_dim"], o["beta"], encoder_var=o["encoder_var"], **common)
    return api.hvae(data, tuple(o["latent_dims"]), o["sigma1"], o["sigma2"], o["beta1"], o["beta2"], **common)


def run(options: dict) -> int:
    """Solve and print (bad input raises ValueError / ImportError: the CLI's one-line error, status 2)."""
    result = compute(options)
    print(json.dumps(result.to_dict()) if options.get("json") else result.summary())
    return 0


def _row(result) -> dict:
    from .rows import collapse_row

    return collapse_row(result)


TASKS.register("collapse", Task(run=run, compute=compute, models=COLLAPSE_MODELS, row=_row), args=ARGS,
               help="posterior collapse of linear VAE / CVAE / HVAE: closed form, numerical optimum, training, verdicts")
