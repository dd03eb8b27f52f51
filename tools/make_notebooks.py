"""Make tutorials/NN_*.ipynb from the percent-format scripts tutorials/NN_*.py, executed, with their outputs.

    python tools/make_notebooks.py             # every tutorial: convert, run in a fresh kernel (quick mode), write
    python tools/make_notebooks.py 05 08       # only tutorials 05 and 08
    python tools/make_notebooks.py --check     # no running: exit 1 naming each notebook whose cells differ
                                               # from its script (what tests/test_notebooks.py checks)

The script is the source; the notebook is made from it and committed, so that
it opens on GitHub, in Colab or in Jupyter with its figures. Each notebook runs
top to bottom in a fresh Python kernel with TUTORIAL_QUICK=1 (the tutorials'
--quick, read by tutorials/common.py), one BLAS thread, and the working folder a
temporary one (the tutorials' output files go there, not into the repository),
so a notebook holds the quick run's outputs and stays small.

What makes two runs give the same file: cell ids are their positions, cell
metadata and the kernel's version details are dropped, execution times are not
recorded, object addresses are cut from reprs, and the tutorials seed their
random numbers. What still varies is
what a tutorial prints about time ("3s"). Needs jupytext, nbclient and
ipykernel (the dev extra: pip install -e ".[dev]").
"""

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
ADDRESS = re.compile(r" at 0x[0-9a-f]+>")
TIMEOUT_S = 600     # per cell; a quick run of the longest tutorial takes well under a minute


def scripts(selected=()):
    """The numbered tutorial scripts, or those whose number or name starts with one of `selected`."""
    found = sorted(TUTORIALS.glob("[0-9][0-9]_*.py"))
    if selected:
        found = [p for p in found if any(p.stem.startswith(s) for s in selected)]
    return found


def notebook_path(script):
    return script.with_suffix(".ipynb")


def notebook_from_script(script):
    """The unexecuted notebook of a percent-format script, normalised: no jupytext or cell metadata,
    positional cell ids, and the module docstring (repeated by the first markdown cell) left out."""
    import jupytext
    nb = jupytext.read(script, fmt="py:percent")
    cells = [c for c in nb.cells if not _is_docstring(c)]
    for i, cell in enumerate(cells):
        cell.metadata = {}
        cell.id = f"cell-{i}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.cells = cells
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def _is_docstring(cell):
    source = cell.source.strip()
    return cell.cell_type == "code" and source.startswith('"""') and source.endswith('"""') \
        and source.count('"""') == 2


def cells_of(nb):
    """What must match between a notebook and its script: each cell's type and source."""
    return [(c.cell_type, c.source) for c in nb.cells]


def differences(script):
    """None when the committed notebook's cells are the script's; otherwise what differs, in words."""
    import nbformat
    path = notebook_path(script)
    if not path.exists():
        return f"{path.relative_to(ROOT)} is missing"
    have = cells_of(nbformat.read(path, as_version=4))
    want = cells_of(notebook_from_script(script))
    if have == want:
        return None
    for i, (h, w) in enumerate(zip(have, want)):
        if h != w:
            first = (w[1].splitlines() or [""])[0]
            return f"{path.name}: cell {i} differs from {script.name} (the script's cell starts {first!r})"
    return f"{path.name} has {len(have)} cells, {script.name} {len(want)}"


def execute(nb, workdir):
    """Run every cell in a fresh kernel whose working folder is `workdir`, in quick mode."""
    from nbclient import NotebookClient
    saved = dict(os.environ)
    os.environ.update(TUTORIAL_QUICK="1", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                      PYTHONPATH=os.pathsep.join(filter(None, [str(TUTORIALS), str(ROOT), saved.get("PYTHONPATH")])))
    os.environ.pop("MPLBACKEND", None)       # Jupyter's inline backend, so that figures are saved in the notebook
    os.environ.pop("TUTORIAL_DEVICE", None)
    try:
        NotebookClient(nb, timeout=TIMEOUT_S, kernel_name=KERNELSPEC["name"], record_timing=False,
                       resources={"metadata": {"path": str(workdir)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for cell in nb.cells:
        cell.metadata = {}
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/plain")
            if text:    # "<graphviz.graphs.Digraph at 0x7f...>": an address differs from run to run
                output["data"]["text/plain"] = ADDRESS.sub(">", text)
    return nb


def make(script, run=True):
    """Write the notebook of one script (executed unless run is False); returns its path."""
    import nbformat
    nb = notebook_from_script(script)
    if run:
        with tempfile.TemporaryDirectory(prefix="notebook_") as workdir:
            execute(nb, workdir)
    path = notebook_path(script)
    nbformat.write(nb, path)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tutorials", nargs="*", help="numbers or names of the tutorials to make (default: all)")
    parser.add_argument("--check", action="store_true", help="only compare the notebooks with their scripts")
    parser.add_argument("--no-run", action="store_true", help="write the notebooks without running them")
    args = parser.parse_args(argv)
    chosen = scripts(args.tutorials)
    if not chosen:
        parser.error(f"no tutorial matches {args.tutorials} in {TUTORIALS}")
    if args.check:
        stale = [d for d in map(differences, chosen) if d]
        for d in stale:
            print(d)
        if stale:
            print("rerun: python tools/make_notebooks.py")
        return 1 if stale else 0
    for script in chosen:
        start = time.perf_counter()
        path = make(script, run=not args.no_run)
        print(f"wrote {path.relative_to(ROOT)} ({time.perf_counter() - start:.0f} s, "
              f"{path.stat().st_size / 1000:.0f} kB)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
