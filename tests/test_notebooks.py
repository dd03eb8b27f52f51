"""The committed notebooks are their scripts, run: same cells, outputs saved, figures inline.

tools/make_notebooks.py makes tutorials/NN_*.ipynb from tutorials/NN_*.py; when
a script changes, its notebook must be made again (the failure says how).
"""

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("jupytext", reason="the notebook tool needs jupytext (pip install -e '.[dev]')")
nbformat = pytest.importorskip("nbformat", reason="the notebook tool needs nbformat (pip install -e '.[dev]')")

ROOT = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location("make_notebooks", ROOT / "tools" / "make_notebooks.py")
make_notebooks = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(make_notebooks)

SCRIPTS = make_notebooks.scripts()


def test_there_is_a_script_for_every_notebook_and_a_notebook_for_every_script():
    notebooks = {p.stem for p in (ROOT / "tutorials").glob("[0-9][0-9]_*.ipynb")}
    scripts = {p.stem for p in SCRIPTS}
    assert scripts, "no tutorials found"
    assert notebooks == scripts, (f"notebooks without a script: {sorted(notebooks - scripts)}; scripts without a "
                                  f"notebook: {sorted(scripts - notebooks)}; rerun: python tools/make_notebooks.py")


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem[:2])
def test_notebook_cells_are_the_scripts_cells(script):
    difference = make_notebooks.differences(script)
    assert difference is None, f"{difference}; rerun: python tools/make_notebooks.py {script.stem[:2]}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem[:2])
def test_notebook_was_run_top_to_bottom_without_errors(script):
    nb = nbformat.read(make_notebooks.notebook_path(script), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), \
        f"{script.stem}: not run top to bottom in one kernel; rerun: python tools/make_notebooks.py {script.stem[:2]}"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{script.stem}: a cell raised {errors[0].ename}: {errors[0].evalue}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem[:2])
def test_notebook_holds_no_volatile_metadata_and_stays_small(script):
    path = make_notebooks.notebook_path(script)
    nb = json.loads(path.read_text())
    assert set(nb["metadata"]) == {"kernelspec", "language_info"} and nb["metadata"]["language_info"] == \
        {"name": "python"}
    assert all(c["metadata"] == {} for c in nb["cells"])
    assert [c["id"] for c in nb["cells"]] == [f"cell-{i}" for i in range(len(nb["cells"]))]
    assert " at 0x" not in path.read_text(), f"{path.name}: an object's address in an output changes every run"
    assert path.stat().st_size < 1_000_000, f"{path.name}: {path.stat().st_size} bytes (made in quick mode?)"


@pytest.mark.parametrize("number", ["05", "06", "07"])
def test_figures_are_saved_inline_as_images(number):
    (script,) = make_notebooks.scripts([number])
    nb = nbformat.read(make_notebooks.notebook_path(script), as_version=4)
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert images, f"{script.stem}: no figure saved in the notebook"


def test_the_unrolled_graph_is_saved_inline_as_svg():
    (script,) = make_notebooks.scripts(["08"])
    nb = nbformat.read(make_notebooks.notebook_path(script), as_version=4)
    svgs = [o["data"]["image/svg+xml"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if "image/svg+xml" in o.get("data", {})]
    assert svgs and "t=2" in svgs[0], "tutorial 8's unrolled graph is not in its notebook"


def test_check_mode_names_a_stale_notebook_and_how_to_remake_it(tmp_path, monkeypatch, capsys):
    (script,) = make_notebooks.scripts(["08"])
    copy = tmp_path / script.name
    copy.write_text(script.read_text().replace("print(f\"device {device}", "print(f\"on {device}"))
    shutil.copy(make_notebooks.notebook_path(script), tmp_path)
    monkeypatch.setattr(make_notebooks, "TUTORIALS", tmp_path)
    monkeypatch.setattr(make_notebooks, "ROOT", tmp_path)
    assert make_notebooks.main(["--check"]) == 1
    printed = capsys.readouterr().out
    assert "08_extending_the_engine.ipynb: cell 2 differs" in printed and "python tools/make_notebooks.py" in printed


def test_draw_graph_result_displays_as_svg_in_jupyter():
    import tinygrad_rnn as tr
    from tinygrad_rnn import viz
    if not viz.dot_available():
        pytest.skip("Graphviz's dot is not installed: Jupyter would show the graph's text only")
    x = tr.randn(2, 3, requires_grad=True)
    bundle = viz.draw_graph((x * 2).sum())._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))


@pytest.mark.slow
def test_the_tool_runs_a_notebook_in_a_fresh_kernel_in_quick_mode(tmp_path):
    pytest.importorskip("nbclient", reason="running notebooks needs nbclient (pip install -e '.[dev]')")
    pytest.importorskip("ipykernel", reason="running notebooks needs ipykernel (pip install -e '.[dev]')")
    script = tmp_path / "01_tiny.py"
    script.write_text('"""A tiny tutorial."""\n\n# %% [markdown]\n# # Tiny\n\n# %%\nimport common\n\n'
                      'args = common.parse_args(__doc__, name="tiny")\nprint("quick" if args.quick else "full")\n')
    nb = make_notebooks.execute(make_notebooks.notebook_from_script(script), tmp_path)
    assert [c.cell_type for c in nb.cells] == ["markdown", "code"]
    assert nb.cells[1].outputs[0].text == "quick\n"
