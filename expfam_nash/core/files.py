"""Reading and writing the package's files, hostile-input safe: every problem with a path or a
file's contents (missing, a directory, unreadable, empty, truncated, garbage bytes, the wrong
kind of JSON, a full disk) is a one-line ``ValueError`` naming the argument, before any work
starts, never a traceback from NumPy's or Python's readers.

``read_npz`` / ``read_npy`` load arrays without pickles (``allow_pickle=False``) and copy them
out of the archive; ``read_json`` checks the top-level type; ``output_dir`` checks that a
directory can be (or already is) a writable directory; ``write_text`` writes atomically
(temporary file, then rename), so a failed write (e.g. ENOSPC) leaves the previous file.
"""
from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path

import numpy as np

#: what NumPy's and Python's readers raise on a damaged or odd file: OSError, EOFError, ValueError,
#: KeyError, zipfile's BadZipFile, but also NotImplementedError (a flipped "compression method"
#: byte), RuntimeError ("encrypted" flag), MemoryError (a header declaring a huge array)... Reading
#: is wrapped in these few functions only, so any exception there means an unreadable file
READ_ERRORS = (Exception,)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def input_file(path, name: str, suffix: str | None = None) -> Path:
    """``path`` as a Path to an existing, non-empty regular file (with ``suffix``, if given)."""
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise ValueError(f"{name}: expected a file path, got {path!r}")
    p = Path(path)
    if suffix is not None and p.suffix != suffix:
        raise ValueError(f"{name}: expected a {suffix} file, got {str(p)!r}")
    if not p.exists():
        raise ValueError(f"{name}: file {str(p)!r} does not exist")
    if p.is_dir():
        raise ValueError(f"{name}: {str(p)!r} is a directory, not a file")
    if not p.is_file():
        raise ValueError(f"{name}: {str(p)!r} is not a regular file")
    if p.stat().st_size == 0:
        raise ValueError(f"{name}: file {str(p)!r} is empty")
    return p


#: the first bytes of a zip archive (.npz) and of a .npy file
ZIP_MAGIC, NPY_MAGIC = (b"PK\x03\x04", b"PK\x05\x06"), b"\x93NUMPY"


def _check_magic(p: Path, name: str, magic: tuple[bytes, ...], kind: str) -> None:
    """ValueError unless the file starts like a ``kind`` file (NumPy would otherwise try a pickle)."""
    try:
        with open(p, "rb") as fh:
            head = fh.read(max(len(m) for m in magic))
    except OSError as exc:
        raise ValueError(f"{name}: cannot read {str(p)!r} ({_why(exc)})") from None
    if not any(head.startswith(m) for m in magic):
        raise ValueError(f"{name}: {str(p)!r} is not a {kind} file (its first bytes are not a {kind} header)")


def read_npz(path, name: str, required: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Every array of a ``.npz`` file (copied out of the archive), checking that ``required``
    names are present; ValueError naming ``name`` for any problem with the file."""
    p = input_file(path, name, ".npz")
    _check_magic(p, name, ZIP_MAGIC, ".npz")
    try:
        with np.load(p, allow_pickle=False) as f:
            if not isinstance(f, np.lib.npyio.NpzFile):
                raise ValueError("not a .npz archive")
            out = {key: np.array(f[key]) for key in f.files}
    except READ_ERRORS as exc:
        raise ValueError(f"{name}: {str(p)!r} is not a readable .npz file ({_why(exc)})") from None
    missing = [k for k in required if k not in out]
    if missing:
        raise ValueError(f"{name}: {str(p)!r} has no array named {missing[0]!r}")
    return out


def read_npy(path, name: str) -> np.ndarray:
    """The array of a ``.npy`` file; ValueError naming ``name`` for any problem with the file."""
    p = input_file(path, name, ".npy")
    _check_magic(p, name, (NPY_MAGIC,), ".npy")
    try:
        arr = np.load(p, allow_pickle=False)
        if not isinstance(arr, np.ndarray):
            raise ValueError("not a .npy array")
    except READ_ERRORS as exc:
        raise ValueError(f"{name}: {str(p)!r} is not a readable .npy file ({_why(exc)})") from None
    return arr


def read_json(path, name: str, kind: type = dict):
    """The JSON value of a file, which must be of type ``kind`` (e.g. an object for a config)."""
    p = input_file(path, name)
    try:
        value = json.loads(p.read_text())
    except READ_ERRORS as exc:
        raise ValueError(f"{name}: {str(p)!r} is not a readable JSON file ({_why(exc)})") from None
    if not isinstance(value, kind):
        want = {dict: "an object", list: "an array"}.get(kind, kind.__name__)
        raise ValueError(f"{name}: {str(p)!r} holds {type(value).__name__} JSON, expected {want}")
    return value


def output_dir(path, name: str, create: bool = True) -> Path:
    """``path`` as a directory the package may write into: not an existing file, not inside a
    file; created (with its parents) when ``create``."""
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise ValueError(f"{name}: expected a directory path, got {path!r}")
    p = Path(path)
    for parent in (p, *p.parents):
        if parent.exists() and not parent.is_dir():
            raise ValueError(f"{name}: {str(parent)!r} is a file, not a directory")
    if create:
        try:
            p.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"{name}: cannot create directory {str(p)!r} ({_why(exc)})") from None
    if p.exists() and not os.access(p, os.W_OK | os.X_OK):
        raise ValueError(f"{name}: directory {str(p)!r} is not writable")
    return p


def write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically: a temporary file in the same directory, flushed,
    then renamed over ``path``. On failure (e.g. a full disk) the temporary file is removed, the
    previous ``path`` is left as it was, and the OSError is raised."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def os_error_line(exc: OSError) -> str:
    """One line for an OSError (a full disk says so)."""
    where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
    if exc.errno == errno.ENOSPC:
        return f"{where}no space left on device (the previous files were kept)"
    return f"{where}{_why(exc)}"
