"""A cell's key: the first 16 hex digits of SHA-256 over the canonical JSON of (task, stored
parameters, package version). Equal keys mean the same computation; a new version changes every key."""
from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping


def version() -> str:
    from ..core.version import __version__
    return __version__


def cell_key(task: str, params: Mapping[str, Any], version_: str | None = None) -> str:
    """Content hash of a resolved cell: 16 hex digits of SHA-256 over canonical JSON."""
    blob = json.dumps({"task": task, "params": dict(params), "version": version_ or version()},
                      sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
