"""The figure registry: ``FIGURES[name].obj(seed) -> (Figure, data)``; ``data`` holds the numbers
behind the figure (JSON-ready). ``write(name, out, seed)`` saves NAME.png and NAME.json. Every
figure is deterministic in ``seed`` (all randomness comes from it); ``meta["minutes"]`` marks the
slow ones (they train VAEs)."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

from ..core.jsonable import jsonable
from ..core.registry import Registry

FIGURES: Registry = Registry("figure")


def make(name: str, seed: int = 0):
    """(Figure, JSON-ready data) for one registered figure."""
    entry = FIGURES.get(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fig, data = entry.obj(seed)
    return fig, jsonable({"figure": name, "seed": seed, "data": data})


def write(name: str, out, seed: int = 0) -> tuple[Path, Path]:
    """Save ``out/NAME.png`` and ``out/NAME.json``; return both paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fig, data = make(name, seed)
    png, js = out / f"{name}.png", out / f"{name}.json"
    fig.savefig(png, dpi=110, metadata={"Software": None})
    js.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return png, js
