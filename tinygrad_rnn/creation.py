"""Making tensors: tr.tensor, tr.zeros, tr.randn, tr.arange, ... with PyTorch's names and arguments.

Every random draw comes from the library's generator (tr.manual_seed), so the
same seed gives the same numbers; dtype defaults to float32 as in PyTorch.

    tr.tensor(data)        a copy; dtype inferred (float32, int64 or bool) unless given
    tr.from_numpy(array)   shares the array's memory (writes to it are not seen by autograd)
    tr.as_tensor(data)     shares when it can (a NumPy array already of that dtype and device)
"""

import math
import os

from . import backend, devices, dtypes
from .errors import ArgumentTypeError, OpError
from .generator import draw_from
from .tensor import Tensor, make_array


def _shape(name, size):
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    for n in size:
        if isinstance(n, bool) or not isinstance(n, int) and not hasattr(n, "__index__"):
            raise ArgumentTypeError(f"{name}: sizes must be ints, got {size!r}")
        if int(n) < 0:
            raise OpError(f"{name}: sizes must be non-negative, got {size!r}")
    return tuple(int(n) for n in size)


def _memory_bytes():
    """This machine's physical memory in bytes, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_size(name, shape, dtype, device):
    """Refuse, before allocating, a tensor larger than the host's memory: a clear error at once,
    never a MemoryError from deep inside NumPy or minutes of swapping (PyTorch: "can't allocate")."""
    count = 1
    for n in shape:
        count *= n
    nbytes = count * backend.np.dtype(dtype).itemsize
    limit = _memory_bytes()
    what = f"{name}: cannot allocate a tensor of shape {tuple(shape)} and dtype {backend.np.dtype(dtype)}"
    if nbytes >= 2 ** 63 or any(n >= 2 ** 63 for n in shape):
        raise OpError(f"{what}: its size overflows a 64-bit count of bytes (as PyTorch's \"storage size "
                      "calculation overflowed\")")
    if device != "cuda" and limit is not None and nbytes > limit:
        raise OpError(f"{what}: {nbytes / 2 ** 30:.4g} GiB is more than this machine's {limit / 2 ** 30:.4g} GiB "
                      "of memory")


def _new(name, array, requires_grad):
    t = Tensor._make(array)
    return t.requires_grad_(True) if requires_grad else t


def _filled(name, size, fill, dtype, device, requires_grad):
    shape = _shape(name, size)
    xp = backend.xp_for(devices.normalize(device))
    dtype = dtypes.check_dtype(backend.default_float() if dtype is None else dtype, name)
    check_size(name, shape, dtype, devices.normalize(device))
    if isinstance(fill, Tensor):
        fill = fill.item()
    if not isinstance(fill, (int, float, complex, backend.np.generic)):
        raise ArgumentTypeError(f"{name}: the fill value must be a number, got {type(fill).__name__}")
    try:
        array = xp.full(shape, fill, dtype=dtype)
    except (ValueError, MemoryError, OverflowError) as exc:
        raise OpError(f"{name}: cannot allocate a tensor of shape {shape} and dtype {dtype}: {exc}") from None
    return _new(name, array, requires_grad)


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of data; Python floats give the default float dtype (float32), ints
    int64, bools bool."""
    if dtype is not None:
        dtype = dtypes.check_dtype(dtype, "tensor")
    return _new("tensor", make_array(data, dtype, devices.normalize(device), "tensor"), requires_grad)


def from_numpy(array):
    """A tensor on the very memory of a NumPy array (no copy)."""
    if type(array) is not backend.np.ndarray:
        raise OpError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "biufc":
        raise OpError(f"from_numpy: the array must hold numbers or booleans, got dtype {array.dtype}")
    return Tensor._make(array)


