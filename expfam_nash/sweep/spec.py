"""A sweep: a task and a grid of parameter values, declared in Python or TOML.

    task = "verify"
    imports = []                       # optional: modules that register more tasks
    seeds = 3                          # optional: innermost axis seed = 0, 1, 2 (or a list)
    [fixed]                            # one value for every cell
    model = "tabular"
    starts = 4
    [zipped]                           # one axis: these lists vary together (equal lengths)
    joint = ["random:3:3:0", "random:3:3:1"]
    starts = [4, 8]
    [grid]                             # product axes, in the order written
    alpha = [0.0, 0.1, 0.4]
    rho = [0.0, 0.1]
    [[cases]]                          # one axis (outermost) of parameter sets, each with its own keys
    model = "tabular"
    [[cases]]
    model = "bernoulli-anchored"

Cells are the nested loops cases > zipped > grid keys (first written outermost) > seeds, in that
order (the last axis varies fastest); that order is the table's row order. Parameter names are
the CLI's with underscores; aliases (``l2`` for ``rho``, ``labeled_weight`` for ``alpha``) are
renamed to the canonical names. Each cell is resolved completely (task and model defaults
filled in, values parsed by the registries' parsers of ``core.parsing``, the task's ``complete``
applied) and keyed by a SHA-256 hash of (task, stored parameters, package version), where a list
(e.g. ``eigenvalues``) is stored as its comma-separated text: equal keys mean the same computation.
"""
from __future__ import annotations

import importlib
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..core import Entry
from ..core.parsing import stored
from . import tasks as _tasks
from .keys import cell_key
from .keys import version as _version

SECTIONS = ("task", "imports", "fixed", "cases", "zipped", "grid", "seeds")
#: refuse grids larger than this (enumerating them would take minutes before any work starts)
MAX_CELLS = 10_000_000




@dataclass(frozen=True)
class Cell:
    """One run: its position in grid order, its key, its parameters as stored in the table (scalars;
    lists as text) and the values the task computes with (``values``: lists as lists)."""

    index: int
    key: str
    task: str
    params: dict
    values: dict = field(default_factory=dict)


def _check_name(key: Any, where: str) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError(f"{where}: parameter names must be non-empty strings, got {key!r}")
    if "-" in key:
        raise ValueError(f"{where}.{key}: parameter names use underscores (write {key.replace('-', '_')!r})")
    return key


def _table(value: Any, where: str) -> dict:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected a table of parameter = value, got {type(value).__name__}")
    return {_check_name(k, where): v for k, v in value.items()}


def _list(value: Any, where: str) -> list:
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"{where}: expected a non-empty list of values, got {value!r} "
                         "(single values go in [fixed])")
    return list(value)


