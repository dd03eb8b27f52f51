"""Survey of the public API with wrong inputs: what does each mistake answer?

Every case is one mistake a learner makes (a wrong rank, dtype or device, an
empty sequence or batch, lengths out of range, NaN in the input, a wrong
hidden state, a bad checkpoint, a misused optimizer or backward ...) and the
answer the library should give: an exception of a given type whose message
matches a pattern naming the op or module, the shapes, dtypes or devices, and
what was expected. A few cases are not errors by design (NaN in the input
flows through to NaN in the output, as in PyTorch); they return a description
that must match instead.

    python tools/error_survey.py            # the table, then a summary
    python tools/error_survey.py --full     # whole messages, not their first 150 characters

Verdicts: "ok" (the expected exception and message), "ok: value" (no error by
design, the documented value), or BAD: "AssertionError", "bare NumPy/CuPy"
(raised from inside numpy or cupy with their own message), "no error", or
"unexpected" (another type, or a message that does not name what it should).

Devices: on a machine without a GPU, "cuda" tensors are imitated by a NumPy
array subclass that `backend.device_of` reports as "cuda" (see `other_device`),
so every check that compares devices sees two devices and raises as it would
on a GPU. tests/test_error_survey.py pins every case.
"""

import argparse
import contextlib
import os
import re
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tinygrad_rnn as tr  # noqa: E402
from tinygrad_rnn import backend, nn, optim  # noqa: E402
from tinygrad_rnn.errors import DeviceError, GraphError, OpError  # noqa: E402
from tinygrad_rnn.nn.module import StateDictError  # noqa: E402
from tinygrad_rnn.serialization import CheckpointError  # noqa: E402

F = nn.functional


@dataclass
class Case:
    group: str
    name: str
    run: Callable
    error: Optional[type]  # None: not an error by design; `match` then applies to what run() returns
    match: str             # regular expression searched in the message (re.search, DOTALL)


# ---- a second device without a GPU ---------------------------------------------------------------

class _OtherDeviceArray(np.ndarray):
    """A NumPy array that `other_device` makes the backend report as living on "cuda"."""


@contextlib.contextmanager
def other_device():
    """Within the block, arrays made by `on_other` count as "cuda" arrays for every device check."""
    real = backend.device_of
    backend.device_of = lambda a: "cuda" if isinstance(a, _OtherDeviceArray) else real(a)
    try:
        yield
    finally:
        backend.device_of = real


def on_other(t):
    """The same values as `t` (a Tensor or array), on the imitated "cuda" device."""
    data = t.array if isinstance(t, tr.Tensor) else np.asarray(t)
    return tr.Tensor._make(data.view(_OtherDeviceArray), getattr(t, "requires_grad", False))


def _with_other_device(fn):
    def run():
        with other_device():
            return fn()
    return run


# ---- helpers for the cases -----------------------------------------------------------------------

def ints(*shape, value=0):
    return tr.tensor(np.full(shape, value, dtype=np.int64))


def nans(*shape):
    return tr.tensor(np.full(shape, np.nan, dtype=np.float32))


