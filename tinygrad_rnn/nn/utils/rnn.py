"""nn.utils.rnn: batches of sequences of different lengths, padded or packed, as PyTorch's.

A padded batch is one tensor (T, B, *) (or (B, T, *) with batch_first) with
zeros (or padding_value) past each sequence's end. A packed batch keeps only the
real steps, time step by time step, the sequences sorted longest first:

    lengths [3, 1, 2] -> sorted_indices [0, 2, 1], batch_sizes [3, 2, 1]
    data = [x0_t0, x2_t0, x1_t0, x0_t1, x2_t1, x0_t2]      (sum(lengths), *)

batch_sizes[t] is how many sequences are still running at step t; data row
offset(t) + j holds step t of the j-th longest sequence (offset(t) = sum of the
batch_sizes before t). unsorted_indices undoes the sort: sequence b is the
unsorted_indices[b]-th longest.

Packing and unpacking are one gather each (an integer index built on the host
from the lengths), so the gradient flows back to the padded input or the packed
data as the indexing op's scatter-add; padding receives none.
"""

from collections import namedtuple

from ... import backend
from ...creation import full, tensor
from ...errors import OpError
from ...functions import concat
from ...tensor import Tensor

np = backend.np


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """(data, batch_sizes, sorted_indices, unsorted_indices), as PyTorch's.

        data: (sum(lengths), *) the real steps; batch_sizes: int64 CPU Tensor (T,)
        sorted_indices, unsorted_indices: int64 Tensors (B,) on data's device, or None when the
        batch was given sorted (enforce_sorted=True)

    Made by pack_padded_sequence or pack_sequence; nn.RNN, LSTM and GRU take one and return one.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if not isinstance(data, Tensor):
            raise OpError(f"PackedSequence: data must be a Tensor, got {type(data).__name__}")
        if batch_sizes is None:
            raise OpError("PackedSequence: batch_sizes is required; build one with pack_padded_sequence or "
                          "pack_sequence rather than by hand")
        batch_sizes = _index_tensor(batch_sizes, "cpu")
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = tensor(np.argsort(sorted_indices.numpy(), kind="stable"), device=data.device)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """data.to(...) (a device, a dtype or both); the indices follow data's device, batch_sizes stays on
        the CPU, as PyTorch's."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def move(index):
            return None if index is None else index.to(data.device)

        return _with_host_order(type(self)(data, self.batch_sizes, move(self.sorted_indices),
                                           move(self.unsorted_indices)), _order(self))

    def cuda(self, device=None):
        return self.to("cuda")

    def cpu(self):
        return self.to("cpu")

    def double(self):
        return self.to(backend.float64)

    def float(self):
        return self.to(backend.float32)

    @property
    def is_cuda(self):
        return self.data.device == "cuda"


def _with_host_order(sequence, order):
    """Keep the sort order on the host beside the sequence, so that unpacking a sequence whose indices
    live on the GPU reads nothing back from it."""
    sequence._host_order = order
    return sequence


def _index_tensor(values, device):
    if isinstance(values, Tensor) and values.dtype == backend.int64 and values.device == device:
        return values
    array = np.asarray(values.numpy() if isinstance(values, Tensor) else values, dtype=np.int64)
    return tensor(array, device=device)


def _host_lengths(lengths, where_):
    """lengths (a list of ints or a 1-D integer CPU Tensor/array) -> a host int64 array, checked."""
    if isinstance(lengths, Tensor):
        if lengths.device != "cpu":
            raise backend.DeviceError(f"{where_}: lengths must be a list or a CPU int64 Tensor (PyTorch's rule: "
                                      f"the sort happens on the host), got a Tensor on {lengths.device}; "
                                      "pass lengths.cpu()")
        array = lengths.numpy()
    else:
        try:
            array = np.asarray(backend.to_numpy(lengths) if backend.is_array(lengths) else lengths)
        except (TypeError, ValueError):
            raise OpError(f"{where_}: lengths must be a list of ints or a 1-D int64 Tensor, "
                          f"got {type(lengths).__name__}") from None
    if array.ndim != 1:
        raise OpError(f"{where_}: lengths must be 1-D (one int per sequence), got shape {array.shape}")
    if array.size and array.dtype.kind not in "iu":
        raise OpError(f"{where_}: lengths must be integers, got dtype {array.dtype} ({array.tolist()[:8]}); "
                      "a fractional length has no meaning")
    return array.astype(np.int64)


