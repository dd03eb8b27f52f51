"""Batching variable-length sequences: shuffle, pad to the batch's longest, keep lengths.

    loader = SequenceLoader(sequences, targets, batch_size=32, shuffle=True)
    for batch in loader:
        batch.inputs          Tensor (B, T_max, ...) padded with pad_value
        batch.lengths         int64 array (B,): each sequence's true length
        batch.targets         Tensor: (B, ...) for fixed-size targets, or
                              (B, U_max, ...) padded when targets vary in length
        batch.target_lengths  int64 array (B,) in the second case, else None

Padding is to the longest sequence of each batch, not of the whole data set,
so short batches cost little; the lengths let recurrent layers skip the pads
(`rnn(x, lengths=batch.lengths)`).
"""

from collections import namedtuple

from .. import backend
from ..backend import np
from ..creation import tensor
from ..errors import OpError
from ..tensor import Tensor

Batch = namedtuple("Batch", ["inputs", "lengths", "targets", "target_lengths"])


def pad_sequences(sequences, pad_value=0, dtype=None):
    """(padded (n, T_max, ...), lengths (n,)) from n arrays (or Tensors, or lists) of shape (T_i, ...).

    The padded array is built where the sequences are: on a GPU when any of them is
    there (no copy to the host and back), else on the host; lengths is a host int64 array."""
    arrays = [s.array if isinstance(s, Tensor) else s for s in sequences]
    xp = np
    if any(backend.device_of(a) == "cuda" for a in arrays if backend.is_array(a)):
        xp = backend.xp_for("cuda")
        arrays = [backend.as_array(a, device="cuda") if backend.is_array(a) else xp.asarray(np.asarray(a))
                  for a in arrays]
    else:
        arrays = [np.asarray(a) for a in arrays]
    if not arrays:
        raise OpError("pad_sequences: got no sequences")
    tail = arrays[0].shape[1:]
    for i, a in enumerate(arrays):
        if a.ndim == 0 or a.shape[1:] != tail:
            raise OpError(f"pad_sequences: sequence {i} has shape {a.shape}, expected (length, *{tail}) "
                             "like the first one")
    lengths = np.array([len(a) for a in arrays], dtype=np.int64)
    out = xp.full((len(arrays), int(lengths.max()), *tail), pad_value,
                  dtype=dtype or np.result_type(*[a.dtype for a in arrays]))
    for i, a in enumerate(arrays):
        out[i, :len(a)] = a
    return out, lengths


class SequenceLoader:
    """Iterate over (sequence, target) pairs in padded batches; see the module docstring.

    sequences: list of arrays (T_i, ...) or one array (n, T, ...); targets: None, an
    array (n, ...) (one target per item, stacked), or a list of arrays (target
    sequences, padded per batch and returned with their lengths). Shuffling draws from the
    library's generator (tr.manual_seed) unless `rng` is given; float inputs become
    float32 tensors on `device`, integer ones int64.
    """

    def __init__(self, sequences, targets=None, batch_size=32, shuffle=True, pad_value=0,
                 target_pad_value=None, drop_last=False, device=None, rng=None):
        if targets is not None and len(targets) != len(sequences):
            raise OpError(f"SequenceLoader: {len(sequences)} sequences but {len(targets)} targets")
        if batch_size < 1:
            raise OpError(f"SequenceLoader: batch_size must be positive, got {batch_size}")
        self.sequences, self.targets = sequences, targets
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.pad_value = pad_value
        self.target_pad_value = pad_value if target_pad_value is None else target_pad_value
        self.device = backend.check_device(device)
        self.rng = rng
        # a list of arrays holds sequences (padded per batch, with lengths); an array, one target per item
        self.sequence_targets = (targets is not None and not hasattr(targets, "shape") and len(targets) > 0
                                 and np.ndim(targets[0]) > 0)

    def __len__(self):
        n = len(self.sequences)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.sequences)
        order = (self.rng or backend.rng()).permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            index = order[start:start + self.batch_size]
            if self.drop_last and len(index) < self.batch_size:
                return
            yield self.collate(index)

    def collate(self, index):
        inputs, lengths = pad_sequences([self.sequences[i] for i in index], self.pad_value)
        targets = target_lengths = None
        if self.targets is not None:
            picked = [np.asarray(self.targets[i]) for i in index]
            if self.sequence_targets:
                targets, target_lengths = pad_sequences(picked, self.target_pad_value)
            else:
                targets = np.stack(picked)
            targets = self._tensor(targets)
        return Batch(self._tensor(inputs), lengths, targets, target_lengths)

    def _tensor(self, array):
        dtype = np.float32 if array.dtype.kind == "f" else np.int64 if array.dtype.kind in "iub" else None
        return tensor(array.astype(dtype) if dtype is not None else array, device=self.device)
