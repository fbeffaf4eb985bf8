"""The on-disk cache of road networks: arrays stored under the content hash of their inputs."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from ..i18n import N_

__all__ = ["file_digest", "load_cached_arrays", "save_cached_arrays"]

log = logging.getLogger(__name__)


def file_digest(*paths: Path | str | None, extra: str = "") -> str:
    """SHA-256 over the contents of files (and an extra text), for cache keys."""
    h = hashlib.sha256(extra.encode())
    for p in paths:
        h.update(b"\0")
        if p is not None:
            with open(p, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


def load_cached_arrays(cache_dir: Path | str | None, key: str) -> dict[str, np.ndarray] | None:
    """Return the arrays stored under ``key``, or None (absent, unreadable, or another key)."""
    if cache_dir is None:
        return None
    path = Path(cache_dir) / f"{key[:32]}.npz"
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except Exception as exc:  # a damaged file raises zipfile, zlib, OS or value errors: rebuild it
        log.warning(N_("the routing cache file %s is damaged (%s); rebuilding it."), path, type(exc).__name__)
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    # The full key is stored inside: a truncated-name collision never serves other data.
    if str(arrays.pop("__key__", "")) != key:
        return None
    return arrays


def save_cached_arrays(cache_dir: Path | str | None, key: str, arrays: dict[str, np.ndarray]) -> None:
    """Store arrays under ``key`` (atomically; a failure to cache is logged, not raised)."""
    if cache_dir is None:
        return
    try:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        path = Path(cache_dir) / f"{key[:32]}.npz"
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".npz.tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, __key__=np.array(key), **arrays)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning(N_("could not write the routing cache in %s: %s"), cache_dir, exc)
