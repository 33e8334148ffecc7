"""Registries: one named table per kind of extension (families, models, solvers, learning
methods, tasks). Everything that lists names -- the CLI's choices and sub-commands, the sweep
layer's tasks, the docs' tables, the conformance tests -- reads them from here, so adding an
entry is one ``register`` call in the module that defines it.

    MODELS = Registry("model")

    @MODELS.register("tabular", args=(Arg("joint", str, "random:4:3:0", "random:NX:NZ:SEED | table.npy"),),
                     help="categorical pair with one-hot lifts")
    def tabular(joint="random:4:3:0"): ...

    MODELS["tabular"].obj(**kw);  MODELS.names();  MODELS.get("tabulr")  # ValueError naming the choices
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


def with_aliases(fn: Callable, aliases: dict[str, str]) -> Callable:
    """``fn`` accepting older keyword spellings: ``aliases`` maps alias -> canonical keyword. The
    package's one mechanism for renamed keywords (registered factories get it from their ``Arg``
    aliases). Giving both spellings is a ValueError."""
    if not aliases:
        return fn

    @functools.wraps(fn)
    def call(*args, **kwargs):
        for old, new in aliases.items():
            if old in kwargs:
                if new in kwargs:
                    raise ValueError(f"{old}: {new!r} given twice (once as the alias {old!r})")
                kwargs[new] = kwargs.pop(old)
        return fn(*args, **kwargs)

    return call


def renamed(**aliases: str) -> Callable[[Callable], Callable]:
    """Decorator form of :func:`with_aliases` for functions that are not registered entries
    (e.g. a constructor): ``@renamed(labeled="labelled")``."""
    return lambda fn: with_aliases(fn, aliases)


@dataclass(frozen=True)
class Arg:
    """One argument of a registered entry. ``name`` is the Python keyword (underscores); the CLI
    flag is ``--`` + name with dashes; ``aliases`` are older spellings still accepted (as flags,
    Python keywords and sweep-grid keys). ``parse`` turns a command-line string or a typed value
    into the canonical value (``core.parsing``; ``bool``: a switch, off by default, or on by default
    and turned off by the flag ``--SWITCH``); ``cli=False`` marks a Python-only argument (an array, a
    distribution object); ``sweep=False`` one that does not change the result (printing, progress,
    output paths), which a sweep cell does not take; ``positional`` and ``nargs`` ("?", "+") shape it
    on the command line."""

    name: str
    parse: Callable[[str], Any]
    default: Any
    help: str = ""
    aliases: tuple[str, ...] = ()
    choices: tuple | None = None
    cli: bool = True
    positional: bool = False
    nargs: str | None = None
    sweep: bool = True
    switch: str | None = None

    @property
    def flag(self) -> str:
        return "--" + (self.switch or self.name).replace("_", "-")

    @property
    def alias_flags(self) -> tuple[str, ...]:
        return tuple("--" + a.replace("_", "-") for a in self.aliases)


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A registered object with its argument specification and the optional extras it needs."""

    name: str
    obj: T
    args: tuple[Arg, ...] = ()
    help: str = ""
    extras: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)

    def arg(self, name: str) -> Arg:
        for a in self.args:
            if a.name == name or name in a.aliases:
                return a
        raise ValueError(f"{name}: not an argument of {self.name!r}; expected one of "
                         f"{', '.join(a.name for a in self.args) or '(none)'}")

    def canonical(self, kwargs: dict) -> dict:
        """``kwargs`` with aliases renamed to canonical names (ValueError on unknown names or on an
        argument given twice under two spellings)."""
        out: dict = {}
        for key, value in kwargs.items():
            name = self.arg(key).name
            if name in out:
                raise ValueError(f"{key}: {name!r} given twice (once as an alias)")
            out[name] = value
        return out

    def defaults(self) -> dict:
        return {a.name: a.default for a in self.args}


class Registry(Generic[T]):
    """A named table of entries of one kind; names are unique unless ``replace=True``."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}

    def register(self, name: str, obj: T | None = None, *, args: tuple[Arg, ...] = (), help: str = "",
                 extras: tuple[str, ...] = (), replace: bool = False, aliased: bool = False, **meta):
        """Register ``obj`` under ``name``; without ``obj``, a decorator that registers what it decorates.
        ``aliased=True`` (callables): the registered and returned object also accepts the ``Arg``
        aliases as keywords (see :func:`with_aliases`)."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"name: expected a non-empty string for a {self.kind}, got {name!r}")

        def add(o: T) -> T:
            if name in self._entries and not replace:
                raise ValueError(f"name: a {self.kind} named {name!r} is already registered")
            if aliased:
                o = with_aliases(o, {alias: a.name for a in args for alias in a.aliases})
            self._entries[name] = Entry(name, o, tuple(args), help, tuple(extras), dict(meta))
            return o

        return add if obj is None else add(obj)

    def unregister(self, name: str) -> None:
        """Remove an entry (tests that register temporary entries clean up with this)."""
        self._entries.pop(name, None)

    @contextlib.contextmanager
    def override(self, name: str, obj: T):
        """Within the ``with`` block, entry ``name`` holds ``obj`` (its specs unchanged); restored after."""
        old = self.get(name)
        self._entries[name] = dataclasses.replace(old, obj=obj)
        try:
            yield obj
        finally:
            self._entries[name] = old

    def get(self, name: str) -> Entry[T]:
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise ValueError(f"{self.kind}: unknown name {name!r}; expected one of "
                             f"{', '.join(self._entries) or '(none registered)'}") from None

    __getitem__ = get

    def __contains__(self, name) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def entries(self) -> tuple[Entry[T], ...]:
        return tuple(self._entries.values())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._entries)})"
