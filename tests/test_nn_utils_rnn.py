"""nn.utils.rnn: pad_sequence, pack_padded_sequence, pack_sequence, pad_packed_sequence and
PackedSequence against PyTorch's numbers and layout, their gradients, and their errors."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import backend
from tinygrad_rnn.nn.utils import rnn as R

torch = pytest.importorskip("torch")
TR = torch.nn.utils.rnn

SORTED, UNSORTED = [4, 3, 3, 1, 1], [1, 4, 2, 4, 3]   # UNSORTED has ties: the sort must be stable, as torch's


def padded(batch_first, steps=4, batch=5, features=2):
    shape = (batch, steps, features) if batch_first else (steps, batch, features)
    return np.random.default_rng(3).standard_normal(shape)


def same(ours, theirs):
    np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted,lengths", [(True, SORTED), (False, UNSORTED)], ids=["sorted", "unsorted"])
def test_pack_padded_sequence_matches_torch(device, batch_first, enforce_sorted, lengths):
    x = padded(batch_first)
    ours = R.pack_padded_sequence(tr.tensor(x, device=device), lengths, batch_first, enforce_sorted)
    theirs = TR.pack_padded_sequence(torch.tensor(x), lengths, batch_first, enforce_sorted)
    same(ours.data, theirs.data)
    same(ours.batch_sizes, theirs.batch_sizes)
    assert ours.batch_sizes.device == "cpu" and ours.batch_sizes.dtype == tr.int64
    assert ours.data.device == device
    if enforce_sorted:
        assert ours.sorted_indices is None and ours.unsorted_indices is None
    else:
        same(ours.sorted_indices, theirs.sorted_indices)
        same(ours.unsorted_indices, theirs.unsorted_indices)
        assert ours.sorted_indices.device == device


def test_lengths_may_be_a_cpu_int64_tensor():
    x = padded(False)
    ours = R.pack_padded_sequence(tr.tensor(x), tr.tensor(UNSORTED), enforce_sorted=False)
    theirs = TR.pack_padded_sequence(torch.tensor(x), torch.tensor(UNSORTED), enforce_sorted=False)
    same(ours.data, theirs.data)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("total_length", [None, 6])
@pytest.mark.parametrize("enforce_sorted,lengths", [(True, SORTED), (False, UNSORTED)], ids=["sorted", "unsorted"])
def test_pad_packed_sequence_matches_torch(device, batch_first, total_length, enforce_sorted, lengths):
    x = padded(False)
    ours = R.pack_padded_sequence(tr.tensor(x, device=device), lengths, enforce_sorted=enforce_sorted)
    theirs = TR.pack_padded_sequence(torch.tensor(x), lengths, enforce_sorted=enforce_sorted)
    out, out_lengths = R.pad_packed_sequence(ours, batch_first, padding_value=-7.0, total_length=total_length)
    ref, ref_lengths = TR.pad_packed_sequence(theirs, batch_first, padding_value=-7.0, total_length=total_length)
    same(out, ref)
    same(out_lengths, ref_lengths)
    assert out.device == device and out_lengths.device == "cpu" and out_lengths.dtype == tr.int64


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch(device, batch_first, padding_side):
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((n, 3)) for n in (2, 5, 1, 0)]
    out = R.pad_sequence([tr.tensor(s, device=device) for s in seqs], batch_first, 9.0, padding_side)
    ref = TR.pad_sequence([torch.tensor(s) for s in seqs], batch_first, 9.0, padding_side)
    same(out, ref)
    assert out.device == device


def test_pad_sequence_of_a_tensor_pads_its_rows_as_torch():
    x = np.arange(6.0).reshape(2, 3)
    same(R.pad_sequence(tr.tensor(x)), TR.pad_sequence(torch.tensor(x)))


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack_sequence_match_torch(device, enforce_sorted):
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((n, 2)) for n in ((5, 3, 1) if enforce_sorted else (2, 5, 1))]
    ours = R.pack_sequence([tr.tensor(s, device=device) for s in seqs], enforce_sorted=enforce_sorted)
    theirs = TR.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=enforce_sorted)
    same(ours.data, theirs.data)
    same(ours.batch_sizes, theirs.batch_sizes)
    for back, s in zip(R.unpack_sequence(ours), seqs):
        np.testing.assert_array_equal(back.numpy(), s)


def test_unpad_sequence_undoes_pad_sequence():
    seqs = [tr.tensor(np.arange(n * 2.0).reshape(n, 2)) for n in (3, 1, 2)]
    back = R.unpad_sequence(R.pad_sequence(seqs, batch_first=True), [3, 1, 2], batch_first=True)
    for a, b in zip(back, seqs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_packed_sequence_is_a_named_tuple_with_torch_fields():
    packed = R.pack_sequence([tr.ones(3, 2), tr.ones(1, 2)])
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert R.PackedSequence._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert data is packed.data and batch_sizes.tolist() == [2, 1, 1]
    assert sorted_indices is None and unsorted_indices is None


def test_packed_sequence_built_from_sorted_indices_derives_unsorted_ones():
    packed = R.PackedSequence(tr.ones(4, 2), tr.tensor([2, 1, 1]), tr.tensor([1, 0]))
    assert packed.unsorted_indices.tolist() == [1, 0]


def test_packed_sequence_to_casts_data_and_keeps_batch_sizes(device):
    packed = R.pack_sequence([tr.ones(3, 2), tr.ones(1, 2)], enforce_sorted=False)
    moved = packed.to(device)
    assert moved.data.device == device and moved.sorted_indices.device == device
    assert moved.batch_sizes.device == "cpu"
    assert moved.is_cuda == (device == "cuda")
    assert packed.double().data.dtype == tr.float64 and packed.to(tr.float64).batch_sizes.dtype == tr.int64


def test_pack_then_pad_gradients_pass_gradcheck(device):
    x = tr.tensor(padded(True, steps=4, batch=3), device=device, requires_grad=True)

    def roundtrip(x):
        packed = R.pack_padded_sequence(x, [2, 4, 1], batch_first=True, enforce_sorted=False)
        return R.pad_packed_sequence(packed, batch_first=True, padding_value=0.5)[0] * 1.5

    assert tr.gradcheck(roundtrip, (x,))


def test_pad_sequence_gradients_pass_gradcheck(device):
    rng = np.random.default_rng(0)
    seqs = tuple(tr.tensor(rng.standard_normal((n, 2)), device=device, requires_grad=True) for n in (3, 1, 2))
    assert tr.gradcheck(lambda *s: R.pad_sequence(list(s), padding_side="left") ** 2, seqs)


def test_padding_gets_no_gradient():
    x = tr.tensor(padded(False, steps=3, batch=2), requires_grad=True)
    R.pack_padded_sequence(x, [3, 1]).data.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[:, 1, 0], [1.0, 0.0, 0.0])


# ---- errors ------------------------------------------------------------------------------------

def test_unsorted_lengths_with_enforce_sorted_are_refused():
    with pytest.raises(tr.OpError, match=r"pack_padded_sequence: lengths must be sorted in decreasing order when "
                                         r"enforce_sorted=True, got \[1, 4, 2, 4, 3\]; pass enforce_sorted=False"):
        R.pack_padded_sequence(tr.tensor(padded(False)), UNSORTED)


def test_zero_length_is_refused():
    with pytest.raises(tr.OpError, match=r"pack_padded_sequence: every length must be greater than 0.*\[4, 0, 1"):
        R.pack_padded_sequence(tr.tensor(padded(False)), [4, 0, 1, 1, 2], enforce_sorted=False)


def test_length_beyond_the_padded_steps_is_refused():
    with pytest.raises(tr.OpError, match=r"a length exceeds the padded number of steps T=4: got lengths \[6"):
        R.pack_padded_sequence(tr.tensor(padded(False)), [6, 3, 3, 1, 1])


def test_wrong_number_of_lengths_is_refused():
    with pytest.raises(tr.OpError, match=r"expected len\(lengths\) to be equal to batch_size, but got 3 "
                                         r"\(batch_size=5"):
        R.pack_padded_sequence(tr.tensor(padded(False)), [3, 2, 1])


@pytest.mark.parametrize("lengths", [[3.5, 2, 1, 1, 1], "float_tensor"])
def test_fractional_lengths_are_refused(lengths):
    if lengths == "float_tensor":
        lengths = tr.tensor([3.0, 2.0, 1.0, 1.0, 1.0])
    with pytest.raises(tr.OpError, match=r"pack_padded_sequence: lengths must be integers, got dtype float"):
        R.pack_padded_sequence(tr.tensor(padded(False)), lengths)


def test_lengths_on_the_gpu_are_refused(monkeypatch):
    lengths = tr.tensor(SORTED)
    monkeypatch.setattr(type(lengths), "device", property(lambda self: "cuda"))
    with pytest.raises(backend.DeviceError, match=r"pack_padded_sequence: lengths must be a list or a CPU int64 "
                                                  r"Tensor.*got a Tensor on cuda; pass lengths.cpu\(\)"):
        R.pack_padded_sequence(tr.ones(4, 5, 2), lengths)


def test_two_dimensional_lengths_are_refused():
    with pytest.raises(tr.OpError, match=r"lengths must be 1-D \(one int per sequence\), got shape \(1, 5\)"):
        R.pack_padded_sequence(tr.tensor(padded(False)), [SORTED])


def test_total_length_shorter_than_the_longest_is_refused():
    packed = R.pack_padded_sequence(tr.tensor(padded(False)), SORTED)
    with pytest.raises(tr.OpError, match=r"expected total_length to be at least the length of the longest sequence "
                                         r"in input, but got total_length=2 and max sequence length being 4"):
        R.pad_packed_sequence(packed, total_length=2)


def test_pad_packed_sequence_wants_a_packed_sequence():
    with pytest.raises(tr.OpError, match=r"pad_packed_sequence: expected a PackedSequence.*got Tensor"):
        R.pad_packed_sequence(tr.ones(3, 2))


def test_pad_sequence_errors():
    with pytest.raises(tr.OpError, match=r"pad_sequence: received an empty list of sequences"):
        R.pad_sequence([])
    with pytest.raises(tr.OpError, match=r"pad_sequence: expected padding_side to be one of 'left' or 'right', "
                                         r"got 'up'"):
        R.pad_sequence([tr.ones(2)], padding_side="up")
    with pytest.raises(tr.OpError, match=r"pad_sequence: sequence #1 has shape \(3,\) on cpu, but sequence #0 has "
                                         r"\(2, 2\)"):
        R.pad_sequence([tr.ones(2, 2), tr.ones(3)])
    with pytest.raises(tr.OpError, match=r"pad_sequence: sequence #0 is a list, expected a Tensor"):
        R.pad_sequence([[1.0, 2.0]])


def test_pack_sequence_with_an_empty_sequence_is_refused():
    with pytest.raises(tr.OpError, match=r"every length must be greater than 0"):
        R.pack_sequence([tr.ones(2, 1), tr.ones(0, 1)])


def test_invert_permutation_matches_torch():
    order = [2, 0, 3, 1]
    same(R.invert_permutation(tr.tensor(order)), TR.invert_permutation(torch.tensor(order)))
    assert R.invert_permutation(None) is None
    with pytest.raises(tr.OpError, match=r"invert_permutation: expected a 1-D permutation of 0..n-1, got \[0, 0\]"):
        R.invert_permutation(tr.tensor([0, 0]))


def test_every_public_torch_name_of_nn_utils_rnn_exists():
    names = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "pack_sequence",
             "unpad_sequence", "unpack_sequence", "invert_permutation"]
    assert all(hasattr(TR, n) for n in names) and [n for n in names if not hasattr(R, n)] == []
