"""The one place that knows NumPy and CuPy.

Every op receives raw arrays and asks this module for their array module
(`xp_of`), so an op is written once and runs on either library. Adding a third
backend means editing this file only.

Devices are plain strings: "cpu" (NumPy) and "cuda" (CuPy). CuPy is imported
lazily, the first time it is needed, so importing the library never pays for
it and never fails without it. "cuda" counts as available only once a tiny
elementwise kernel (compiled by NVRTC) and a cuBLAS matmul have run and given
the right numbers: a driver that sees a GPU is not enough.

Random numbers come from two generators, both reseeded by `manual_seed(n)`:
one on the host (NumPy's PCG64) for CPU tensors, initialisation and data, and
one on the GPU (CuPy's, cuRAND's XORWOW) for what is drawn per step on CUDA
(dropout masks), so no mask crosses the bus. The same seed repeats each
generator's numbers run after run, but CPU and CUDA are different generators:
a dropout mask drawn on CUDA is not the one the CPU draws for the same seed.
"""

import numpy as np

np = np  # host NumPy, for code that works on host arrays (data, checkpoints)

float32 = np.float32
float64 = np.float64
int64 = np.int64

# PyTorch's default floating-point dtype: what Python floats and new float tensors become.
# float32 unless a program calls tr.set_default_dtype (dtypes.py), as in PyTorch.
_default_float = [np.float32]


def default_float():
    return _default_float[0]

DEVICES = ("cpu", "cuda")
INSTALL_HINT = ("install CuPy with the extra that matches the driver's CUDA major version (the \"CUDA Version\" "
                "`nvidia-smi` prints): `pip install tinygrad_rnn[cuda12]` or `pip install tinygrad_rnn[cuda13]`")
CTK_HINT = ("`pip install \"cupy-cuda12x[ctk]\"` (or \"cupy-cuda13x[ctk]\" for a CUDA 13 driver) brings NVRTC and "
            "cuBLAS from PyPI; a CUDA Toolkit installation provides them too")

_cupy = None          # the cupy module once it has passed the probe
_cupy_error = None    # why it cannot be used, once we know
_array_types = (np.ndarray,)


class DeviceError(RuntimeError):
    """A device was asked for that is not there, or two devices met in one op."""


def _probe(cupy):
    """Why CuPy cannot compute on this machine, or None when it can.

    Each piece CuPy needs is tried in the order it is needed, so the answer names
    the first one missing: the driver and a visible GPU, NVRTC (CuPy compiles
    every elementwise kernel at its first use), cuBLAS (matrix products)."""
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDA driver missing or broken: CuPy raises its own types
        return (f"CuPy is installed but no CUDA GPU is available: the CUDA driver could not be asked for devices "
                f"({exc}); install or update the NVIDIA driver (`nvidia-smi` must list the GPU)")
    if count == 0:
        return ("CuPy is installed but no CUDA GPU is available: the driver reports no device; it needs an NVIDIA GPU "
                "with a working driver (`nvidia-smi` must list it; an empty CUDA_VISIBLE_DEVICES hides every GPU)")
    try:
        got = cupy.asnumpy(cupy.arange(4, dtype=cupy.float32) * 2 + 1)
    except Exception as exc:
        return (f"CuPy sees {count} GPU(s) but could not compile and run an elementwise kernel "
                f"({type(exc).__name__}: {exc}); CuPy compiles kernels with NVRTC: {CTK_HINT}")
    if not np.array_equal(got, [1, 3, 5, 7]):
        return f"CuPy sees {count} GPU(s) but a test kernel computed {got.tolist()} instead of [1, 3, 5, 7]"
    try:
        m = cupy.asarray(np.array([[1, 2], [3, 4]], dtype=np.float32))
        product = cupy.asnumpy(m @ m)
    except Exception as exc:
        return (f"CuPy runs kernels on the GPU but a cuBLAS matrix product failed ({type(exc).__name__}: {exc}); "
                f"{CTK_HINT}")
    if not np.array_equal(product, [[7, 10], [15, 22]]):
        return f"CuPy sees {count} GPU(s) but a cuBLAS matrix product computed {product.tolist()}"
    return None


def _load_cupy():
    """Import CuPy and probe the GPU; remember the answer either way."""
    global _cupy, _cupy_error, _array_types
    if _cupy is not None or _cupy_error is not None:
        return _cupy
    try:
        import cupy
    except ImportError as exc:
        _cupy_error = f"CuPy is not installed ({exc}); {INSTALL_HINT}"
        return None
    _cupy_error = _probe(cupy)
    if _cupy_error is not None:
        return None
    _cupy = cupy
    _array_types = (np.ndarray, cupy.ndarray)
    return cupy


def cuda_available():
    """True when CuPy is installed and a kernel and a cuBLAS matmul run on a GPU."""
    return _load_cupy() is not None


def cuda_unavailable_reason():
    """Why "cuda" cannot be used (which piece is missing, and how to install it), or None when it can."""
    _load_cupy()
    return _cupy_error


def cuda_device_count():
    """How many GPUs CuPy sees; 0 when "cuda" cannot be used at all."""
    return _cupy.cuda.runtime.getDeviceCount() if _load_cupy() is not None else 0


def check_device(device):
    """Return a valid device string, or raise naming what is wrong."""
    if device is None:
        return "cpu"
    if isinstance(device, str) and device.endswith(":0"):  # "cuda:0", and tr.device objects, are "cuda"
        device = device[:-2]
    if device not in DEVICES:
        raise DeviceError(f"unknown device {device!r}: expected one of {DEVICES}")
    if device == "cuda" and _load_cupy() is None:
        raise DeviceError(f"device 'cuda' was requested but {_cupy_error}")
    return device


