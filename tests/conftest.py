"""Shared fixtures: the bundled region is loaded once per test session."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from coverage.inputs.region import BUNDLED_REGION, LoadOptions, load_region

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def tengger():
    return load_region(options=LoadOptions(use_cache=False))


@pytest.fixture(scope="session")
def bundled_dir() -> Path:
    return BUNDLED_REGION


@pytest.fixture(autouse=True)
def _quiet_logs(caplog):
    caplog.set_level(logging.WARNING)
    yield
