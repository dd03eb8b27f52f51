"""nn.RNN / LSTM / GRU given a PackedSequence, and nn.LSTM(proj_size=), against PyTorch in float64
with the same weights: packed outputs, h_n / c_n (each sequence's last real step, in the original
batch order) and the gradients of the input, the initial state and every parameter."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn
from tinygrad_rnn.nn.utils import rnn as R

torch = pytest.importorskip("torch")
TR = torch.nn.utils.rnn

T, B, IN, H = 5, 4, 3, 4
LENGTHS = {True: [5, 3, 3, 1], False: [3, 5, 1, 3]}   # by enforce_sorted


def build(cls, **options):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, cls)(IN, H, **options).double()
    ours = getattr(nn, cls)(IN, H, **options).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def states(s):
    return list(s) if isinstance(s, tuple) else [s]


def compare_packed(cls, options, enforce_sorted, batch_first, with_hx, device="cpu"):
    ours, theirs = build(cls, **options)
    ours.to(device)
    rng = np.random.default_rng(2)
    lengths = LENGTHS[enforce_sorted]
    x_np = rng.standard_normal((B, T, IN) if batch_first else (T, B, IN))
    x_t = torch.tensor(x_np, requires_grad=True)
    x = tr.tensor(x_np, requires_grad=True, device=device)
    hx_t = hx = None
    if with_hx:
        rows = ours.num_layers * ours.num_directions
        widths = [options.get("proj_size") or H] + ([H] if cls == "LSTM" else [])
        hx_np = [rng.standard_normal((rows, B, w)) for w in widths]
        hx_t = [torch.tensor(h, requires_grad=True) for h in hx_np]
        hx = [tr.tensor(h, requires_grad=True, device=device) for h in hx_np]
    packed_t = TR.pack_padded_sequence(x_t, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    packed = R.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    out_t, state_t = theirs(packed_t, None if hx_t is None else (tuple(hx_t) if cls == "LSTM" else hx_t[0]))
    out, state = ours(packed, None if hx is None else (tuple(hx) if cls == "LSTM" else hx[0]))
    assert isinstance(out, R.PackedSequence)
    np.testing.assert_array_equal(out.batch_sizes.numpy(), out_t.batch_sizes.numpy())
    outs_t, outs = [out_t.data] + states(state_t), [out.data] + states(state)
    weights = [rng.standard_normal(tuple(o.shape)) for o in outs_t]
    sum((o * torch.tensor(w)).sum() for o, w in zip(outs_t, weights)).backward()
    total = outs[0].sum() * 0.0
    for o, w in zip(outs, weights):
        total = total + (o * tr.tensor(w, device=device)).sum()
    total.backward()
    for mine, ref in zip(outs, outs_t):
        assert tuple(mine.shape) == tuple(ref.shape)
        np.testing.assert_allclose(mine.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), rtol=1e-9, atol=1e-12)
    for h, h_t in zip(hx or [], hx_t or []):
        np.testing.assert_allclose(h.grad.numpy(), h_t.grad.numpy(), rtol=1e-9, atol=1e-12)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


LAYOUTS = [({}, "1layer"), ({"bidirectional": True}, "1layer_bi"), ({"num_layers": 2}, "2layers"),
           ({"num_layers": 2, "bidirectional": True}, "2layers_bi")]


@pytest.mark.parametrize("with_hx", [False, True], ids=["zero_hx", "hx"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time_major", "batch_first"])
@pytest.mark.parametrize("enforce_sorted", [True, False], ids=["sorted", "unsorted"])
@pytest.mark.parametrize("options", [o for o, _ in LAYOUTS], ids=[i for _, i in LAYOUTS])
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_packed_sequence_matches_torch(cls, options, enforce_sorted, batch_first, with_hx):
    compare_packed(cls, dict(options, batch_first=batch_first), enforce_sorted, batch_first, with_hx)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_packed_sequence_matches_torch_on_each_device(device, cls):
    compare_packed(cls, {"num_layers": 2, "bidirectional": True}, False, False, True, device=device)


@pytest.mark.parametrize("impl", ["fused", "composite"])
def test_packed_sequence_gives_the_same_numbers_with_both_implementations(impl):
    torch.manual_seed(0)
    theirs = torch.nn.GRU(IN, H, bidirectional=True).double()
    ours = nn.GRU(IN, H, bidirectional=True, impl=impl).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((T, B, IN))
    out, h = ours(R.pack_padded_sequence(tr.tensor(x), LENGTHS[False], enforce_sorted=False))
    out_t, h_t = theirs(TR.pack_padded_sequence(torch.tensor(x), LENGTHS[False], enforce_sorted=False))
    np.testing.assert_allclose(out.data.numpy(), out_t.data.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), h_t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_packed_output_keeps_the_input_indices():
    lstm = nn.LSTM(IN, H)
    packed = R.pack_sequence([tr.randn(2, IN), tr.randn(4, IN)], enforce_sorted=False)
    out, _ = lstm(packed)
    assert out.batch_sizes is packed.batch_sizes and out.sorted_indices is packed.sorted_indices
    assert out.unsorted_indices is packed.unsorted_indices


def test_packed_gradients_pass_gradcheck():
    rnn = nn.RNN(2, 3, bidirectional=True).double()
    x = tr.tensor(np.random.default_rng(0).standard_normal((3, 2, 2)), requires_grad=True)

    def run(x):
        out, h = rnn(R.pack_padded_sequence(x, [1, 3], enforce_sorted=False))
        return R.pad_packed_sequence(out)[0].sum() + (h * h).sum()

    assert tr.gradcheck(run, (x,))


# ---- proj_size -----------------------------------------------------------------------------------

def test_proj_size_parameters_have_torch_names_shapes_and_order():
    ours = nn.LSTM(IN, H, num_layers=2, bidirectional=True, proj_size=2)
    theirs = torch.nn.LSTM(IN, H, num_layers=2, bidirectional=True, proj_size=2)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]


@pytest.mark.parametrize("with_lengths", [False, True])
@pytest.mark.parametrize("options", [o for o, _ in LAYOUTS], ids=[i for _, i in LAYOUTS])
def test_proj_size_matches_torch(options, with_lengths):
    ours, theirs = build("LSTM", proj_size=2, **options)
    x_np = np.random.default_rng(5).standard_normal((T, B, IN))
    x_t, x = torch.tensor(x_np, requires_grad=True), tr.tensor(x_np, requires_grad=True)
    if with_lengths:
        out_t, (h_t, c_t) = theirs(TR.pack_padded_sequence(x_t, LENGTHS[False], enforce_sorted=False))
        out_t = TR.pad_packed_sequence(out_t, total_length=T)[0]
        out, (h, c) = ours(x, lengths=LENGTHS[False])
    else:
        out_t, (h_t, c_t) = theirs(x_t)
        out, (h, c) = ours(x)
    directions = 2 if options.get("bidirectional") else 1
    assert tuple(out.shape) == (T, B, 2 * directions) and tuple(h.shape) == (options.get("num_layers", 1) *
                                                                            directions, B, 2)
    assert tuple(c.shape) == tuple(c_t.shape)
    for mine, ref in ((out, out_t), (h, h_t), (c, c_t)):
        np.testing.assert_allclose(mine.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    (out_t.sum() + h_t.sum() + (c_t * c_t).sum()).backward()
    (out.sum() + h.sum() + (c * c).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), rtol=1e-9, atol=1e-12)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


def test_proj_size_takes_h0_of_the_projected_width():
    lstm = nn.LSTM(IN, H, proj_size=2)
    out, (h, c) = lstm(tr.randn(T, B, IN), (tr.zeros(1, B, 2), tr.zeros(1, B, H)))
    assert tuple(h.shape) == (1, B, 2) and tuple(c.shape) == (1, B, H)
    with pytest.raises(tr.OpError, match=r"LSTM: expected h_0 of shape \(1, 4, 2\).*got \(1, 4, 4\)"):
        lstm(tr.randn(T, B, IN), (tr.zeros(1, B, H), tr.zeros(1, B, H)))


def test_proj_size_unbatched_input():
    out, (h, c) = nn.LSTM(IN, H, proj_size=3)(tr.randn(T, IN))
    assert tuple(out.shape) == (T, 3) and tuple(h.shape) == (1, 3) and tuple(c.shape) == (1, H)


@pytest.mark.parametrize("proj_size,match", [(-1, "proj_size should be a positive integer or zero"),
                                             (4, "proj_size has to be smaller than hidden_size, got proj_size=4")])
def test_bad_proj_size_is_refused(proj_size, match):
    with pytest.raises(tr.OpError, match=match):
        nn.LSTM(IN, H, proj_size=proj_size)


def test_flatten_parameters_is_a_no_op():
    for cls in (nn.RNN, nn.LSTM, nn.GRU):
        layer = cls(IN, H)
        before = {n: p.numpy().copy() for n, p in layer.named_parameters()}
        assert layer.flatten_parameters() is None
        assert all(np.array_equal(before[n], p.numpy()) for n, p in layer.named_parameters())


# ---- errors --------------------------------------------------------------------------------------

def test_lengths_with_a_packed_sequence_are_refused():
    packed = R.pack_sequence([tr.randn(2, IN)])
    with pytest.raises(tr.OpError, match=r"GRU: lengths= cannot be given with a PackedSequence"):
        nn.GRU(IN, H)(packed, lengths=[2])


def test_packed_data_of_the_wrong_width_is_refused():
    packed = R.pack_sequence([tr.randn(2, IN + 1)])
    with pytest.raises(tr.OpError, match=r"LSTM: expected a PackedSequence whose data has shape \(sum\(lengths\), "
                                         r"3\), got \(2, 4\)"):
        nn.LSTM(IN, H)(packed)


def test_packed_data_of_the_wrong_dtype_is_refused():
    packed = R.pack_sequence([tr.randn(2, IN)])
    with pytest.raises(tr.OpError, match=r"RNN: input dtype float32 does not match the parameters' dtype float64"):
        nn.RNN(IN, H).double()(packed)


def test_proj_size_gradients_pass_gradcheck():
    lstm = nn.LSTM(2, 3, proj_size=2, bidirectional=True).double()
    x = tr.tensor(np.random.default_rng(0).standard_normal((3, 2, 2)), requires_grad=True)
    weight_hr = lstm.weight_hr_l0_reverse

    def run(x, weight_hr):
        out, (h, c) = lstm(x, lengths=[3, 2])
        return out.sum() + (h * c[..., :2]).sum()

    assert tr.gradcheck(run, (x, weight_hr))


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_recurrent_modules_take_torch_factory_arguments(device, cls):
    layer = getattr(nn, cls)(IN, H, device=device, dtype=tr.float64)
    assert all(p.device == device and p.dtype == tr.float64 for p in layer.parameters())
    theirs = getattr(torch.nn, cls)(IN, H, dtype=torch.float64)
    assert [n for n, _ in layer.named_parameters()] == [n for n, _ in theirs.named_parameters()]
