"""Masks for attention, and the masked softmax every attention module shares.

Convention (PyTorch's): in a boolean mask True means "do not attend here".

    key_padding_mask  (batch, keys)      True at the padded positions of each source
    causal_mask(n)    (n, n)             True above the diagonal: query i sees keys 0..i

A masked score becomes -inf before the softmax, so its weight is exactly 0 and
no gradient reaches it. A row whose every key is masked has no distribution to
give: on the CPU, instead of the 0/0 = NaN a plain softmax would produce, the
module raises an error naming itself and the batch rows. On a GPU that check
would stop the GPU at every call, so there the row comes out NaN (as PyTorch's
does), and under `tr.detect_anomaly()` the same error is raised.
"""

from ... import backend
from ...autograd import is_anomaly_enabled
from ...creation import tensor
from ...errors import OpError
from ...functions import where
from ...tensor import Tensor


def lengths_to_padding_mask(lengths, max_len=None, device=None):
    """(batch, max_len) boolean Tensor, True at position s >= lengths[b] (the padding).

    lengths: ints (list, array or Tensor), one per batch row; max_len defaults to max(lengths).
    The mask is built on the host from host lengths and copied to `device` once;
    lengths on a GPU are read back first (keep them on the host in a training loop).
    """
    lengths = lengths.array if isinstance(lengths, Tensor) else lengths
    lengths = backend.to_numpy(lengths) if backend.is_array(lengths) else backend.np.asarray(lengths)
    if lengths.ndim != 1 or lengths.dtype.kind not in "iu":
        raise OpError(f"lengths_to_padding_mask: expected a 1-D sequence of ints, got shape {lengths.shape} "
                      f"dtype {lengths.dtype}")
    if (lengths < 0).any():
        raise OpError(f"lengths_to_padding_mask: lengths must be non-negative, got {lengths.tolist()}")
    max_len = int(lengths.max()) if max_len is None else max_len
    mask = backend.np.arange(max_len)[None, :] >= lengths[:, None]
    return tensor(mask, device=device)


def causal_mask(size, device=None):
    """(size, size) boolean Tensor, True above the diagonal: query i may attend to keys 0..i only.

    Pass it as `attn_mask` to MultiheadAttention (the boolean form of PyTorch's
    `nn.Transformer.generate_square_subsequent_mask`)."""
    if size < 1:
        raise OpError(f"causal_mask: size must be positive, got {size}")
    return tensor(backend.np.triu(backend.np.ones((size, size), dtype=bool), k=1), device=device)


def as_padding_mask(mask, batch, keys, device, module):
    """key_padding_mask (Tensor, array or nested lists; boolean) -> (batch, keys) bool array on `device`."""
    if mask is None:
        return None
    array = mask.array if isinstance(mask, Tensor) else backend.as_array(mask, device=device)
    if backend.device_of(array) != device:
        raise backend.DeviceError(f"{module}: key_padding_mask is on {backend.device_of(array)} but the keys are "
                                  f"on {device}")
    if array.dtype != bool:
        raise OpError(f"{module}: key_padding_mask must be boolean (True = padding, not attended), got dtype "
                      f"{array.dtype}")
    if tuple(array.shape) != (batch, keys):
        raise OpError(f"{module}: key_padding_mask has shape {tuple(array.shape)}, expected (batch, keys) = "
                      f"({batch}, {keys})")
    return array


def check_rows_attend(masked, module, shape=None):
    """Raise if any row of `masked` (batch, ..., keys; True = masked), broadcast to `shape`
    when given, has every key masked. Checked on the CPU always, on a GPU only under
    detect_anomaly() (reading the answer back would stop the GPU at every call)."""
    if backend.device_of(masked) != "cpu" and not is_anomaly_enabled():
        return
    xp = backend.xp_of(masked)
    empty = (masked if shape is None else xp.broadcast_to(masked, shape)).all(axis=-1)
    if not bool(empty.any()):
        return
    where_empty = backend.to_numpy(xp.argwhere(empty))
    rows = sorted({int(i[0]) for i in where_empty})
    detail = ""
    if empty.ndim > 1:
        first = tuple(int(i) for i in where_empty[0])
        detail = f" (first such row at index {first} of the (batch, ...) axes {tuple(empty.shape)})"
    raise OpError(f"{module}: every key is masked for batch rows {rows}{detail}, so their attention weights "
                  "would be 0/0 = NaN; each query needs at least one unmasked key (is a sequence of length 0, or is "
                  "the mask inverted? True means padding)")


def masked_softmax(scores, masked, module):
    """softmax over the last axis of `scores` with masked entries set to -inf first.

    scores: Tensor (batch, ..., keys); masked: bool array broadcastable to it
    (True = masked) or None. Masked weights are exactly 0."""
    if masked is None:
        return scores.softmax(axis=-1)
    check_rows_attend(masked, module, scores.shape)
    return where(masked, float("-inf"), scores).softmax(axis=-1)
