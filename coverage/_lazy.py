"""Lazy re-exports for packages (PEP 562): a name is imported from its module on first use.

``import coverage.inputs`` then stays cheap, and no package imports a sibling's
modules just to re-export them (which would tie the layers in import circles).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_exports(package: str, names: Mapping[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package exporting ``names`` (name -> module, relative to the package)."""

    def __getattr__(name: str) -> object:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module, package), name)

    def __dir__() -> list[str]:
        return sorted(names)

    return __getattr__, __dir__
