"""PyTorch features left out on purpose answer with a message that says so (tinygrad_rnn/absent.py)."""

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn


@pytest.mark.parametrize("module, name, what", [
    (tr, "sparse_coo_tensor", "sparse tensors"),
    (tr, "compile", "graph compilation"),
    (tr, "autocast", "mixed precision"),
    (tr, "distributed", "distributed training"),
    (tr, "bfloat16", "NumPy has no such dtype"),
    (nn, "Conv1d", "convolution and pooling layers"),
    (nn, "DataParallel", "data parallelism"),
])
def test_an_absent_feature_says_it_is_left_out_on_purpose(module, name, what):
    with pytest.raises(AttributeError, match=rf"{module.__name__}\.{name} is not provided: .*on purpose") as caught:
        getattr(module, name)
    assert what in str(caught.value)
    assert not hasattr(module, name)          # feature tests in programs still read False


def test_an_unknown_name_is_the_usual_attribute_error():
    with pytest.raises(AttributeError, match=r"module 'tinygrad_rnn' has no attribute 'no_such_name'"):
        tr.no_such_name  # noqa: B018


def test_a_dataloader_with_workers_is_refused_saying_why():
    data = tr.utils.data.TensorDataset(tr.arange(4.0))
    with pytest.raises(Exception, match="num_workers"):
        tr.utils.data.DataLoader(data, num_workers=2)
