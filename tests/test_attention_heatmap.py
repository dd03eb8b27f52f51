"""attention_heatmap: tokens on the axes, a clear error without matplotlib or with mismatched labels."""

import sys

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.viz import attention_heatmap

WEIGHTS = np.array([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])


def test_heatmap_puts_source_tokens_on_x_and_output_tokens_on_y(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "attention.png"
    fig = attention_heatmap(tr.tensor(WEIGHTS), ["4", "0", "9"], ["9", "<eos>"], path=path)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4", "0", "9"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["9", "<eos>"]
    np.testing.assert_allclose(ax.images[0].get_array(), WEIGHTS)
    assert path.stat().st_size > 0


def test_heatmap_numbers_positions_without_tokens():
    pytest.importorskip("matplotlib")
    ax = attention_heatmap(WEIGHTS).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2"]


def test_mismatched_labels_or_a_batch_of_weights_are_refused():
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match="source_tokens has 2 labels but the weights have 3 columns"):
        attention_heatmap(WEIGHTS, ["a", "b"])
    with pytest.raises(ValueError, match=r"pick one batch row first"):
        attention_heatmap(WEIGHTS[None])


def test_without_matplotlib_the_error_says_what_to_install(monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install tinygrad_rnn\[plot\]"):
        attention_heatmap(WEIGHTS)
