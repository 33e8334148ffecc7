"""Shared by the fuzz suites (tests/test_fuzz_*.py): the outcome contract every public call must
meet, a time bound, hostile values, and counters of the calls made per kind (printed at the end
of the session by conftest.py, and by ``pytest -q tests/test_fuzz_*.py``).

The contract: a call either returns (and what it returns holds no NaN or infinity passed on as a
number) or raises a ValueError whose message is one line; any other exception, a second line,
or a call that outlasts its time bound is a defect."""
from __future__ import annotations

import collections
import contextlib
import io
import math
import signal

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st

#: calls made per kind in this session ("api.solve", "cli.train", "file.checkpoint", ...)
CALLS: collections.Counter = collections.Counter()


def examples(ci: int) -> int:
    """``ci`` examples in the CI profile, 20x that in the thorough one (the profiles' own ratio)."""
    return ci if settings().max_examples <= 25 else 20 * ci


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_bound(seconds: float):
    """Raise Hang if the block outlasts ``seconds`` (checked between Python bytecodes)."""
    def alarm(*_):
        raise Hang(f"call outlasted {seconds} s")
    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def outcome(kind: str, fn, seconds: float = 60.0):
    """("ok", value) or ("refused", message) of ``fn()``; counts the call under ``kind``. Anything
    but a one-line ValueError fails the test (with the exception attached)."""
    CALLS[kind] += 1
    try:
        with time_bound(seconds):
            return "ok", fn()
    except ValueError as exc:
        message = str(exc)
        assert message and "\n" not in message.strip(), f"{kind}: a multi-line or empty error: {message!r}"
        return "refused", message


def assert_finite_numbers(value, where: str = "result") -> None:
    """No NaN or infinity anywhere in ``value`` (numbers, arrays, dicts, lists, tuples)."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert_finite_numbers(v, f"{where}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            assert_finite_numbers(v, f"{where}[{i}]")
    elif isinstance(value, np.ndarray) and value.dtype.kind in "fc":
        assert np.all(np.isfinite(value)), f"{where}: NaN or infinity passed on as a number"
    elif isinstance(value, (float, np.floating)):
        assert math.isfinite(value), f"{where}: {value} passed on as a number"


def run_cli(kind: str, argv: list[str], seconds: float = 120.0) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``expfam-nash argv`` run in this process. An exception
    escaping ``main`` (a traceback for the user) fails the test; argparse's usage errors exit 2."""
    from expfam_nash.cli.main import main

    CALLS[kind] += 1
    out, err = io.StringIO(), io.StringIO()
    with time_bound(seconds), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:        # argparse: usage line + error line, status 2
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def assert_clean_failure(code: int, err: str, argv) -> None:
    """A failed command: non-zero status and exactly one 'expfam-nash: error:' line (argparse's
    usage errors: its usage line plus one error line), never a traceback."""
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("\r")]
    assert "Traceback" not in err, (argv, err)
    assert code != 0, (argv, err)
    if code == 2 and lines and lines[0].startswith("usage:"):
        assert lines[-1].startswith("expfam-nash") and ": error:" in lines[-1], (argv, err)
        return
    errors = [line for line in lines if line.startswith("expfam-nash: error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], (argv, err)


#: hostile scalars: extremes, non-finite, wrong types
HOSTILE_SCALARS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10 ** 20, 10 ** 20),
    st.sampled_from([0, -1, 1, 2, 1.5, 1e-300, 1e300, -1e300, 10 ** 400, float("nan"), float("inf")]),
    st.complex_numbers(max_magnitude=1e10), st.text(max_size=4), st.booleans(), st.none())

#: hostile command-line values
HOSTILE_TEXT = st.one_of(
    st.sampled_from(["0", "-1", "1", "2", "1.5", "nan", "inf", "-inf", "1e308", "1e-320", "", " ", "abc", "1,2",
                     "learned", "none", "true", "3,1", "-0", "0x10", "1_000", "9" * 30, "random:2:0", "bars:2",
                     "bars:9", "random:3:3:0", "independent:0.5,1", "/", ".npz", "x.npy"]),
    st.text(alphabet="0123456789.,:-eE abcnilf", max_size=8))
