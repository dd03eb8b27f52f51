"""attention_heatmap: an attention matrix drawn with the source tokens on x and the output tokens on y.

    weights[t, s] = how much output step t attended to source position s      (T, S)

Row t is the distribution the decoder used to emit output token t, so a clean
diagonal (or anti-diagonal, for reversal) is an alignment learned from
scratch. Needs matplotlib, an optional extra: `pip install tinygrad_rnn[plot]`.
"""

from .. import backend
from ..tensor import Tensor


def attention_heatmap(weights, source_tokens=None, target_tokens=None, path=None, title="Attention weights",
                      cmap="viridis", ax=None):
    """Draw `weights` (T, S) (a Tensor or array, e.g. `module.last_weights[0]` or a Hypothesis's
    `attention`) with the tokens as tick labels; returns the matplotlib Figure, saved to `path` if given.

    source_tokens: S labels for the columns; target_tokens: T labels for the rows (strings or
    anything printable; None numbers the positions). ax: draw into an existing Axes instead.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("attention_heatmap needs matplotlib: pip install tinygrad_rnn[plot] "
                          "(or pip install matplotlib)") from None
    if isinstance(weights, Tensor):
        weights = weights.numpy()
    elif backend.is_array(weights):
        weights = backend.to_numpy(weights)
    matrix = backend.np.asarray(weights, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"attention_heatmap: expected weights of shape (target steps, source positions), got "
                         f"shape {matrix.shape}; pick one batch row first, e.g. weights[0]")
    rows, cols = matrix.shape
    for name, labels, n in (("source_tokens", source_tokens, cols), ("target_tokens", target_tokens, rows)):
        if labels is not None and len(labels) != n:
            raise ValueError(f"attention_heatmap: {name} has {len(labels)} labels but the weights have {n} "
                             f"{'columns' if name == 'source_tokens' else 'rows'} (shape {matrix.shape})")
    if ax is None:
        fig = Figure(figsize=(1.2 + 0.45 * cols, 1.0 + 0.45 * rows), layout="constrained")
        FigureCanvasAgg(fig)  # Agg draws it: no display needed, pyplot's global state untouched
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    image = ax.imshow(matrix, cmap=cmap, vmin=0.0, vmax=max(1e-12, float(matrix.max())), aspect="auto")
    ax.set_xticks(range(cols), [str(t) for t in source_tokens] if source_tokens is not None else range(cols))
    ax.set_yticks(range(rows), [str(t) for t in target_tokens] if target_tokens is not None else range(rows))
    ax.tick_params(axis="x", labeltop=True, labelbottom=False, top=True, bottom=False)
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    if title:
        ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.05)
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
