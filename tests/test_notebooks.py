"""The trainer notebooks run top to bottom on the bundled samples, in a kernel from this environment.

Executed with nbclient from the repository root (where a trainer opens them); the report the walkthrough
writes goes to a temporary folder through ``COACH_REPORT_DIR``. Notebooks are stored without outputs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _run(path: Path, monkeypatch, out: Path):
    import nbformat
    from nbclient import NotebookClient

    # The kernel process inherits this environment: the walkthrough writes its report under `out`.
    monkeypatch.setenv("COACH_REPORT_DIR", str(out))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    # "python3" resolves to ipykernel in the interpreter running the tests (jupyter_client swaps a bare
    # `python` in the kernel spec for sys.executable), so the notebook sees the same installed coach.
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    return nb


def test_notebooks_are_stored_without_outputs():
    import nbformat

    assert NOTEBOOKS, "no notebooks found in notebooks/"
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        dirty = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and (cell.outputs or cell.execution_count)]
        assert not dirty, f"{path.name}: clear the outputs of cells {dirty} before committing"


@pytest.mark.slow
def test_notebooks_coaching_walkthrough_runs_and_writes_the_report(monkeypatch, tmp_path):
    nb = _run(ROOT / "notebooks" / "coaching_walkthrough.ipynb", monkeypatch, tmp_path)
    errors = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs if o.output_type == "error"]
    assert errors == []
    text = "".join(o.get("text", "") for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs)
    assert "14 calls scored" in text and "scored 14 calls; 0 file(s) could not be read" in text
    images = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2  # criterion hit rates, scores by agent
    index = tmp_path / "html" / "index.html"
    assert index.is_file() and "Coaching report" in index.read_text(encoding="utf-8")
    assert len(list((tmp_path / "html" / "calls").glob("*.html"))) == 14
    assert (tmp_path / "html" / "agents" / "derek.html").is_file()
