"""The family and lift registries: the single list of names behind the docs' tables, the
conformance suite (``meta["examples"]``: constructor keywords of the instances it checks) and
any text that lists families or lifts. Each family or lift registers itself in its own module."""
from __future__ import annotations

from ..core.registry import Registry

FAMILIES: Registry = Registry("family")
LIFTS: Registry = Registry("lift")
