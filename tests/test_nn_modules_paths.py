"""nn.modules.<file>.<Class>: PyTorch's module layout resolves to this library's classes, file by file,
so programs that name classes by those paths (allow-lists, isinstance) run unchanged."""

import importlib

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn

torch = pytest.importorskip("torch")

FILES = ["activation", "batchnorm", "container", "dropout", "linear", "loss", "module", "normalization", "rnn",
         "sparse"]


@pytest.mark.parametrize("file", FILES)
def test_each_name_is_the_class_nn_has_and_lives_in_torch_file_of_the_same_name(file):
    ours = getattr(nn.modules, file)
    theirs = importlib.import_module(f"torch.nn.modules.{file}")
    for name in ours.__all__:
        assert hasattr(theirs, name), f"torch.nn.modules.{file} has no {name}"
        if name not in ("RNNBase", "RNNCellBase"):
            assert getattr(ours, name) is getattr(nn, name)


def test_every_class_nn_shares_with_torch_is_in_torch_file():
    """Each PyTorch-named class of nn is reachable under the same nn.modules.<file> as in PyTorch."""
    for file in FILES + ["transformer", "flatten"]:   # these two serve what nn defines, when it does
        theirs = importlib.import_module(f"torch.nn.modules.{file}")
        for name in getattr(theirs, "__all__", []):
            if name in vars(nn) and isinstance(vars(nn)[name], type):
                assert getattr(getattr(nn.modules, file), name) is vars(nn)[name], f"{file}.{name}"


def test_the_paths_programs_name():
    assert nn.modules.rnn.LSTM is nn.LSTM and nn.modules.linear.Linear is nn.Linear
    assert nn.modules.module.Module is nn.Module and nn.modules.LSTM is nn.LSTM
    assert issubclass(nn.LSTM, nn.modules.rnn.RNNBase) and issubclass(nn.GRUCell, nn.modules.rnn.RNNCellBase)
    assert isinstance(nn.GRU(2, 3), nn.modules.rnn.GRU)
    assert nn.utils.rnn.PackedSequence is tr.nn.utils.rnn.PackedSequence


def test_a_torch_class_this_library_lacks_says_so():
    with pytest.raises(AttributeError, match=r"nn.modules.normalization.GroupNorm: PyTorch defines GroupNorm in "
                                             r"this file, but tinygrad_rnn does not provide it"):
        nn.modules.normalization.GroupNorm  # noqa: B018


def test_an_unknown_name_is_a_plain_attribute_error():
    with pytest.raises(AttributeError, match=r"module 'tinygrad_rnn.nn.modules.rnn' has no attribute 'Foo'"):
        nn.modules.rnn.Foo  # noqa: B018
