"""The notebooks run top to bottom on the bundled zone, and are stored without outputs."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
# What each notebook must show (in its outputs), so that a notebook running to its end with wrong answers fails.
EXPECTED = {
    "01_explore_gaps.ipynb": ("medical-pastoral-2h", "Chalageri", "straight-line estimate, no road network"),
    "02_site_a_new_clinic.ipynb": ("proven optimal: True", "Winter"),
}


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01_explore_gaps.ipynb", "02_site_a_new_clinic.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip outputs before committing"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert time.perf_counter() - t0 < 60, "a notebook should run in under a minute"
    shown = "\n".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    for text in EXPECTED[path.name]:
        assert text in shown, (path.name, text)
    # The last cells produced something (a table or a map), not nothing.
    assert any(c.outputs for c in nb.cells[-3:] if c.cell_type == "code")
    # The plots are shown (inline images), not swallowed by a non-interactive backend.
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert images, "the notebook's figures produced no image output"
