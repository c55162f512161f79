"""examples/tour.ipynb runs top to bottom in a real Jupyter kernel and shows highlighted code."""

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def this_python_as_kernel(tmp_path, monkeypatch):
    """A ``python3`` kernelspec running this interpreter (so the kernel sees this adjoint)."""
    spec = tmp_path / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3",
        "language": "python",
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    return "python3"


def test_the_tour_runs_and_displays_highlighted_source(this_python_as_kernel):
    nb = nbformat.read(EXAMPLES / "tour.ipynb", as_version=4)
    nbclient.NotebookClient(
        nb, timeout=120, kernel_name=this_python_as_kernel,
        resources={"metadata": {"path": str(EXAMPLES)}},
    ).execute()

    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    html = [out.data["text/html"] for out in outputs if "text/html" in out.get("data", {})]
    assert any("grad_f" in h and '<span style="' in h for h in html)  # `df` in a cell
    assert any("grad_loss" in h and '<span style="' in h for h in html)  # adjoint.show
    texts = [out.data.get("text/plain", "") for out in outputs if out.output_type ==
             "execute_result"]
    assert texts[-1] == "True"  # the CLI's module agrees with adjoint.grad
