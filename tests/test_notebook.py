"""``examples/explore.ipynb`` runs headless, so it cannot rot.

It runs on ``pipelines/demo.yaml`` as shipped, and on a small pipeline written here so that
the notebook is exercised even where the demo is absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.test_explain import PAIRS, RECORDS

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = ROOT / "examples" / "explore.ipynb"
PIPELINE_LINE = 'PIPELINE = ROOT / "pipelines" / "demo.yaml"'


def execute(pipeline: Path | None = None) -> Any:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    if pipeline is not None:
        (setup,) = [cell for cell in notebook.cells if PIPELINE_LINE in cell.source]
        setup.source = setup.source.replace(PIPELINE_LINE, f"PIPELINE = Path({str(pipeline)!r})")
    client = nbclient.NotebookClient(
        notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()
    return notebook


def outputs(notebook: Any, kind: str) -> list[str]:
    return [
        output["data"][kind]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if kind in output.get("data", {})
    ]


def test_the_notebook_is_saved_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert all(not cell.outputs for cell in notebook.cells if cell.cell_type == "code")


@pytest.mark.slow
def test_the_notebook_runs_on_a_small_pipeline(tmp_path: Path) -> None:
    (tmp_path / "chats.jsonl").write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n", encoding="utf-8")
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(PAIRS, encoding="utf-8")
    notebook = execute(pipeline)
    html = "\n".join(outputs(notebook, "text/html"))
    assert "<b>curate run tides</b>: 1 pairs" in html
    assert "user key present" in html
    assert outputs(notebook, "image/png")
    (card,) = outputs(notebook, "text/markdown")
    assert card.startswith("---\npretty_name: tides\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_the_notebook_runs_on_the_demo() -> None:
    if not (ROOT / "pipelines" / "demo.yaml").exists():
        pytest.skip("pipelines/demo.yaml is not in the repo yet")
    notebook = execute()
    assert "curate run demo-dpo" in "\n".join(outputs(notebook, "text/html"))
