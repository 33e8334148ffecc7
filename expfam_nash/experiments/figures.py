"""The figure registry: ``FIGURES[name].obj(seed) -> (Figure, data)``; ``data`` holds the numbers
behind the figure (JSON-ready). ``write(name, out, seed)`` saves NAME.png and NAME.json. Every
figure is deterministic in ``seed`` (all randomness comes from it): NAME.json has the same bytes for
the same seed. Wall-clock times, which are not, go under the data's key ``"timing"`` and are
written to NAME.timing.json instead. ``meta["minutes"]`` marks the slow ones (they train VAEs);
``entry.extras`` names the optional extras a figure needs."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

from ..core.files import output_dir, write_text
from ..core.jsonable import jsonable
from ..core.registry import Registry

FIGURES: Registry = Registry("figure")


def make(name: str, seed: int = 0):
    """(Figure, JSON-ready data) for one registered figure (wall-clock times under
    ``data["data"]["timing"]``, if the figure measures any)."""
    entry = FIGURES.get(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fig, data = entry.obj(seed)
    return fig, jsonable({"figure": name, "seed": seed, "data": data})


def missing_extras(name: str) -> list[str]:
    """The optional extras figure ``name`` needs that are not installed (see ``EXTRA_MODULES``)."""
    return [extra for extra in FIGURES.get(name).extras if not _importable(EXTRA_MODULES.get(extra, extra))]


#: the module that shows an optional extra is installed
EXTRA_MODULES = {"digits": "sklearn", "certify": "flint", "sweep": "distributed"}


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def write(name: str, out, seed: int = 0) -> tuple[Path, Path]:
    """Save ``out/NAME.png`` and ``out/NAME.json`` (and ``NAME.timing.json`` for a figure that
    measures wall-clock times); return the PNG and JSON paths."""
    out = output_dir(out, "out")
    fig, data = make(name, seed)
    timing = data["data"].pop("timing", None) if isinstance(data.get("data"), dict) else None
    png, js = out / f"{name}.png", out / f"{name}.json"
    fig.savefig(png, dpi=110, metadata={"Software": None})
    write_text(js, json.dumps(data, indent=1, sort_keys=True) + "\n")
    if timing is not None:
        write_text(out / f"{name}.timing.json", json.dumps(timing, indent=1, sort_keys=True) + "\n")
    return png, js