def as_tensor(data, dtype=None, device=None):
    """data as a tensor, sharing memory where no conversion is needed."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if device is not None or dtype is not None else data
    if backend.is_array(data) and data.dtype.kind in "biufc":
        device = devices.normalize(device) or backend.device_of(data)
        array = backend.as_array(data, dtype=None if dtype is None else dtypes.check_dtype(dtype, "as_tensor"),
                                 device=device)
        return Tensor._make(array)
    return tensor(data, dtype=dtype, device=device)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _filled("zeros", size, 0, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _filled("ones", size, 1, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of that shape (zero-filled here: reading uninitialised memory teaches nothing)."""
    return _filled("empty", size, 0, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """Every element fill_value; the dtype follows it (3 -> int64, 3.0 -> the default float, True -> bool)."""
    if dtype is None:
        dtype = dtypes.number_dtype(fill_value.item() if isinstance(fill_value, Tensor) else fill_value)
    if not isinstance(size, (int, tuple, list)) and not hasattr(size, "__index__"):
        raise ArgumentTypeError(f"full: size must be an int or a tuple of ints, got {type(size).__name__} {size!r}")
    size = tuple(size) if isinstance(size, (tuple, list)) else (size,)
    return _filled("full", (size,), fill_value, dtype, device, requires_grad)


def _like(name, t, fill, dtype, device, requires_grad):
    _tensor_arg(name, t)
    return _filled(name, (t.shape,), fill, t.dtype if dtype is None else dtype,
                   t.device if device is None else device, requires_grad)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    return _like("zeros_like", t, 0, dtype, device, requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    return _like("ones_like", t, 1, dtype, device, requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False):
    return _like("empty_like", t, 0, dtype, device, requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    return _like("full_like", t, fill_value, dtype, device, requires_grad)


def _random(name, size, draw, dtype, device, requires_grad, generator=None):
    shape = _shape(name, size)
    dtype = dtypes.check_dtype(backend.default_float() if dtype is None else dtype, name)
    if dtype.kind not in "fc":
        raise OpError(f"{name}: draws floating-point numbers, got dtype {dtype}")
    check_size(name, shape, dtype, devices.normalize(device))
    data = draw(draw_from(generator, name), shape).astype(dtype)
    return _new(name, backend.as_array(data, device=devices.normalize(device)), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples from the library's generator (see manual_seed), or from `generator`."""
    return _random("randn", size, lambda g, s: g.standard_normal(s), dtype, device, requires_grad, generator)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Normal samples: mean + std * N(0, 1). Numbers with size=(...), or tensors (broadcast
    together, the result of their shape, dtype and device), as torch.normal. As PyTorch's, a sample
    from tensors that require grad is in the graph with a zero gradient (not reparameterised: write
    mean + std * tr.randn_like(mean) for that)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        like = mean if isinstance(mean, Tensor) else std
        if size is not None:
            raise OpError("normal: size is taken only when mean and std are both numbers")
        if like.dtype.kind != "f":
            raise OpError(f"normal: mean and std must be floating point, got dtype {like.dtype}")
        shape = tuple(backend.np.broadcast_shapes(tuple(getattr(mean, "shape", ())), tuple(getattr(std, "shape", ()))))
        noise = randn(*shape, generator=generator, dtype=like.dtype, device=like.device)
        sample = (noise * std + mean).detach()
        for t in (mean, std):
            if isinstance(t, Tensor) and t.requires_grad:
                sample = sample + t.sum() * 0  # in the graph, gradient zero, as torch.normal's
        return sample
    if size is None:
        raise OpError("normal: with a number for mean and std, give size=(...) too")
    if isinstance(std, (int, float)) and std < 0:
        raise OpError(f"normal: std must be >= 0, got {std}")
    sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,)
    noise = randn(*sizes, generator=generator, dtype=dtype, device=device)
    return (noise * std + mean).detach().requires_grad_(requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1)."""
    return _random("rand", size, lambda g, s: g.random(s), dtype, device, requires_grad, generator)


def _tensor_arg(name, t):
    if not isinstance(t, Tensor):
        raise ArgumentTypeError(f"{name}: expected a Tensor, got {type(t).__name__}")
    return t


def randn_like(t, dtype=None, device=None, requires_grad=False):
    _tensor_arg("randn_like", t)
    return randn(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def rand_like(t, dtype=None, device=None, requires_grad=False):
    _tensor_arg("rand_like", t)
    return rand(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def randint(low, high=None, size=None, dtype=None, device=None, requires_grad=False, *, generator=None):
    """Integers in [low, high) (randint(high, size) counts from 0), int64 unless dtype says otherwise."""
    if high is None or size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if size is None:
        raise OpError("randint: size is required, e.g. tr.randint(0, 10, (3,))")
    for name, bound in (("low", low), ("high", high)):
        if isinstance(bound, bool) or not isinstance(bound, int) and not hasattr(bound, "__index__"):
            raise ArgumentTypeError(f"randint: {name} must be an int, got {type(bound).__name__} {bound!r}")
    if not high > low:
        raise OpError(f"randint: expected low < high, got {low} and {high}")
    shape = _shape("randint", (size,))
    check_size("randint", shape, dtype or dtypes.int64, devices.normalize(device))
    data = draw_from(generator, "randint").integers(low, high, shape).astype(dtype or dtypes.int64)
    return _new("randint", backend.as_array(data, device=devices.normalize(device)), requires_grad)


def randperm(n, dtype=None, device=None, *, generator=None):
    if isinstance(n, bool) or not isinstance(n, int) and not hasattr(n, "__index__"):
        raise ArgumentTypeError(f"randperm: n must be an int, got {type(n).__name__} {n!r}")
    n = _shape("randperm", (n,))[0]
    dtype = dtypes.check_dtype(dtype or dtypes.int64, "randperm")
    check_size("randperm", (n,), dtype, devices.normalize(device))
    data = draw_from(generator, "randperm").permutation(n).astype(dtype)
    return Tensor._make(backend.as_array(data, device=devices.normalize(device)))


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """start, start + step, ... below end; int64 for ints, the default float dtype when any bound is a float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise OpError("arange: step must not be 0")
    for name, value in (("start", start), ("end", end), ("step", step)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__index__"):
            raise ArgumentTypeError(f"arange: {name} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise OpError(f"arange: {name} must be finite, got {value}")
    if (end - start) * step < 0:
        raise OpError(f"arange: the bounds {start} and {end} disagree with the sign of step {step}")
    if dtype is None:
        dtype = dtypes.int64 if all(isinstance(v, int) for v in (start, end, step)) else backend.default_float()
    check_size("arange", (math.ceil((end - start) / step),), dtypes.check_dtype(dtype, "arange"),
               devices.normalize(device))
    data = backend.xp_for(devices.normalize(device)).arange(start, end, step, dtype=dtypes.check_dtype(dtype, "arange"))
    return _new("arange", data, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    if isinstance(steps, bool) or not isinstance(steps, int):
        raise ArgumentTypeError(f"linspace: steps must be an int, got {steps!r}")
    if steps < 0:
        raise OpError(f"linspace: steps must be non-negative, got {steps}")
    check_size("linspace", (steps,), dtype or backend.default_float(), devices.normalize(device))
    data = backend.xp_for(devices.normalize(device)).linspace(start, end, steps,
                                                              dtype=dtypes.check_dtype(dtype or backend.default_float(),
                                                                                       "linspace"))
    return _new("linspace", data, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    for value in (n, m):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ArgumentTypeError(f"eye: n and m must be ints, got {type(value).__name__} {value!r}")
    shape = _shape("eye", (n,) if m is None else (n, m))
    dtype = dtypes.check_dtype(dtype or backend.default_float(), "eye")
    check_size("eye", (shape[0], shape[-1]), dtype, devices.normalize(device))
    data = backend.xp_for(devices.normalize(device)).eye(n, m, dtype=dtype)
    return _new("eye", data, requires_grad)


class _TypedTensor(type):
    """The type of PyTorch's legacy typed constructors: tr.LongTensor([1, 2]) makes an int64 Tensor,
    and isinstance(t, tr.LongTensor) asks whether t is an int64 tensor, as in PyTorch."""

    def __call__(cls, *data, device=None):
        if data and all(type(n) is int for n in data):
            return zeros(*data, dtype=cls.dtype, device=device)
        if len(data) != 1:
            raise OpError(f"{cls.__name__}: expected one list of numbers or sizes as ints, got {data!r}")
        return tensor(data[0], dtype=cls.dtype, device=device)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __repr__(cls):
        return f"<class 'tr.{cls.__name__}'>"


def _typed(name, dtype):
    return _TypedTensor(name, (), {"dtype": dtype, "__doc__": f"A {backend.np.dtype(dtype)} tensor from a list, "
                                   "or zeros of the given sizes (PyTorch's legacy constructor)."})


FloatTensor = _typed("FloatTensor", dtypes.float32)
DoubleTensor = _typed("DoubleTensor", dtypes.float64)
HalfTensor = _typed("HalfTensor", dtypes.float16)
LongTensor = _typed("LongTensor", dtypes.int64)
IntTensor = _typed("IntTensor", dtypes.int32)
BoolTensor = _typed("BoolTensor", dtypes.bool_)
ByteTensor = _typed("ByteTensor", dtypes.uint8)
