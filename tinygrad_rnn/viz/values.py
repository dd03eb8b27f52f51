"""Value statistics of the graph's outputs, for the interactive page's tooltips.

A node keeps no output arrays (autograd.py), so what a page can say of an op's
values is recorded while the forward runs:

    with tr.viz.record_values():
        loss = model(x)               # each recorded node keeps min, max, mean, ||y|| per output
    tr.viz.to_html(loss, "graph.html")

Four floats per output, computed on the output's device and copied to the host
once (a sync per op on a GPU: only inside record_values()).
"""

from .. import autograd, backend


def statistics(array):
    """{min, max, mean, norm} of one array; norm is the 2-norm sqrt(sum y^2)."""
    if array.size == 0:
        return dict(min=None, max=None, mean=None, norm=0.0)
    if array.dtype.kind not in "biuf":
        return dict(min=None, max=None, mean=None, norm=None)
    xp = backend.xp_of(array)
    x = array.astype(backend.float64)
    lo, hi, mean, norm = backend.to_numpy(xp.stack([x.min(), x.max(), x.mean(), xp.sqrt((x * x).sum())])).tolist()
    return dict(min=lo, max=hi, mean=mean, norm=norm)


def _keep(node, outputs):
    node.value_stats = tuple(statistics(o) for o in outputs)


def record_values():
    """`with record_values():` every node recorded inside keeps its outputs' statistics."""
    return autograd.observe(_keep)
