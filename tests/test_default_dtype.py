"""tr.set_default_dtype / get_default_dtype as PyTorch's: after set_default_dtype(float64), Python
floats, new float tensors and layers' parameters are float64 in both libraries; float32 tensors stay
float32 against Python floats; non-float dtypes are refused."""

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.errors import ArgumentTypeError

torch = pytest.importorskip("torch")

MADE = {
    "zeros": lambda lib: lib.zeros(2),
    "tensor_float": lambda lib: lib.tensor([1.5, 2.0]),
    "tensor_scalar": lambda lib: lib.tensor(2.0),
    "Tensor": lambda lib: lib.Tensor([1, 2]),
    "arange_float": lambda lib: lib.arange(0, 1, 0.25),
    "full_float": lambda lib: lib.full((2,), 3.0),
    "linspace": lambda lib: lib.linspace(0, 1, 3),
    "eye": lambda lib: lib.eye(2),
    "randn": lambda lib: lib.randn(2),
    "int_times_float": lambda lib: lib.tensor([1, 2]) * 1.5,
    "where_numbers": lambda lib: lib.where(lib.tensor([True, False]), 1.0, 2.0),
    "float32_times_float": lambda lib: lib.ones(2, dtype=lib.float32) * 2.5,
    "float_method": lambda lib: lib.tensor([1, 2]).float(),
    "linear": lambda lib: lib.nn.Linear(2, 3).weight,
    "lstm": lambda lib: lib.nn.LSTM(2, 3).weight_hh_l0,
    "gru_cell": lambda lib: lib.nn.GRUCell(2, 3).bias_ih,
    "embedding": lambda lib: lib.nn.Embedding(4, 2).weight,
    "layer_norm": lambda lib: lib.nn.LayerNorm(3).bias,
    "batch_norm_buffer": lambda lib: lib.nn.BatchNorm1d(3).running_mean,
    "multihead": lambda lib: lib.nn.MultiheadAttention(4, 2).in_proj_bias,
    "clip_nothing": lambda lib: lib.nn.utils.clip_grad_norm_([lib.zeros(1, requires_grad=True)], 1.0),
}


@pytest.fixture
def default_float64():
    tr.set_default_dtype(tr.float64)
    torch.set_default_dtype(torch.float64)
    yield
    tr.set_default_dtype(tr.float32)
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("name", MADE)
def test_default_float64_reaches_what_pytorch_makes(default_float64, name):
    assert tr.get_default_dtype() == tr.float64
    ours, theirs = MADE[name](tr), MADE[name](torch)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


def test_the_default_is_float32_and_comes_back():
    assert tr.get_default_dtype() == tr.float32 and tr.zeros(1).dtype == tr.float32
    tr.set_default_dtype(tr.float64)
    try:
        assert tr.tensor([0.5]).dtype == tr.float64
    finally:
        tr.set_default_dtype(tr.float32)
    assert tr.tensor([0.5]).dtype == tr.float32 and tr.nn.Linear(1, 1).weight.dtype == tr.float32


def test_non_float_defaults_are_refused():
    with pytest.raises(ArgumentTypeError, match=r"set_default_dtype: only floating-point dtypes can be the default"
                                                r" \(tr.float32, tr.float64, tr.float16\), got int64"):
        tr.set_default_dtype(tr.int64)
    with pytest.raises(ArgumentTypeError, match="set_default_dtype: give a dtype .*, got None"):
        tr.set_default_dtype(None)
    with pytest.raises(ArgumentTypeError, match="set_default_dtype: 'fp64' is not a dtype"):
        tr.set_default_dtype("fp64")
    assert tr.get_default_dtype() == tr.float32