@dataclass(frozen=True)
class Sweep:
    """A task and its grid (see the module docstring). ``seeds``: an int N (seeds 0..N-1) or a list."""

    task: str
    fixed: Mapping[str, Any] = field(default_factory=dict)
    grid: Mapping[str, Any] = field(default_factory=dict)
    zipped: Mapping[str, Any] = field(default_factory=dict)
    cases: tuple = ()
    seeds: Any = None
    imports: tuple = ()

    def __post_init__(self):
        if not isinstance(self.task, str) or not self.task:
            raise ValueError(f"task: expected the name of a task, got {self.task!r}")
        if isinstance(self.imports, str) or not all(isinstance(m, str) for m in self.imports):
            raise ValueError(f"imports: expected a list of module names, got {self.imports!r}")
        for module in self.imports:
            try:
                importlib.import_module(module)
            except ImportError as exc:
                raise ValueError(f"imports: cannot import {module!r} ({exc})") from None
        _tasks.get(self.task)
        object.__setattr__(self, "fixed", _table(self.fixed, "fixed"))
        object.__setattr__(self, "grid", {k: _list(x, f"grid.{k}") for k, x in _table(self.grid, "grid").items()})
        zipped = {k: _list(x, f"zipped.{k}") for k, x in _table(self.zipped, "zipped").items()}
        if len({len(x) for x in zipped.values()}) > 1:
            raise ValueError("zipped: the lists must have equal lengths, got "
                             + ", ".join(f"{k} {len(x)}" for k, x in zipped.items()))
        object.__setattr__(self, "zipped", zipped)
        if isinstance(self.cases, Mapping) or not isinstance(self.cases, (list, tuple)):
            raise ValueError(f"cases: expected a list of tables, got {type(self.cases).__name__}")
        object.__setattr__(self, "cases", tuple(_table(c, f"cases[{i}]") for i, c in enumerate(self.cases)))
        object.__setattr__(self, "seeds", self._seed_list())
        object.__setattr__(self, "imports", tuple(self.imports))
        if self.size > MAX_CELLS:
            raise ValueError(f"grid: {self.size} cells, more than {MAX_CELLS}; split the sweep")

    def _seed_list(self) -> tuple[int, ...] | None:
        s = self.seeds
        if s is None:
            return None
        if isinstance(s, int) and not isinstance(s, bool):
            if s < 1:
                raise ValueError(f"seeds: expected a count >= 1 or a list of seeds, got {s}")
            return tuple(range(s))
        if not isinstance(s, (list, tuple)) or not s or not all(isinstance(x, int) and not isinstance(x, bool)
                                                                and x >= 0 for x in s):
            raise ValueError(f"seeds: expected a count >= 1 or a non-empty list of integers >= 0, got {s!r}")
        return tuple(s)

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, spec: Mapping) -> "Sweep":
        if not isinstance(spec, Mapping):
            raise ValueError(f"spec: expected a table, got {type(spec).__name__}")
        unknown = [k for k in spec if k not in SECTIONS]
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown section; expected one of {', '.join(SECTIONS)}")
        if "task" not in spec:
            raise ValueError("task: missing; name the task to run (e.g. task = \"verify\")")
        return cls(task=spec["task"], fixed=spec.get("fixed", {}), grid=spec.get("grid", {}),
                   zipped=spec.get("zipped", {}), cases=spec.get("cases", ()), seeds=spec.get("seeds"),
                   imports=spec.get("imports", ()))

    @classmethod
    def from_toml(cls, text: str) -> "Sweep":
        try:
            import tomllib
        except ImportError:        # Python 3.10
            import tomli as tomllib
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"spec: not valid TOML ({exc})") from None
        return cls.from_dict(data)

    @classmethod
    def load(cls, path: str | Path) -> "Sweep":
        p = Path(path)
        if not p.is_file():
            raise ValueError(f"file: {str(path)!r} does not exist")
        return cls.from_toml(p.read_text())

    def to_dict(self) -> dict:
        out: dict = {"task": self.task}
        for name in ("imports", "fixed", "cases", "zipped", "grid"):
            val = getattr(self, name)
            if val:
                out[name] = [dict(c) for c in val] if name == "cases" else (list(val) if name == "imports" else dict(val))
        if self.seeds is not None:
            out["seeds"] = list(self.seeds)
        return out

    def summary(self) -> str:
        axes = [f"{k} ({len(x)})" for k, x in self._axes_for_summary()]
        return f"sweep {self.task}: {self.size} cells" + (f" over {' x '.join(axes)}" if axes else "")

    def _axes_for_summary(self):
        if self.cases:
            yield "cases", self.cases
        if self.zipped:
            yield "+".join(self.zipped), next(iter(self.zipped.values()))
        yield from self.grid.items()
        if self.seeds is not None:
            yield "seed", self.seeds

    @property
    def entry(self) -> Entry:
        return _tasks.get(self.task)

    @property
    def size(self) -> int:
        return math.prod(len(x) for _, x in self._axes_for_summary())

    # -- cells ---------------------------------------------------------------------------------
    def _axes(self) -> list[list[list[tuple[str, str, Any]]]]:
        """Each axis: a list of its values, each value a list of (where, name, value) items."""
        axes = []
        if self.cases:
            axes.append([[(f"cases[{i}].{k}", k, x) for k, x in c.items()] for i, c in enumerate(self.cases)])
        if self.zipped:
            n = len(next(iter(self.zipped.values())))
            axes.append([[(f"zipped.{k}[{i}]", k, x[i]) for k, x in self.zipped.items()] for i in range(n)])
        for k, x in self.grid.items():
            axes.append([[(f"grid.{k}[{i}]", k, val)] for i, val in enumerate(x)])
        if self.seeds is not None:
            axes.append([[(f"seeds[{i}]", "seed", s)] for i, s in enumerate(self.seeds)])
        return axes

    def raw_cells(self) -> Iterator[list[tuple[str, str, Any]]]:
        """The unresolved cells in grid order: lists of (where, name, value)."""
        fixed = [(f"fixed.{k}", k, x) for k, x in self.fixed.items()]
        for combo in itertools.product(*self._axes()):
            yield fixed + [item for part in combo for item in part]

    def cells(self) -> list[Cell]:
        """Every cell resolved and keyed, in grid order (ValueError naming the key on a bad value,
        or when two cells resolve to the same parameters)."""
        entry, version = self.entry, _version()
        out, seen, memo = [], {}, {}
        for i, raw in enumerate(self.raw_cells()):
            values = complete(entry, resolve(entry, raw, memo), raw)
            params = _tasks.stored_params(values)
            key = cell_key(self.task, params, version)
            if key in seen:
                raise ValueError(f"grid: cells {seen[key]} and {i} resolve to the same parameters "
                                 f"({_describe(params)}): a value is repeated, possibly under an alias")
            seen[key] = i
            out.append(Cell(i, key, self.task, params, values))
        return out

    def varied(self) -> list[str]:
        """Canonical names of the parameters the axes set, in axis order."""
        entry, names = self.entry, []
        for axis in self._axes():
            for value in axis:
                for where, name, _ in value:
                    canon = _canonical_name(entry, name, where)
                    if canon not in names:
                        names.append(canon)
        return names


