"""``examples/compose.ipynb`` runs headless, so it cannot rot.

It builds a pipeline from objects on a ``datasets.Dataset``, looks at one stage's rejects,
saves the pipeline as YAML and runs that file with the ``curate`` command; here its scratch
folder is the test's, so what it wrote can be checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

import curate
from tests.conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = ROOT / "examples" / "compose.ipynb"
WORK_LINE = 'WORK = Path(tempfile.mkdtemp(prefix="curate-compose-"))'


def execute(work: Path) -> Any:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    (setup,) = [cell for cell in notebook.cells if WORK_LINE in cell.source]
    setup.source = setup.source.replace(WORK_LINE, f"WORK = Path({str(work)!r})")
    client = nbclient.NotebookClient(
        notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()
    return notebook


def text_of(notebook: Any, kind: str) -> str:
    return "\n".join(
        output["data"][kind] if "data" in output else output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if kind in output.get("data", {}) or (kind == "text/plain" and output.get("name") == "stdout")
    )


def test_the_notebook_is_saved_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert all(not cell.outputs for cell in notebook.cells if cell.cell_type == "code")


@pytest.mark.slow
def test_the_notebook_composes_runs_saves_and_runs_the_file(tmp_path: Path) -> None:
    notebook = execute(tmp_path)
    html = text_of(notebook, "text/html")
    assert "<b>curate run battles</b>" in html
    assert "duplicate" in html  # the dedup rejects shown
    printed = text_of(notebook, "text/plain")
    assert "# Input 'battles' was read from memory (a datasets.Dataset)" in printed
    assert "exit code 0" in printed
    saved = curate.Pipeline.from_yaml(tmp_path / "battles.yaml")
    assert [spec.name for spec in saved.config.stages] == ["normalize", "dedup", "pii", "pairs"]
    manifest = curate.record.read_manifest(tmp_path / "out" / "battles")
    assert [item.files[0].path for item in manifest.inputs] == ["battles.jsonl"]
    assert manifest.stage("dedup") is not None and manifest.stage("dedup").rows_rejected == 2  # type: ignore[union-attr]
    assert pl.read_parquet(tmp_path / "out" / "battles" / "data" / "*.parquet").height > 0
