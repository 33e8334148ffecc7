"""Command line: ``expfam-nash TASK [MODEL] [options]``. The sub-commands are the ``TASKS`` registry
(solve, verify, prove, claims, figures, train, docs, and whatever the modules of
``expfam_nash.tasks.TASK_MODULES`` register); the MODEL sub-commands of solve and verify are the ``MODELS`` registry; every flag is
generated from an ``Arg`` spec (older spellings as alias flags, e.g. ``--l2`` for ``--rho``).

Every failure caused by input is one line on stderr and exit status 2 (never a traceback): bad
values, bad files and paths, sizes refused up front, a missing optional extra, and any OSError a
file operation still raises (a full disk says so and exits 1: the last good files are kept). NumPy's
RuntimeWarnings are not printed: non-finite values are reported by the results themselves.
Ctrl-C exits with status 130.
"""
from __future__ import annotations

import argparse
import errno
import sys
import warnings

from ..core.files import os_error_line
from ..core.parsing import canonical
from ..core.registry import Arg
from ..models import MODELS
from ..tasks import load


class Parser(argparse.ArgumentParser):
    """argparse with the package's one-line errors: a usage error is ``expfam-nash: error: ...`` and
    where to find the usage, then exit status 2 (sub-command parsers are of this class too)."""

    def error(self, message: str):
        self.exit(2, f"expfam-nash: error: {message.splitlines()[0] if message else 'bad usage'} "
                     f"(see: {self.prog} --help)\n")


def _type(parse):
    """argparse's ``type``: the Arg's parser (a builtin replaced by its strict parser of
    ``core.parsing``, as in a sweep), its ValueError turned into a usage error."""
    parse = canonical(parse)

    def convert(text: str):
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    convert.__name__ = getattr(parse, "__name__", "value")
    return convert


def add_argument(parser, arg: Arg, defaults: bool = True) -> None:
    """One ``Arg`` as an argparse option (``defaults=False``: absent means not given, so that options
    after a MODEL sub-command override those before it)."""
    kw: dict = {"help": _help(arg)}
    if defaults or arg.positional:
        kw["default"] = arg.default
    if arg.parse is bool and not arg.positional:       # a switch: --NAME turns it on, --SWITCH off
        kw["action"] = "store_false" if arg.default else "store_true"
    else:
        if arg.parse is not str and arg.parse is not None:
            kw["type"] = _type(arg.parse)
        if arg.choices is not None:
            kw["choices"] = arg.choices
        if arg.nargs:
            kw["nargs"] = arg.nargs
        if not arg.positional:
            kw["metavar"] = arg.name.upper()
    if arg.positional:
        parser.add_argument(arg.name, **kw)
    else:
        parser.add_argument(arg.flag, *arg.alias_flags, dest=arg.name, **kw)


def _help(arg: Arg) -> str:
    """The Arg's help with its choices and default."""
    text = arg.help
    if arg.choices:
        text += f"; one of {', '.join(map(str, arg.choices))}"
    if arg.default is not None and arg.parse is not bool:
        shown = ",".join(map(str, arg.default)) if isinstance(arg.default, (tuple, list)) else arg.default
        text += f" (default {shown})"
    return text.replace("%", "%%")


def _options(args, defaults: bool) -> argparse.ArgumentParser:
    p = Parser(add_help=False, argument_default=None if defaults else argparse.SUPPRESS)
    for arg in args:
        add_argument(p, arg, defaults)
    return p


def _names(args) -> set[str]:
    return {n for a in args for n in (a.name, *a.aliases)}


def _add_models(sub, options: argparse.ArgumentParser, task_args, registry=MODELS) -> None:
    for entry in registry.entries():
        clash = _names(a for a in entry.args if a.cli) & _names(task_args)
        if clash:    # a registration error, caught by the conformance tests before any user sees it
            raise ValueError(f"model {entry.name!r}: argument {sorted(clash)[0]!r} is also an option of the task; "
                             "rename it")
        mp = sub.add_parser(entry.name, parents=[options], help=entry.help)
        for arg in entry.args:
            if arg.cli:
                add_argument(mp, arg)


def build_parser() -> argparse.ArgumentParser:
    tasks = load()
    parser = Parser(prog="expfam-nash", description="Symmetric equilibrium learning of lifted "
                                     "exponential-family encoder/decoder pairs: solve, certify, report.")
    cmds = parser.add_subparsers(dest="command", required=True)
    for entry in tasks.entries():
        if entry.obj.run is None:          # a sweep-only task
            continue
        if entry.obj.models:
            tp = cmds.add_parser(entry.name, parents=[_options(entry.args, defaults=True)], help=entry.help)
            registry = MODELS if entry.obj.models is True else entry.obj.models
            _add_models(tp.add_subparsers(dest="model", required=registry is not MODELS),
                        _options(entry.args, defaults=False), entry.args, registry)
        else:
            tp = cmds.add_parser(entry.name, help=entry.help)
            for arg in entry.args:
                add_argument(tp, arg)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:                   # a usage error (one line already printed) or --help
        return exc.code if isinstance(exc.code, int) else 2
    options = {k: v for k, v in vars(args).items() if k != "command"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return load()[args.command].obj.run(options)
    except (ValueError, ImportError) as exc:   # ImportError: an optional extra is missing (e.g. digits)
        return _fail(exc, 2)
    except FloatingPointError as exc:           # a diverged training run (its last good checkpoint is kept)
        return _fail(exc, 1)
    except BrokenPipeError:                     # output piped into e.g. `head`
        return 0
    except OSError as exc:                      # a file operation failed (a full disk, a permission)
        return _fail(os_error_line(exc), 1 if exc.errno == errno.ENOSPC else 2)
    except MemoryError:
        return _fail("out of memory (choose smaller sizes)", 2)
    except KeyboardInterrupt:
        print("expfam-nash: interrupted", file=sys.stderr)
        return 130


def _fail(message, status: int) -> int:
    """One line on stderr (the first line of the message), then the exit status."""
    text = str(message).strip().splitlines()
    print(f"expfam-nash: error: {text[0] if text else type(message).__name__}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