def xp_of(array):
    """The array module (numpy or cupy) that computes on `array`."""
    if type(array) is np.ndarray or _cupy is None:
        return np
    return _cupy.get_array_module(array)


def xp_for(device):
    """The array module for a device string."""
    return _cupy if check_device(device) == "cuda" else np


def device_of(array):
    return "cpu" if type(array) is np.ndarray or _cupy is None or not isinstance(array, _cupy.ndarray) else "cuda"


def is_array(x):
    return isinstance(x, _array_types)


def as_array(data, dtype=None, device=None):
    """Turn data (array, nested lists, scalar) into an array on `device`.

    Python floats become the default float dtype (float32 unless set); arrays keep their
    dtype unless one is given. Nested lists holding GPU arrays (a list of 0-d
    results, say) are stacked on the GPU, never read back to the host.
    """
    if is_array(data):
        device = check_device(device) if device is not None else device_of(data)
        arr = data if device_of(data) == device else to_device(data, device)
        return arr.astype(dtype, copy=False) if dtype is not None else arr
    if _cupy is not None and isinstance(data, (list, tuple)) and _holds_device_array(data):
        arr = _stack_on_device(data)
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        elif arr.dtype == np.float64:
            arr = arr.astype(default_float())
        return arr if device is None else to_device(arr, device)
    xp = xp_for(device)
    arr = np.asarray(data, dtype=dtype)
    if dtype is None and arr.dtype == np.float64 and not isinstance(data, np.generic):
        arr = arr.astype(default_float())
    return xp.asarray(arr) if xp is not np else arr


def _holds_device_array(data):
    return any(_holds_device_array(v) if isinstance(v, (list, tuple)) else isinstance(v, _cupy.ndarray)
               for v in data)


def _stack_on_device(data):
    """Nested lists of GPU arrays (and numbers, uploaded one by one) -> one GPU array, as np.asarray would
    build it on the host. Shapes that do not stack raise ValueError, as NumPy's ragged lists do."""
    parts = [_stack_on_device(v) if isinstance(v, (list, tuple)) else v for v in data]
    parts = [p if isinstance(p, _cupy.ndarray) else _cupy.asarray(p) for p in parts]
    shapes = {p.shape for p in parts}
    if len(shapes) > 1:
        raise ValueError(f"the elements have different shapes {sorted(shapes)}; they must stack")
    return _cupy.stack(parts)


def to_device(array, device):
    """Copy an array to another device (no copy when it is already there)."""
    device = check_device(device)
    if device_of(array) == device:
        return array
    return _cupy.asarray(array) if device == "cuda" else _cupy.asnumpy(array)


def to_numpy(array):
    """A host NumPy array (a copy when the array lives on the GPU)."""
    return array if type(array) is np.ndarray else to_device(array, "cpu")


def scatter_add(target, index, values):
    """target[index] += values, adding repeated indices instead of overwriting."""
    if type(target) is np.ndarray:
        np.add.at(target, index, values)
    else:
        _cupyx().scatter_add(target, index, values)


_cupyx_module = None


def _cupyx():
    """cupyx, imported the first time a GPU scatter needs it (not on every call)."""
    global _cupyx_module
    if _cupyx_module is None:
        import cupyx
        _cupyx_module = cupyx
    return _cupyx_module


# ---- random numbers: one generator per device, both reseeded by manual_seed ----
_host_rng = np.random.default_rng(0)
_cuda_seed = 0
_cuda_rng = None  # made at the first CUDA draw, so seeding never imports CuPy


def manual_seed(seed):
    """Reseed the host generator and the CUDA one with `seed`, an int in [0, 2**64) (tr.manual_seed
    checks and converts what the user gives: generator.seed_int)."""
    global _host_rng
    _host_rng = np.random.default_rng(seed)
    cuda_manual_seed(seed)


def host_rng(seed):
    """A new host generator of its own (tr.Generator's stream)."""
    return np.random.default_rng(seed)


def rng_state(generator):
    """A host generator's position, a dict that set_rng_state restores."""
    return generator.bit_generator.state


def set_rng_state(generator, state):
    generator.bit_generator.state = state


def cuda_manual_seed(seed):
    """Reseed the CUDA generator only (torch.cuda.manual_seed); no GPU needed until it draws."""
    global _cuda_seed, _cuda_rng
    seed = int(seed) % 2 ** 64  # checked by the caller (generator.seed_int)
    _cuda_seed, _cuda_rng = seed, None


def rng(device="cpu"):
    """The generator that draws on `device`: NumPy's for "cpu" (and None), CuPy's for "cuda".

    Both have `random(shape)`, `standard_normal(shape)` and `integers(...)`; a
    CUDA draw returns a GPU array and costs no host<->device copy."""
    global _cuda_rng
    if device != "cuda":
        return _host_rng
    if _cuda_rng is None:
        _cuda_rng = xp_for("cuda").random.default_rng(_cuda_seed)
    return _cuda_rng


# ---- special functions that NumPy lacks -------------------------------------------
_erf_cache = {}


def native_erf(device):
    """The erf ufunc for arrays on `device`: scipy.special.erf on the host, cupyx.scipy.special.erf
    on CUDA; None where it is not installed (callers then compute erf from arithmetic)."""
    if device not in _erf_cache:
        try:
            if device == "cuda":
                import cupyx.scipy.special as special
            else:
                import scipy.special as special
            _erf_cache[device] = special.erf
        except ImportError:
            _erf_cache[device] = None
    return _erf_cache[device]
