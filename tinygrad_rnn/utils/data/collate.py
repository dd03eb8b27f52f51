"""default_collate: a list of B samples -> one batch, PyTorch's rules.

    Tensors (shape S each)        -> tr.stack: (B, *S)
    NumPy arrays                  -> the same, as a tensor of the array's dtype
    Python floats / ints / bools  -> a (B,) tensor: float64 / int64 / bool (as torch's default_collate)
    NumPy scalars                 -> a (B,) tensor of their dtype
    str, bytes                    -> the list as it is
    dict                          -> {key: collate of that key's values}
    namedtuple                    -> the same namedtuple of collated fields
    tuple, list (one length)      -> a list of collated fields (so `for x, y in loader` unpacks)
"""

import collections.abc
import numbers

from ... import backend, dtypes
from ...creation import as_tensor, tensor
from ...errors import OpError
from ...functions import stack
from ...tensor import Tensor


def _is_array(x):
    return backend.is_array(x) and x.dtype.kind in "biufc"


def default_collate(batch):
    if not isinstance(batch, collections.abc.Sequence) or isinstance(batch, (str, bytes)) or not batch:
        raise OpError(f"default_collate: expected a non-empty list of samples, got {type(batch).__name__}"
                      + (" of length 0" if isinstance(batch, collections.abc.Sized) and not batch else ""))
    elem = batch[0]
    if isinstance(elem, Tensor) or _is_array(elem):
        tensors = [as_tensor(x) if not isinstance(x, Tensor) else x for x in batch]
        shapes = {tuple(t.shape) for t in tensors}
        if len(shapes) > 1:
            raise OpError(f"default_collate: the samples' tensors have different shapes {sorted(shapes)}; pad "
                          "them (nn.utils.rnn.pad_sequence in a collate_fn) or pass a collate_fn that does")
        return stack(tensors, 0)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, backend.np.generic) and elem.dtype.kind in "biufc":
        return tensor(backend.np.array(batch), dtype=elem.dtype)
    if isinstance(elem, bool):
        return tensor(list(batch), dtype=dtypes.bool_)
    if isinstance(elem, numbers.Integral):
        return tensor(list(batch), dtype=dtypes.int64)
    if isinstance(elem, numbers.Real):
        return tensor(list(batch), dtype=dtypes.float64)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple keeps its type
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        sizes = {len(x) for x in batch}
        if len(sizes) > 1:
            raise OpError(f"default_collate: each element in list of batch should be of equal size, got sizes "
                          f"{sorted(sizes)}")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise OpError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                  f"found {type(elem).__name__}")


def default_convert(sample):
    """One sample as it is, NumPy arrays turned into tensors (DataLoader(batch_size=None))."""
    if _is_array(sample):
        return as_tensor(sample)
    if isinstance(sample, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(x) for x in sample))
    if isinstance(sample, (list, tuple)):
        return type(sample)(default_convert(x) for x in sample)
    return sample