def _backward_twice():
    w = tr.randn(3, requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    loss.backward()


def _changed_before_backward():
    w = tr.randn(3, requires_grad=True)
    loss = (w * w).sum()
    w.data = w.data + 1  # e.g. optimizer.step() between forward and backward
    loss.backward()


def _nan_flows_through_lstm():
    output, (h_n, c_n) = nn.LSTM(4, 3)(nans(5, 2, 4))
    return f"output all NaN: {bool(np.isnan(output.numpy()).all())}, h_n all NaN: {bool(np.isnan(h_n.numpy()).all())}"


def _nan_caught_by_anomaly_mode():
    with tr.detect_anomaly():
        nn.LSTM(4, 3)(nans(5, 2, 4))


def _overflow_at_a_time_step():
    rnn = nn.RNN(2, 3, nonlinearity="relu")
    for p in rnn.parameters():
        p.data = np.full(p.shape, 1e12, dtype=np.float32)  # h grows by 1e12 per step: inf at the fourth
    with np.errstate(over="ignore", invalid="ignore"), tr.detect_anomaly():
        rnn(tr.ones(6, 1, 2))


def _inf_gradient_caught_in_backward():
    x = tr.tensor([0.0, 1.0], requires_grad=True)
    with np.errstate(divide="ignore"), tr.detect_anomaly():  # on for the forward too: it records where ops are made
        loss = x.sqrt().sum()  # d sqrt(x)/dx at 0 is inf
        loss.backward()


def _nan_logits_give_nan_loss():
    loss = F.cross_entropy(tr.tensor([[np.nan, 1.0]]), tr.tensor([0]))
    return f"loss {loss.item()}"


def _clip_nonfinite():
    p = tr.randn(3, requires_grad=True)
    p.grad = tr.tensor([np.nan, 1.0, 2.0])
    nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def _step_with_wrong_gradient():
    layer = nn.Linear(3, 2)
    opt = optim.SGD(layer.parameters(), lr=0.1)
    layer.weight.grad = tr.zeros(5)
    opt.step()


def _file(content):
    fd, path = tempfile.mkstemp(suffix=".ckpt")
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    return path


def _load_file(content):
    path = _file(content)
    try:
        return tr.load(path)
    finally:
        os.unlink(path)


def _load_truncated():
    path = _file(b"")
    try:
        tr.save({"w": tr.randn(100)}, path)
        data = open(path, "rb").read()
        with open(path, "wb") as f:
            f.write(data[: len(data) // 2])
        return tr.load(path)
    finally:
        os.unlink(path)


def _load_directory():
    with tempfile.TemporaryDirectory() as folder:
        return tr.load(folder)


def _save_into_missing_folder():
    with tempfile.TemporaryDirectory() as folder:
        tr.save({"a": 1}, os.path.join(folder, "no", "such", "model.ckpt"))


def _save(obj):
    with tempfile.TemporaryDirectory() as folder:
        tr.save(obj, os.path.join(folder, "x.ckpt"))


# ---- the cases -----------------------------------------------------------------------------------

def recurrent_cases():
    """The same mistakes for each of nn.RNN, nn.LSTM and nn.GRU."""
    cases = []
    for cls in (nn.RNN, nn.LSTM, nn.GRU):
        n = cls.__name__
        g = f"nn.{n}"
        x = tr.randn(5, 2, 4)
        lstm = cls is nn.LSTM
        h0 = "h_0" if lstm else "hx"

        def state(*shape, cls=cls, make=tr.zeros):
            return (make(*shape), tr.zeros(*shape)) if cls is nn.LSTM else make(*shape)

        cases += [
            Case(g, "input of rank 4", lambda cls=cls: cls(4, 3)(tr.randn(5, 2, 4, 1)), OpError,
                 rf"{n}: expected input of shape \(T, batch, 4\) or \(T, 4\) unbatched, got \(5, 2, 4, 1\)"),
            Case(g, "input of rank 1", lambda cls=cls: cls(4, 3)(tr.randn(4)), OpError,
                 rf"{n}: expected input of shape \(T, batch, 4\).* got \(4,\)"),
            Case(g, "wrong input size", lambda cls=cls: cls(4, 3)(tr.randn(5, 2, 6)), OpError,
                 rf"{n}: expected input of shape \(T, batch, 4\).* got \(5, 2, 6\)"),
            Case(g, "integer input", lambda cls=cls: cls(4, 3)(ints(5, 2, 4)), OpError,
                 rf"{n}: input dtype int64 does not match the parameters' dtype float32"),
            Case(g, "float64 input, float32 parameters", lambda cls=cls: cls(4, 3)(tr.randn(5, 2, 4, dtype=tr.float64)),
                 OpError, rf"{n}: input dtype float64 does not match the parameters' dtype float32"),
            Case(g, "NumPy array as input", lambda cls=cls: cls(4, 3)(np.zeros((5, 2, 4), np.float32)), OpError,
                 rf"{n}: input must be a Tensor, got ndarray"),
            Case(g, "empty sequence (T=0)", lambda cls=cls: cls(4, 3)(tr.randn(0, 2, 4)), OpError,
                 rf"{n}: expected at least one time step and one batch item, got input of shape \(0, 2, 4\)"),
            Case(g, "zero-length batch (B=0)", lambda cls=cls: cls(4, 3)(tr.randn(5, 0, 4)), OpError,
                 rf"{n}: expected at least one time step and one batch item, got input of shape \(5, 0, 4\)"),
            Case(g, "a length longer than the sequence", lambda cls=cls, x=x: cls(4, 3)(x, lengths=[6, 3]), OpError,
                 rf"{n}: every length must lie in 1\.\.5 \(the padded number of steps\), got \[6, 3\]"),
            Case(g, "a length of 0", lambda cls=cls, x=x: cls(4, 3)(x, lengths=[0, 3]), OpError,
                 rf"{n}: every length must lie in 1\.\.5 .*got \[0, 3\]"),
            Case(g, "a negative length", lambda cls=cls, x=x: cls(4, 3)(x, lengths=[-1, 3]), OpError,
                 rf"{n}: every length must lie in 1\.\.5 .*got \[-1, 3\]"),
            Case(g, "float lengths", lambda cls=cls, x=x: cls(4, 3)(x, lengths=[2.0, 3.0]), OpError,
                 rf"{n}: lengths must be integers, got dtype float64"),
            Case(g, "one length too many", lambda cls=cls, x=x: cls(4, 3)(x, lengths=[2, 3, 4]), OpError,
                 rf"{n}: lengths must hold one int per batch item \(2\), got shape \(3,\)"),
            Case(g, "hx with the wrong batch", lambda cls=cls, x=x, s=state: cls(4, 3)(x, s(1, 3, 3)), OpError,
                 rf"{n}: expected {h0} of shape \(1, 2, 3\) \(num_layers \* num_directions, batch, hidden_size\), "
                 r"got \(1, 3, 3\)"),
            Case(g, "hx for one direction of a bidirectional layer",
                 lambda cls=cls, x=x, s=state: cls(4, 3, bidirectional=True)(x, s(1, 2, 3)), OpError,
                 rf"{n}: expected {h0} of shape \(2, 2, 3\) .*got \(1, 2, 3\)"),
            Case(g, "hx of another dtype", lambda cls=cls, x=x: cls(4, 3)(x, (
                (tr.zeros(1, 2, 3, dtype=tr.float64), tr.zeros(1, 2, 3)) if cls is nn.LSTM
                else tr.zeros(1, 2, 3, dtype=tr.float64))), OpError,
                rf"{n}: {h0} has dtype float64 but the input has dtype float32; they must match"),
            Case(g, "hx on another device", _with_other_device(lambda cls=cls, x=x: cls(4, 3)(x, (
                (on_other(tr.zeros(1, 2, 3)), tr.zeros(1, 2, 3)) if cls is nn.LSTM
                else on_other(tr.zeros(1, 2, 3))))), DeviceError,
                rf"{n}: {h0} is on cuda but the input is on cpu; move it with \.to\(device\)"),
        ]
        if lstm:
            cases.append(Case(g, "hx as one Tensor, not (h_0, c_0)", lambda x=x: nn.LSTM(4, 3)(x, tr.zeros(1, 2, 3)),
                              OpError, r"LSTM: hx must be a tuple \(h_0, c_0\) of two Tensors of shape \(1, 2, 3\), "
                                       r"got Tensor"))
        else:
            cases.append(Case(g, "hx as a tuple", lambda cls=cls, x=x: cls(4, 3)(x, (tr.zeros(1, 2, 3),)), OpError,
                              rf"{n}: hx must be a Tensor, got tuple"))
    return cases


def cell_cases():
    cases = []
    for cls in (nn.RNNCell, nn.LSTMCell, nn.GRUCell):
        n = cls.__name__
        g = f"nn.{n}"
        wrong_state = ((tr.zeros(2, 3), tr.zeros(3, 3)) if cls is nn.LSTMCell else tr.zeros(2, 4))
        state_name, got = ("c", r"\(3, 3\)") if cls is nn.LSTMCell else ("hx", r"\(2, 4\)")
        cases += [
            Case(g, "input of rank 3", lambda cls=cls: cls(4, 3)(tr.randn(5, 2, 4)), OpError,
                 rf"{n}: expected input of shape \(batch, 4\) or \(4,\), got \(5, 2, 4\)"),
            Case(g, "integer input", lambda cls=cls: cls(4, 3)(ints(2, 4)), OpError,
                 rf"{n}: input dtype int64 does not match the parameters' dtype float32"),
            Case(g, "zero-length batch (B=0)", lambda cls=cls: cls(4, 3)(tr.randn(0, 4)), OpError,
                 rf"{n}: expected at least one batch item, got input of shape \(0, 4\)"),
            Case(g, "state of the wrong shape", lambda cls=cls, s=wrong_state: cls(4, 3)(tr.randn(2, 4), s), OpError,
                 rf"{n}: expected {state_name} of shape \(2, 3\), got {got}"),
        ]
    return cases


def variant_cases():
    """The recurrent variants: PeepholeLSTM, JordanRNN, ClockworkRNN."""
    cases = []
    for name, make in (("PeepholeLSTM", lambda: nn.PeepholeLSTM(4, 4)), ("JordanRNN", lambda: nn.JordanRNN(4, 4, 2)),
                       ("ClockworkRNN", lambda: nn.ClockworkRNN(4, 4, periods=[1, 2]))):
        g = "recurrent variants"
        cases += [
            Case(g, f"{name}: integer input", lambda make=make: make()(ints(5, 2, 4)), OpError,
                 rf"{name}: input dtype int64 does not match the parameters' dtype float32"),
            Case(g, f"{name}: input of rank 4", lambda make=make: make()(tr.randn(5, 2, 4, 1)), OpError,
                 rf"{name}: expected input of shape \(T, batch, input_size\) or \(batch, T, input_size\) with "
                 r"input_size=4, got \(5, 2, 4, 1\)"),
            Case(g, f"{name}: empty sequence (T=0)", lambda make=make: make()(tr.randn(0, 2, 4)), OpError,
                 rf"{name}: expected at least one time step, got an empty sequence \(T=0\)"),
            Case(g, f"{name}: a length longer than the sequence",
                 lambda make=make: make()(tr.randn(5, 2, 4), lengths=[6, 2]), OpError,
                 rf"{name}: every length must lie in 1\.\.5 \(the padded number of steps\), got \[6, 2\]"),
        ]
    return cases


def construction_cases():
    g = "constructors"
    return [
        Case(g, "LSTM hidden_size 0", lambda: nn.LSTM(4, 0), OpError, r"LSTM: hidden_size must be an int >= 1, got 0"),
        Case(g, "GRU input_size 4.0", lambda: nn.GRU(4.0, 3), OpError,
             r"GRU: input_size must be an int >= 0, got 4\.0"),
        Case(g, "RNN nonlinearity 'sigmoid'", lambda: nn.RNN(4, 3, nonlinearity="sigmoid"), OpError,
             r"RNN: nonlinearity must be one of \('tanh', 'relu'\), got 'sigmoid'"),
        Case(g, "LSTM dropout 2", lambda: nn.LSTM(4, 3, dropout=2), OpError,
             r"LSTM: dropout must be a probability in \[0, 1\], got 2"),
        Case(g, "LSTM impl 'cudnn'", lambda: nn.LSTM(4, 3, impl="cudnn"), OpError,
             r"LSTM: impl must be one of \('fused', 'composite'\).*got 'cudnn'"),
        Case(g, "Linear in_features -1", lambda: nn.Linear(-1, 3), OpError,
             r"Linear: in_features must be an int >= 0, got -1"),
        Case(g, "Embedding num_embeddings -1", lambda: nn.Embedding(-1, 3), OpError,
             r"Embedding: num_embeddings must be an int >= 0, got -1"),
        Case(g, "Embedding padding_idx out of range", lambda: nn.Embedding(5, 2, padding_idx=7), OpError,
             r"Embedding: padding_idx 7 is out of range for 5 embeddings"),
        Case(g, "Dropout p 1.5", lambda: nn.Dropout(1.5), OpError,
             r"Dropout: probability p must be in \[0, 1\], got 1\.5"),
        Case(g, "MultiheadAttention 8 dims, 3 heads", lambda: nn.MultiheadAttention(8, 3), OpError,
             r"MultiheadAttention: embed_dim \(8\) must be a positive multiple of num_heads \(3\)"),
    ]


def layer_cases():
    g = "nn.Linear / nn.Embedding"
    return [
        Case(g, "Linear: wrong in_features", lambda: nn.Linear(4, 3)(tr.randn(2, 5)), OpError,
             r"Linear: expected input of shape \(\.\.\., 4\), got \(2, 5\)"),
        Case(g, "Linear: a 0-d input", lambda: nn.Linear(4, 3)(tr.tensor(1.0)), OpError,
             r"Linear: expected input of shape \(\.\.\., 4\), got \(\)"),
        Case(g, "Linear: integer input", lambda: nn.Linear(4, 3)(ints(2, 4)), OpError,
             r"Linear: input must be floating point like the weight \(float32\), got dtype int64"),
        Case(g, "Linear: a list as input", lambda: nn.Linear(4, 3)([[1.0, 2.0, 3.0, 4.0]]), OpError,
             r"Linear: input must be a Tensor, got list"),
        Case(g, "Linear: input on another device",
             _with_other_device(lambda: nn.Linear(3, 2)(on_other(tr.randn(2, 3)))), DeviceError,
             r"MatMul: all inputs must be on the same device, got cuda, cpu \(shape \(2, 3\) float32 on "
             r"cuda, shape \(3, 2\) float32 on cpu\)"),
        Case(g, "Embedding: index = num_embeddings", lambda: nn.Embedding(10, 3)(tr.tensor([1, 10])), OpError,
             r"embedding: ids must lie in \[0, 10\), got values from 1 to 10"),
        Case(g, "Embedding: negative index", lambda: nn.Embedding(10, 3)(tr.tensor([-1])), OpError,
             r"embedding: ids must lie in \[0, 10\), got values from -1 to -1"),
        Case(g, "Embedding: float ids", lambda: nn.Embedding(10, 3)(tr.tensor([1.0])), OpError,
             r"embedding: ids must be integers, got dtype float32"),
        Case(g, "Embedding: ids on another device",
             _with_other_device(lambda: nn.Embedding(5, 2)(on_other(np.array([1, 2])))), DeviceError,
             r"embedding: ids are on cuda but the weight is on cpu"),
    ]


def loss_cases():
    g = "losses"
    logits = tr.randn(4, 5)
    return [
        Case(g, "cross_entropy: target of the wrong shape", lambda: F.cross_entropy(logits, tr.tensor([1, 2, 3])),
             OpError, r"cross_entropy: for input of shape \(4, 5\) the class-index target must have shape \(4,\), "
                      r"got \(3,\)"),
        Case(g, "cross_entropy: (N, T, C) logits with (N, T) targets",
             lambda: F.cross_entropy(tr.randn(2, 5, 3), ints(2, 5)), OpError,
             r"cross_entropy: for input of shape \(2, 5, 3\) the class-index target must have shape \(2, 3\), "
             r"got \(2, 5\)"),
        Case(g, "cross_entropy: class index = C", lambda: F.cross_entropy(logits, tr.tensor([1, 2, 3, 5])), OpError,
             r"cross_entropy: target 5 is out of bounds for 5 classes \(valid: 0\.\.4, or ignore_index=-100\)"),
        Case(g, "cross_entropy: negative class index", lambda: F.cross_entropy(logits, tr.tensor([1, 2, 3, -2])),
             OpError, r"cross_entropy: target -2 is out of bounds for 5 classes"),
        Case(g, "cross_entropy: float targets of the wrong shape",
             lambda: F.cross_entropy(logits, tr.tensor([1.0, 2.0, 3.0, 4.0])), OpError,
             r"cross_entropy \(class probabilities\): input has shape \(4, 5\) but target has shape \(4,\)"),
        Case(g, "cross_entropy: a 0-d input", lambda: F.cross_entropy(tr.tensor(1.0), tr.tensor(0)), OpError,
             r"cross_entropy: input must have shape \(C,\), \(N, C\) or \(N, C, d1, \.\.\.\), got a scalar"),
        Case(g, "cross_entropy: reduction 'avg'", lambda: F.cross_entropy(logits, ints(4), reduction="avg"), OpError,
             r"cross_entropy: reduction must be one of \('none', 'mean', 'sum'\), got 'avg'"),
        Case(g, "cross_entropy: class weights of the wrong size",
             lambda: F.cross_entropy(logits, ints(4), weight=tr.ones(4)), OpError,
             r"cross_entropy: weight must have one entry per class, shape \(5,\), got \(4,\)"),
        Case(g, "cross_entropy: target on another device",
             _with_other_device(lambda: F.cross_entropy(tr.randn(2, 3), on_other(np.array([1, 2])))), DeviceError,
             r"cross_entropy: target is on cuda but input is on cpu"),
        Case(g, "nll_loss: float class indices", lambda: F.nll_loss(logits, tr.tensor([1.0, 2.0, 3.0, 4.0])), OpError,
             r"nll_loss: class-index target must hold integers, got dtype float32"),
        Case(g, "mse_loss: shapes differ", lambda: F.mse_loss(tr.randn(3), tr.randn(4)), OpError,
             r"mse_loss: input has shape \(3,\) but target has shape \(4,\); they must be equal"),
        Case(g, "mse_loss: (N, 1) input, (N,) target", lambda: F.mse_loss(tr.randn(3, 1), tr.randn(3)), OpError,
             r"mse_loss: input has shape \(3, 1\) but target has shape \(3,\).*broadcasting here is almost always"),
        Case(g, "mse_loss: integer target", lambda: F.mse_loss(tr.randn(3), tr.tensor([1, 2, 3])), OpError,
             r"mse_loss: target has dtype int64 but input has dtype float32; .*must be floating point"),
        Case(g, "l1_loss: integer target", lambda: F.l1_loss(tr.randn(3), tr.tensor([1, 2, 3])), OpError,
             r"l1_loss: target has dtype int64 but input has dtype float32"),
        Case(g, "binary_cross_entropy_with_logits: integer 0/1 target",
             lambda: F.binary_cross_entropy_with_logits(tr.randn(3), tr.tensor([1, 0, 1])), OpError,
             r"binary_cross_entropy_with_logits: target has dtype int64 but input has dtype float32"),
        Case(g, "binary_cross_entropy_with_logits: shapes differ",
             lambda: F.binary_cross_entropy_with_logits(tr.randn(3), tr.randn(4)), OpError,
             r"binary_cross_entropy_with_logits: input has shape \(3,\) but target has shape \(4,\)"),
        Case(g, "mse_loss: target on another device",
             _with_other_device(lambda: F.mse_loss(tr.randn(3), on_other(tr.randn(3)))), DeviceError,
             r"Sub: all inputs must be on the same device, got cpu, cuda"),
    ]


def attention_cases():
    g = "attention"
    q = tr.randn(5, 2, 8)

    def mha(*args, **kwargs):
        return nn.MultiheadAttention(8, 2)(*args, **kwargs)

    return [
        Case(g, "MultiheadAttention: wrong embed dim", lambda: mha(*(tr.randn(5, 2, 6),) * 3), OpError,
             r"MultiheadAttention: expected feature sizes \(embed_dim, kdim, vdim\) = \(8, 8, 8\), got \(6, 6, 6\)"),
        Case(g, "MultiheadAttention: query of rank 4", lambda: mha(tr.randn(5, 2, 8, 1), q, q), OpError,
             r"MultiheadAttention: query, key and value must all be batched \(L, N, E\) or all unbatched \(L, E\), "
             r"got \(5, 2, 8, 1\), \(5, 2, 8\), \(5, 2, 8\)"),
        Case(g, "MultiheadAttention: batch sizes differ", lambda: mha(q, tr.randn(5, 3, 8), tr.randn(5, 3, 8)), OpError,
             r"MultiheadAttention: batch and source sizes disagree: query \(5, 2, 8\), key \(5, 3, 8\)"),
        Case(g, "MultiheadAttention: key_padding_mask of the wrong shape",
             lambda: mha(q, q, q, key_padding_mask=tr.tensor(np.zeros((2, 4), dtype=bool))), OpError,
             r"MultiheadAttention: key_padding_mask has shape \(2, 4\), expected \(2, 5\)"),
        Case(g, "MultiheadAttention: attn_mask of the wrong shape",
             lambda: mha(q, q, q, attn_mask=tr.tensor(np.zeros((4, 5), dtype=bool))), OpError,
             r"MultiheadAttention: attn_mask has shape \(4, 5\), expected \(5, 5\) or \(4, 5, 5\)"),
        Case(g, "MultiheadAttention: integer attn_mask",
             lambda: mha(q, q, q, attn_mask=ints(5, 5)), OpError,
             r"MultiheadAttention: attn_mask must be boolean \(True = not allowed\) or float .*got dtype int64"),
        Case(g, "MultiheadAttention: every key masked",
             lambda: mha(q, q, q, key_padding_mask=tr.tensor(np.ones((2, 5), dtype=bool))), OpError,
             r"MultiheadAttention: every key is masked for batch rows \[0, 1\].*0/0 = NaN"),
        Case(g, "MultiheadAttention: no keys (S=0)", lambda: mha(q, tr.randn(0, 2, 8), tr.randn(0, 2, 8)), OpError,
             r"MultiheadAttention: key and value have no positions \(source length 0, key \(0, 2, 8\)\)"),
        Case(g, "MultiheadAttention: integer inputs", lambda: mha(*(ints(5, 2, 8),) * 3), OpError,
             r"MultiheadAttention: query, key and value must be floating point like the weights, got dtypes int64"),
        Case(g, "MultiheadAttention: mask on another device", _with_other_device(
            lambda: mha(q, q, q, key_padding_mask=on_other(np.zeros((2, 5), dtype=bool)))), DeviceError,
             r"MultiheadAttention: key_padding_mask is on cuda but the query is on cpu"),
        Case(g, "DotProductAttention: key width differs", lambda: nn.DotProductAttention(4)(tr.randn(2, 4),
                                                                                            tr.randn(2, 7, 5)),
             OpError, r"DotProductAttention: expected query \(\.\.\., 4\) and keys \(\.\.\., 4\), got \(2, 1, 4\) and "
                      r"\(2, 7, 5\)"),
        Case(g, "DotProductAttention: no keys (S=0)", lambda: nn.DotProductAttention(4)(tr.randn(2, 4),
                                                                                       tr.randn(2, 0, 4)),
             OpError, r"DotProductAttention: keys have no positions \(shape \(2, 0, 4\)\)"),
        Case(g, "AdditiveAttention: integer padding mask", lambda: nn.AdditiveAttention(4, 4, 6)(
            tr.randn(2, 4), tr.randn(2, 7, 4), key_padding_mask=ints(2, 7)), OpError,
             r"AdditiveAttention: key_padding_mask must be boolean \(True = padding, not attended\), got dtype int64"),
        Case(g, "lengths_to_padding_mask: negative length", lambda: nn.lengths_to_padding_mask([2, -1]), OpError,
             r"lengths_to_padding_mask: lengths must be non-negative, got \[2, -1\]"),
    ]


def nan_cases():
    g = "NaN and inf"
    return [
        Case(g, "NaN input to an LSTM (anomaly mode off)", _nan_flows_through_lstm, None,
             r"output all NaN: True, h_n all NaN: True"),
        Case(g, "NaN logits in cross_entropy (anomaly mode off)", _nan_logits_give_nan_loss, None, r"loss nan"),
        Case(g, "NaN input to an LSTM under detect_anomaly", _nan_caught_by_anomaly_mode, FloatingPointError,
             r"detect_anomaly: LSTMBPTT produced NaN in its forward output h_t at step t=0 \(shape \(2, 3\)\) "
             r"in scope LSTM layer 0 forward/t=0"),
        Case(g, "RNN overflowing at step 3 under detect_anomaly", _overflow_at_a_time_step, FloatingPointError,
             r"detect_anomaly: \w+ produced inf in its forward output (#0|h_t at step t=3) \(shape \(1, 3\)\) in scope "
             r"RNN layer 0 forward/t=3"),
        Case(g, "inf gradient (sqrt at 0) under detect_anomaly", _inf_gradient_caught_in_backward, FloatingPointError,
             r"detect_anomaly: Sqrt produced inf in its backward gradient #0 \(shape \(2,\)\); the op was created at "
             r".*error_survey\.py"),
        Case(g, "clip_grad_norm_ of a NaN gradient, error_if_nonfinite", _clip_nonfinite, RuntimeError,
             r"clip_grad_norm_: the total norm of order 2\.0 of the gradients is nan"),
    ]


def engine_cases():
    g = "engine"
    return [
        Case(g, "matmul of (2, 3) and (4, 5)", lambda: tr.randn(2, 3) @ tr.randn(4, 5), OpError,
             r"matmul: shapes \(2, 3\) and \(4, 5\) do not align: the last axis of the first \(3\) must equal the "
             r"second-to-last axis of the second \(4\)"),
        Case(g, "add of shapes that do not broadcast", lambda: tr.randn(2, 3) + tr.randn(4, 5), OpError,
             r"Add: operands could not be broadcast together with shapes \(2,3\) \(4,5\).*\(inputs: shape \(2, 3\) "
             r"float32 on cpu, shape \(4, 5\) float32 on cpu\)"),
        Case(g, "reshape (2, 3) to (4, 2)", lambda: tr.randn(2, 3).reshape(4, 2), OpError,
             r"reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into \(4, 2\)"),
        Case(g, "index out of range", lambda: tr.randn(2, 3)[5], OpError,
             r"getitem: index 5 is invalid for a tensor of shape \(2, 3\)"),
        Case(g, "sum over axis 5 of a 2-d tensor", lambda: tr.randn(2, 3).sum(axis=5), OpError,
             r"sum: dim 5 is out of range for a tensor with 2 dimensions"),
        Case(g, "softmax over axis 4 of a 2-d tensor", lambda: tr.randn(2, 3).softmax(axis=4), OpError,
             r"softmax: dim 4 is out of range for a tensor of shape \(2, 3\)"),
        Case(g, "concat of mismatched shapes", lambda: tr.concat([tr.randn(2, 3), tr.randn(3, 4)], axis=0), OpError,
             r"cat: tensor #1 has shape \(3, 4\), which differs from tensor #0's shape \(2, 3\) outside dim 0"),
        Case(g, "stack of mismatched shapes", lambda: tr.stack([tr.randn(2, 3), tr.randn(3, 3)]), OpError,
             r"stack: expected tensors of one shape, got shapes \(2, 3\), \(3, 3\)"),
        Case(g, "transpose of axes out of range", lambda: tr.randn(2, 3).transpose(0, 5), OpError,
             r"transpose: dim 5 is out of range for a tensor of shape \(2, 3\) \(expected -2 to 1\)"),
        Case(g, "where with shapes that do not broadcast",
             lambda: tr.where(tr.tensor([True, False]), tr.randn(3), tr.randn(3)), OpError,
             r"Where: operands could not be broadcast together .*\(inputs: shape \(2,\) bool on cpu"),
        Case(g, "Tensor from ragged lists", lambda: tr.Tensor([[1, 2], [3]]), OpError,
             r"Tensor: cannot make an array from this list: .*inhomogeneous"),
        Case(g, "Tensor from a string", lambda: tr.tensor("abc"), OpError,
             r"tensor: data must be numbers or booleans, got dtype <U3"),
        Case(g, "requires_grad on an integer tensor", lambda: tr.tensor([1, 2], requires_grad=True), OpError,
             r"requires_grad: only floating-point tensors can require gradients, got dtype int64"),
        Case(g, "item() of 3 elements", lambda: tr.randn(3).item(), OpError,
             r"item: only a tensor with one element converts to a Python number, got shape \(3,\)"),
        Case(g, "if tensor: with 3 elements", lambda: bool(tr.randn(3)), OpError,
             r"bool: the truth value of a tensor of shape \(3,\) is ambiguous; use \.all\(\) or \.any\(\)"),
        Case(g, "a device that does not exist", lambda: tr.randn(2).to("tpu"), DeviceError,
             r"unknown device 'tpu': expected one of \('cpu', 'cuda'\)"),
        Case(g, "add of a cpu and a cuda tensor",
             _with_other_device(lambda: tr.randn(2, 3) + on_other(tr.randn(2, 3))), DeviceError,
             r"Add: all inputs must be on the same device, got cpu, cuda \(shape \(2, 3\) float32 on cpu, "
             r"shape \(2, 3\) float32 on cuda\); move them with \.to\(device\) first"),
        Case(g, "gradcheck in float32", lambda: tr.gradcheck(lambda a: a.sum(), [tr.randn(3, requires_grad=True)]),
             OpError, r"gradcheck: input of shape \(3,\) is float32; use float64"),
    ]


def cuda_cases():
    """Asking for "cuda" where it cannot be had; skipped on a machine with a working GPU."""
    if tr.cuda_available():
        return []
    g = "device"
    return [
        Case(g, "Tensor.to('cuda') without a usable GPU", lambda: tr.randn(2).to("cuda"), DeviceError,
             r"device 'cuda' was requested but CuPy (is not installed|is installed but no CUDA GPU is available)"),
        Case(g, "Module.to('cuda') without a usable GPU", lambda: nn.Linear(2, 2).to("cuda"), DeviceError,
             r"device 'cuda' was requested but CuPy"),
    ]


def autograd_cases():
    g = "backward"
    return [
        Case(g, "backward twice through a freed graph", _backward_twice, GraphError,
             r"backward: Sum was already backpropagated and its saved arrays freed; call "
             r"backward\(retain_graph=True\)"),
        Case(g, "backward on a non-scalar without grad", lambda: (tr.randn(3, requires_grad=True) * 2).backward(),
             GraphError, r"backward: gradient can be omitted only for a one-element output, got shape \(3,\)"),
        Case(g, "backward on a tensor without a graph", lambda: tr.randn(3).sum().backward(), GraphError,
             r"backward: this tensor does not require grad and has no graph"),
        Case(g, "backward with a grad of the wrong shape",
             lambda: (tr.randn(3, requires_grad=True) * 2).backward(tr.ones(4)), GraphError,
             r"backward: gradient has shape \(4,\) but the tensor has shape \(3,\)"),
        Case(g, "backward with a grad on another device", _with_other_device(
            lambda: (tr.randn(3, requires_grad=True) * 2).backward(on_other(tr.ones(3)))), DeviceError,
             r"backward: gradient is on cuda but the tensor is on cpu"),
        Case(g, "a saved input changed before backward", _changed_before_backward, GraphError,
             r"backward: input #0 of Mul \(shape \(3,\)\) was modified in place after the forward pass "
             r"\(version 0 -> 1\)"),
    ]


def state_cases():
    g = "state_dict / checkpoints"

    def load(d, **kwargs):
        return nn.Linear(3, 2).load_state_dict(d, **kwargs)

    return [
        Case(g, "load_state_dict: a missing key", lambda: load({"weight": tr.zeros(2, 3)}), StateDictError,
             r"load_state_dict for Linear failed:\n  missing keys: bias"),
        Case(g, "load_state_dict: an unexpected key",
             lambda: load({"weight": tr.zeros(2, 3), "bias": tr.zeros(2), "scale": tr.zeros(1)}), StateDictError,
             r"load_state_dict for Linear failed:\n  unexpected keys: scale"),
        Case(g, "load_state_dict: a wrong shape", lambda: load({"weight": tr.zeros(3, 3), "bias": tr.zeros(2)}),
             StateDictError, r"wrong shape for weight: checkpoint has shape \(3, 3\), the model expects \(2, 3\)"),
        Case(g, "load_state_dict: lists as values", lambda: load({"weight": [[0.0] * 3] * 2, "bias": [0.0, 0.0]}),
             StateDictError, r"weight: checkpoint holds a list, the model expects a Tensor or array of shape \(2, 3\)"),
        Case(g, "load_state_dict: not a dict", lambda: load([1, 2]), OpError,
             r"load_state_dict for Linear: expected a dict of name -> Tensor or array .*got list"),
        Case(g, "tr.load: a file of garbage", lambda: _load_file(b"garbage" * 10), CheckpointError,
             r"load: .*\.ckpt is not a checkpoint: it is neither a zip archive nor a legacy PyTorch file"),
        Case(g, "tr.load: an empty file", lambda: _load_file(b""), CheckpointError,
             r"load: .*\.ckpt is not a checkpoint: it is empty"),
        Case(g, "tr.load: a truncated checkpoint", _load_truncated, CheckpointError,
             r"load: .*\.ckpt is not a valid checkpoint archive: it has no zip end record \(truncated\?\)"),
        Case(g, "tr.load: a file that does not exist", lambda: tr.load("/nonexistent/model.ckpt"), FileNotFoundError,
             r"No such file or directory: '/nonexistent/model\.ckpt'"),
        Case(g, "tr.load: a directory", _load_directory, CheckpointError,
             r"load: /.* is a directory, not a regular file"),
        Case(g, "tr.save: a lambda in the state", lambda: _save({"f": lambda: 0}), CheckpointError,
             r"save: obj cannot be pickled: .*lambda"),
        Case(g, "tr.save: a tuple as a key", lambda: _save({(1, 2): 1}), CheckpointError,
             r"save: obj: a dict key or set item is \(1, 2\) \(a tuple\); keys must be str, bytes, bool, None"),
        Case(g, "tr.save: into a folder that does not exist", _save_into_missing_folder, FileNotFoundError,
             r"save: cannot write .*model\.ckpt: the folder .*such does not exist"),
    ]


def optimizer_cases():
    g = "optimizers"
    layer = nn.Linear(3, 2)
    return [
        Case(g, "SGD of plain floats", lambda: optim.SGD([1.0, 2.0], lr=0.1), OpError,
             r"SGD: can only optimize Tensors, got a float"),
        Case(g, "Adam of an empty list", lambda: optim.Adam([], lr=0.1), OpError, r"Adam: got an empty parameter list"),
        Case(g, "Adam of an exhausted generator", lambda: optim.Adam((p for p in []), lr=0.1), OpError,
             r"Adam: got an empty parameter list"),
        Case(g, "Adam of one Tensor, not a list", lambda: optim.Adam(layer.weight, lr=0.1), OpError,
             r"Adam: params must be an iterable of Tensors or of dicts, got a single Tensor; wrap it in a list"),
        Case(g, "SGD of a computed (non-leaf) tensor", lambda: optim.SGD([tr.randn(2, requires_grad=True) * 2], lr=0.1),
             OpError, r"SGD: can only optimize leaf Tensors \(shape \(2,\) was computed from others\)"),
        Case(g, "SGD with a parameter twice", lambda: optim.SGD([layer.weight, layer.weight], lr=0.1), OpError,
             r"SGD: a parameter appears in more than one group \(or twice in one\)"),
        Case(g, "SGD lr -1", lambda: optim.SGD(layer.parameters(), lr=-1), OpError,
             r"SGD: Invalid learning rate: -1 \(expected a number >= 0\)"),
        Case(g, "Adam betas (1.5, 0.9)", lambda: optim.Adam(layer.parameters(), betas=(1.5, 0.9)), OpError,
             r"Adam: Invalid beta parameter at index 0: 1\.5 \(expected a number in \[0, 1\)\)"),
        Case(g, "SGD lr '0.1' (a string)", lambda: optim.SGD(layer.parameters(), lr="0.1"), OpError,
             r"SGD: lr must be a number, got '0\.1'"),
        Case(g, "step() with a gradient of the wrong shape", _step_with_wrong_gradient, OpError,
             r"grad: assigned a gradient of shape \(5,\) on cpu to a tensor of shape \(2, 3\) on cpu; they must match"),
        Case(g, "optimizer load_state_dict of a list",
             lambda: optim.SGD(layer.parameters(), lr=0.1).load_state_dict([1]), OpError,
             r"SGD\.load_state_dict: expected a dict with 'state' and 'param_groups', got list"),
    ]


def all_cases():
    return (engine_cases() + cuda_cases() + autograd_cases() + construction_cases() + layer_cases()
            + recurrent_cases() + cell_cases() + variant_cases() + attention_cases() + loss_cases() + nan_cases()
            + state_cases() + optimizer_cases())


# ---- running and judging -------------------------------------------------------------------------

def _raised_inside_numpy(exc):
    frames = traceback.extract_tb(exc.__traceback__)
    last = frames[-1].filename if frames else ""
    return any(f"{os.sep}{lib}{os.sep}" in last for lib in ("numpy", "cupy", "cupyx"))


def answer(case):
    """Run one case -> (exception type name or "-", message, verdict)."""
    try:
        result = case.run()
    except Exception as exc:  # noqa: BLE001 - every answer is what we survey
        message = str(exc)
        kind = type(exc).__name__
        if isinstance(exc, AssertionError):
            return kind, message, "BAD: AssertionError"
        if case.error is not None and isinstance(exc, case.error) and re.search(case.match, message, re.DOTALL):
            return kind, message, "ok"
        if _raised_inside_numpy(exc):
            return kind, message, "BAD: bare NumPy/CuPy"
        return kind, message, "BAD: unexpected"
    text = str(result)
    if case.error is None and re.search(case.match, text, re.DOTALL):
        return "-", text, "ok: value"
    return "-", text, "BAD: no error"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="print whole messages")
    args = parser.parse_args(argv)
    tr.manual_seed(0)
    rows = []
    for case in all_cases():
        kind, message, verdict = answer(case)
        rows.append((case, kind, message, verdict))
    group = None
    for i, (case, kind, message, verdict) in enumerate(rows, 1):
        if case.group != group:
            group = case.group
            print(f"\n== {group}")
            print(f"{'#':>3}  {'case':<52} {'answer':<20} {'verdict':<10} message")
        text = " | ".join(line.strip() for line in message.splitlines())
        if not args.full and len(text) > 150:
            text = text[:147] + "..."
        print(f"{i:>3}  {case.name:<52} {kind:<20} {verdict:<10} {text}")
    verdicts, kinds = {}, {}
    for _, kind, _, verdict in rows:
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f"\n{len(rows)} cases: " + ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items())))
    print("answers: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])))
    return 0 if all(v.startswith("ok") for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
