"""The figure registry: ``FIGURES[name].obj(seed, **options) -> (Figure, data)``; ``data`` holds the
numbers behind the figure (JSON-ready). ``write(name, out, seed)`` saves NAME.png and NAME.json. Every
figure is deterministic in ``seed`` and its inputs (all randomness comes from the seed): NAME.json has
the same bytes for the same seed. Wall-clock times, which are not, go under the data's key
``"timing"`` and are written to NAME.timing.json instead. ``meta["minutes"]`` marks the slow ones
(they train VAEs); ``entry.extras`` names the optional extras a figure needs; ``entry.args`` the
options it takes (e.g. ``runs``, the root of the run directories it reads), which the ``figures``
task passes on.

Figures registered by layers above this one (the sweep layer's ``uniqueness_map``, computed as a
Dask sweep) live in the modules named in :data:`FIGURE_MODULES`, imported by :func:`load` (plugins
named by string, as ``expfam_nash.tasks.TASK_MODULES``). A figure whose inputs are absent raises
:class:`MissingInputs`; one drawn from some of its inputs lists the others under ``data["missing"]``.
"""
from __future__ import annotations

import importlib
import json
import warnings
from pathlib import Path

from ..core.files import output_dir, write_text
from ..core.jsonable import jsonable
from ..core.registry import Registry

FIGURES: Registry = Registry("figure")

#: modules above this layer that register figures (imported by :func:`load`)
FIGURE_MODULES = ("expfam_nash.sweep.figures",)


class MissingInputs(ValueError):
    """A figure's inputs (e.g. finished run directories) are absent: the gallery skips it and says so."""


def load() -> Registry:
    """Import the figure modules of :data:`FIGURE_MODULES` (those whose dependencies are installed:
    a missing optional extra leaves its figures out); returns ``FIGURES``."""
    for module in FIGURE_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:
            continue
    return FIGURES


def make(name: str, seed: int = 0, **options):
    """(Figure, JSON-ready data) for one registered figure (wall-clock times under
    ``data["data"]["timing"]``, if the figure measures any). ``options``: those the figure takes
    (its ``args``) are passed on, the others ignored."""
    entry = load().get(name)
    taken = {a.name: options[a.name] for a in entry.args if options.get(a.name) is not None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fig, data = entry.obj(seed, **taken)
    return fig, jsonable({"figure": name, "seed": seed, **taken, "data": data})


def missing_extras(name: str) -> list[str]:
    """The optional extras figure ``name`` needs that are not installed (see ``EXTRA_MODULES``)."""
    return [extra for extra in load().get(name).extras if not _importable(EXTRA_MODULES.get(extra, extra))]


#: the module that shows an optional extra is installed
EXTRA_MODULES = {"digits": "sklearn", "certify": "flint", "sweep": "distributed", "introvae": "pandas",
                 "images": "mlxtend"}


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def write(name: str, out, seed: int = 0, **options) -> tuple[Path, Path]:
    """Save ``out/NAME.png`` and ``out/NAME.json`` (and ``NAME.timing.json`` for a figure that
    measures wall-clock times); return the PNG and JSON paths."""
    out = output_dir(out, "out")
    fig, data = make(name, seed, **options)
    timing = data["data"].pop("timing", None) if isinstance(data.get("data"), dict) else None
    png, js = out / f"{name}.png", out / f"{name}.json"
    fig.savefig(png, dpi=110, metadata={"Software": None})
    write_text(js, json.dumps(data, indent=1, sort_keys=True) + "\n")
    if timing is not None:
        write_text(out / f"{name}.timing.json", json.dumps(timing, indent=1, sort_keys=True) + "\n")
    return png, js