def _packed_rows(batch_sizes):
    """offset(t) for each step: where step t's rows start in data."""
    return np.concatenate([[0], np.cumsum(batch_sizes)[:-1]]).astype(np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Padded batch -> PackedSequence.

        input: (T, B, *) or (B, T, *) with batch_first; lengths: B ints in 1..T (a list or a CPU Tensor)
        enforce_sorted=True: lengths must be non-increasing (sorted_indices None);
        enforce_sorted=False: sorted here, longest first (a stable sort, as PyTorch's on the CPU)
    """
    where_ = "pack_padded_sequence"
    if not isinstance(input, Tensor):
        raise OpError(f"{where_}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim < 2:
        raise OpError(f"{where_}: input must have at least 2 dimensions ((T, B, *), or (B, T, *) with "
                      f"batch_first), got shape {tuple(input.shape)}")
    lengths = _host_lengths(lengths, where_)
    steps, batch = (input.shape[1], input.shape[0]) if batch_first else (input.shape[0], input.shape[1])
    if lengths.shape[0] != batch:
        raise OpError(f"{where_}: expected len(lengths) to be equal to batch_size, but got {lengths.shape[0]} "
                      f"(batch_size={batch}, input shape {tuple(input.shape)}, batch_first={batch_first})")
    if batch == 0:
        raise OpError(f"{where_}: cannot pack an empty batch (input shape {tuple(input.shape)})")
    if lengths.min() <= 0:
        raise OpError(f"{where_}: every length must be greater than 0 (a sequence without steps cannot be "
                      f"packed), got lengths {lengths.tolist()}")
    if lengths.max() > steps:
        raise OpError(f"{where_}: a length exceeds the padded number of steps T={steps}: got lengths "
                      f"{lengths.tolist()} for input of shape {tuple(input.shape)} (batch_first={batch_first})")
    if enforce_sorted:
        if (np.diff(lengths) > 0).any():
            raise OpError(f"{where_}: lengths must be sorted in decreasing order when enforce_sorted=True, got "
                          f"{lengths.tolist()}; pass enforce_sorted=False to have them sorted here")
        order = np.arange(batch)
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = tensor(order, device=input.device)
    batch_sizes = (lengths[order][None, :] > np.arange(int(lengths.max()))[:, None]).sum(axis=1)
    packed = _pack(input, batch_sizes, order, batch_first)
    unsorted = None if sorted_indices is None else tensor(np.argsort(order, kind="stable"), device=input.device)
    return _with_host_order(PackedSequence(packed, batch_sizes, sorted_indices, unsorted), order)


def _pack(padded, batch_sizes, order, batch_first):
    """The gather behind packing: data row offset(t) + j = padded step t of sequence order[j]."""
    steps, batch = (padded.shape[1], padded.shape[0]) if batch_first else (padded.shape[0], padded.shape[1])
    t = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    j = np.concatenate([np.arange(n) for n in batch_sizes])
    b = order[j]
    flat = padded.reshape((batch * steps,) + tuple(padded.shape[2:]))
    return flat[b * steps + t if batch_first else t * batch + b]


def pack_data(padded, packed_like):
    """A time-major padded output (T, B, *) packed in the layout of `packed_like` (its batch_sizes and
    sorted_indices): how a recurrent layer returns a PackedSequence for a PackedSequence."""
    order = _order(packed_like)
    data = _pack(padded, packed_like.batch_sizes.numpy(), order, batch_first=False)
    packed = PackedSequence(data, packed_like.batch_sizes, packed_like.sorted_indices, packed_like.unsorted_indices)
    return _with_host_order(packed, order)


def _order(sequence):
    """sorted_indices as a host array (arange when the batch came sorted)."""
    order = getattr(sequence, "_host_order", None)
    if order is not None:
        return order
    if sequence.sorted_indices is None:
        return np.arange(int(sequence.batch_sizes.numpy()[0]))
    return sequence.sorted_indices.numpy().astype(np.int64)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """PackedSequence -> (padded, lengths), the inverse of pack_padded_sequence.

        padded: (T, B, *) ((B, T, *) with batch_first), T = total_length or the longest length,
            sequences in their original order, padding_value past each end
        lengths: int64 CPU Tensor (B,), each sequence's length, in the original order
    """
    where_ = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise OpError(f"{where_}: expected a PackedSequence (from pack_padded_sequence or pack_sequence), "
                      f"got {type(sequence).__name__}")
    batch_sizes = sequence.batch_sizes.numpy()
    longest, batch = len(batch_sizes), int(batch_sizes[0])
    if total_length is not None and total_length < longest:
        raise OpError(f"{where_}: expected total_length to be at least the length of the longest sequence in "
                      f"input, but got total_length={total_length} and max sequence length being {longest}")
    steps = longest if total_length is None else int(total_length)
    order = _order(sequence)
    sorted_lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(axis=1)   # j-th longest's length
    lengths = np.empty(batch, dtype=np.int64)
    lengths[order] = sorted_lengths
    # row of data for (t, b), or the padding row (index len(data)) past b's end
    rank = np.empty(batch, dtype=np.int64)
    rank[order] = np.arange(batch)
    t = np.arange(steps)[:, None]
    offsets = np.concatenate([_packed_rows(batch_sizes), np.zeros(steps - longest, dtype=np.int64)])
    rows = np.where(t < lengths[None, :], offsets[:, None] + rank[None, :], sequence.data.shape[0])   # (T, B)
    if batch_first:
        rows = rows.T
    data = sequence.data
    pad = full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    return concat([data, pad], dim=0)[rows], tensor(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """A list of B tensors (L_b, *) -> one padded tensor (T, B, *) ((B, T, *) with batch_first),
    T = max L_b, padding_value where a sequence has ended (after it, or before it with padding_side="left")."""
    where_ = "pad_sequence"
    if isinstance(sequences, Tensor):
        sequences = [sequences[i] for i in range(sequences.shape[0])]   # a (B, L, *) tensor: B sequences
    sequences = list(sequences)
    if not sequences:
        raise OpError(f"{where_}: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise OpError(f"{where_}: expected padding_side to be one of 'left' or 'right', got {padding_side!r}")
    for i, s in enumerate(sequences):
        if not isinstance(s, Tensor):
            raise OpError(f"{where_}: sequence #{i} is a {type(s).__name__}, expected a Tensor")
        if s.ndim == 0:
            raise OpError(f"{where_}: sequence #{i} is 0-d; each sequence needs a time dimension (L, *)")
        if tuple(s.shape[1:]) != tuple(sequences[0].shape[1:]) or s.device != sequences[0].device:
            raise OpError(f"{where_}: sequence #{i} has shape {tuple(s.shape)} on {s.device}, but sequence #0 has "
                          f"{tuple(sequences[0].shape)} on {sequences[0].device}; all must agree after the first "
                          "dimension and share a device")
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    steps, first = int(lengths.max()), sequences[0]
    pad = full((1,) + tuple(first.shape[1:]), padding_value, dtype=first.dtype, device=first.device)
    rows = concat(sequences + [pad], dim=0)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    t = np.arange(steps)[:, None]
    shift = 0 if padding_side == "right" else steps - lengths[None, :]   # left: sequence b starts at T - L_b
    local = t - shift
    index = np.where((local >= 0) & (local < lengths[None, :]), starts[None, :] + local, lengths.sum())   # (T, B)
    return rows[index.T if batch_first else index]


def pack_sequence(sequences, enforce_sorted=True):
    """A list of B tensors (L_b, *) -> PackedSequence (pad_sequence, then pack_padded_sequence)."""
    sequences = list(sequences)
    if not sequences:
        raise OpError("pack_sequence: received an empty list of sequences")
    lengths = [s.shape[0] if isinstance(s, Tensor) else None for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def invert_permutation(permutation):
    """The inverse of an index permutation (unsorted_indices from sorted_indices); None stays None."""
    if permutation is None:
        return None
    order = permutation.numpy() if isinstance(permutation, Tensor) else np.asarray(permutation)
    device = permutation.device if isinstance(permutation, Tensor) else "cpu"
    if order.ndim != 1 or order.dtype.kind not in "iu" or sorted(order.tolist()) != list(range(len(order))):
        raise OpError(f"invert_permutation: expected a 1-D permutation of 0..n-1, got {order.tolist()}")
    return tensor(np.argsort(order, kind="stable"), device=device)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The inverse of pad_sequence: a padded (T, B, *) tensor and B lengths -> B tensors (L_b, *)."""
    lengths = _host_lengths(lengths, "unpad_sequence")
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[b, :int(n)] for b, n in enumerate(lengths)]


def unpack_sequence(packed_sequences):
    """The inverse of pack_sequence: a PackedSequence -> its B tensors (L_b, *), in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "pack_sequence",
           "unpad_sequence", "unpack_sequence", "invert_permutation"]