def _describe(params: Mapping) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items())


def _canonical_name(entry: Entry, name: str, where: str) -> str:
    try:
        return entry.arg(name).name
    except ValueError:
        pass
    for _, registry in nested_items(entry):
        for sub in registry.entries():
            for a in sub.args:
                if a.name == name or name in a.aliases:
                    return a.name
    raise ValueError(f"{where}: {name!r} is not an argument of task {entry.name!r} or of any of its "
                     "nested entries")


def nested_items(entry: Entry):
    return _tasks.nested_registries(entry).items()


def _parse(arg, value: Any, where: str) -> Any:
    try:
        out = arg.parse(value)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    if arg.choices is not None and out not in arg.choices:
        raise ValueError(f"{where}: expected one of {', '.join(map(str, arg.choices))}, got {value!r}")
    try:
        stored(out)
    except ValueError:
        raise ValueError(f"{where}: the parser of {arg.name!r} returned {type(out).__name__}, not a scalar "
                         "or a list of numbers") from None
    return out


def complete(entry: Entry, values: dict, raw: list[tuple[str, str, Any]]) -> dict:
    """``values`` completed by the task's ``complete`` hook (if any); its ValueError names the cell's
    first varied value (or ``fixed``)."""
    if entry.obj.complete is None:
        return values
    try:
        return entry.obj.complete(dict(values))
    except ValueError as exc:
        where = next((w for w, _, _ in raw if not w.startswith("fixed.")), "fixed")
        raise ValueError(f"{where}: {str(exc).splitlines()[0]}") from None


def resolve(entry: Entry, raw: list[tuple[str, str, Any]], memo: dict | None = None) -> dict:
    """Canonical, complete parameters of one cell: aliases renamed, values parsed, the task's and
    its nested entries' defaults filled in. ``raw``: (where, name, value) items; ``memo``: a dict
    kept across the cells of one sweep (a value at one place in the spec is parsed once)."""
    memo = {} if memo is None else memo
    given, rest = {}, []
    for where, name, value in raw:
        try:
            arg = entry.arg(name)
        except ValueError:
            rest.append((where, name, value))
            continue
        _put(given, arg, value, where, memo)
    args, chosen = list(entry.args), []
    for arg_name, registry in nested_items(entry):
        arg = entry.arg(arg_name)
        choice = given[arg_name][1] if arg_name in given else _parsed(arg, arg.default, f"{arg_name} (default)", memo)
        where = given[arg_name][0] if arg_name in given else arg_name
        if choice is None:
            raise ValueError(f"{arg_name}: missing; task {entry.name!r} needs one of {', '.join(registry)}")
        if choice not in registry:
            raise ValueError(f"{where}: unknown {registry.kind} {choice!r}; expected one of {', '.join(registry)}")
        sub = registry.get(choice)
        chosen.append(f"{registry.kind} {choice!r}")
        clash = [a.name for a in sub.args if a.name in {b.name for b in args}]
        if clash:
            raise ValueError(f"{where}: {registry.kind} {choice!r} redefines the argument {clash[0]!r}")
        args += list(sub.args)
        for item in list(rest):
            w, name, value = item
            try:
                sub_arg = sub.arg(name)
            except ValueError:
                continue
            _put(given, sub_arg, value, w, memo)
            rest.remove(item)
    if rest:
        w, name, _ = rest[0]
        raise ValueError(f"{w}: {name!r} is not an argument of task {entry.name!r}"
                         + "".join(f" with {c}" for c in chosen)
                         + f"; expected one of {', '.join(a.name for a in args)}")
    return {a.name: given[a.name][1] if a.name in given else _parsed(a, a.default, f"{a.name} (default)", memo)
            for a in args}


def _parsed(arg, value: Any, where: str, memo: dict) -> Any:
    """``_parse`` once per (argument, place in the spec); None (a default of "not given") stays None."""
    if value is None:
        return None
    key = (id(arg), where)
    if key not in memo:                  # the Arg is kept with its value: its id stays its own
        memo[key] = (arg, _parse(arg, value, where))
    return memo[key][1]


def _put(given: dict, arg, value: Any, where: str, memo: dict) -> None:
    if arg.name in given:
        raise ValueError(f"{where}: {arg.name!r} is also set by {given[arg.name][0]}")
    given[arg.name] = (where, _parsed(arg, value, where, memo))
