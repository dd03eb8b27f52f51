"""render: a drawing to SVG, PNG or PDF through Graphviz's `dot`, or its .dot source without it.

    tr.viz.render(g, "bptt.svg")      # format from the extension: .svg .png .pdf (.dot/.gv: source only)

Without `dot` on PATH the DOT source is written beside the asked path
(bptt.dot) and one warning line says how to install Graphviz; the file renders
later with `dot -Tsvg bptt.dot -o bptt.svg` on any machine that has it.

No renderer without the system binary is offered: the value of the drawing is
dot's layered layout with nested clusters (steps inside layers, one rank per
op), which no pure-Python package reproduces, and Graphviz is one package-manager
command away on every platform (apt, brew, conda, winget). The gradient-norm
plot (`plot_grad_norms`) needs only matplotlib.
"""

import os
import shutil
import warnings

from ..errors import OpError

FORMATS = ("svg", "png", "pdf")
SOURCE_FORMATS = ("dot", "gv")
INSTALL_HINT = ("install Graphviz (apt-get install graphviz, brew install graphviz or conda install graphviz) "
                "to render it")


class GraphvizMissingWarning(UserWarning):
    """Graphviz's `dot` is not installed, so only the .dot source was written."""


def dot_available():
    return shutil.which("dot") is not None


def render(graph, path, format=None):
    """Write `graph` (a graphviz.Digraph) to `path`; returns the path actually written.

    format: "svg", "png", "pdf" or "dot", by default from the extension of `path`.
    """
    path = os.fspath(path)
    stem, ext = os.path.splitext(path)
    fmt = (format or ext.lstrip(".")).lower()
    if fmt not in FORMATS + SOURCE_FORMATS:
        raise OpError(f"render: cannot write format {fmt!r} (from {path!r}); "
                         f"expected one of {', '.join(FORMATS + SOURCE_FORMATS)}")
    if fmt in SOURCE_FORMATS:
        return _write_source(graph, path)
    if dot_available():
        from graphviz import ExecutableNotFound
        try:
            data = graph.pipe(format=fmt)
        except ExecutableNotFound:
            pass  # on PATH but not runnable: fall through to the source
        else:
            with open(path, "wb") as f:
                f.write(data)
            return path
    source = _write_source(graph, stem + ".dot")
    warnings.warn(f"Graphviz's `dot` was not found, so {source} was written instead of {path}; "
                  f"{INSTALL_HINT}: dot -T{fmt} {source} -o {path}", GraphvizMissingWarning, stacklevel=2)
    return source


def _write_source(graph, path):
    with open(path, "w", encoding="utf-8") as f:
        f.write(graph.source)
    return path
