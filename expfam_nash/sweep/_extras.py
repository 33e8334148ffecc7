"""The optional extra ``sweep`` (dask[distributed], pandas, pyarrow, tqdm, threadpoolctl):
checked before a sweep starts, with a one-line ImportError naming the missing module."""
from __future__ import annotations

import importlib

MODULES = ("distributed", "dask", "pandas", "pyarrow", "tqdm")


def require(what: str = "sweep") -> None:
    """ImportError (one line) unless every module of the extra imports."""
    for name in MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ImportError(f"{what}: needs the optional extra 'sweep' (cannot import {name!r}: {exc}); "
                              "install it with: pip install 'expfam-nash[sweep]'") from None
