"""The one place that knows NumPy and CuPy.

Every op receives raw arrays and asks this module for their array module
(`xp_of`), so an op is written once and runs on either library. Adding a third
backend means editing this file only.

Devices are plain strings: "cpu" (NumPy) and "cuda" (CuPy). CuPy is imported
lazily, the first time it is needed, so importing the library never pays for
it and never fails without it.
"""

import numpy as np

np = np  # host NumPy, for code that works on host arrays (data, checkpoints)

float32 = np.float32
float64 = np.float64
int64 = np.int64

DEVICES = ("cpu", "cuda")
INSTALL_HINT = "install the extra with `pip install tinygrad_rnn[cuda]` (CuPy for CUDA 12)"

_cupy = None          # the cupy module once imported
_cupy_error = None    # why it could not be used, once we know
_array_types = (np.ndarray,)


class DeviceError(RuntimeError):
    """A device was asked for that is not there, or two devices met in one op."""


def _load_cupy():
    """Import CuPy and check for a GPU; remember the answer either way."""
    global _cupy, _cupy_error, _array_types
    if _cupy is not None or _cupy_error is not None:
        return _cupy
    try:
        import cupy
    except ImportError as exc:
        _cupy_error = f"CuPy is not installed ({exc}); {INSTALL_HINT}"
        return None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDA driver missing or broken: CuPy raises its own types
        count, reason = 0, f": {exc}"
    else:
        reason = ""
    if count == 0:
        _cupy_error = (f"CuPy is installed but no CUDA GPU is available{reason}; it needs an NVIDIA GPU with a "
                       f"working driver (the extra `pip install tinygrad_rnn[cuda]` is CuPy for CUDA 12)")
        return None
    _cupy = cupy
    _array_types = (np.ndarray, cupy.ndarray)
    return cupy


def cuda_available():
    """True when CuPy is installed and sees at least one GPU."""
    return _load_cupy() is not None


def cuda_unavailable_reason():
    """Why "cuda" cannot be used, or None when it can."""
    _load_cupy()
    return _cupy_error


def check_device(device):
    """Return a valid device string, or raise naming what is wrong."""
    if device is None:
        return "cpu"
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

    Python floats become float32 (the library's default); arrays keep their
    dtype unless one is given.
    """
    device = check_device(device) if device is not None else (device_of(data) if is_array(data) else "cpu")
    xp = xp_for(device)
    if is_array(data):
        arr = data if device_of(data) == device else to_device(data, device)
        return arr.astype(dtype, copy=False) if dtype is not None else arr
    arr = np.asarray(data, dtype=dtype)
    if dtype is None and arr.dtype == np.float64 and not isinstance(data, np.generic):
        arr = arr.astype(np.float32)
    return xp.asarray(arr) if xp is not np else arr


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
        import cupyx
        cupyx.scatter_add(target, index, values)


# One generator for the whole library, on the host, so the same seed draws the
# same numbers whatever the device; arrays are moved after they are drawn.
_rng = np.random.default_rng(0)


def manual_seed(seed):
    global _rng
    _rng = np.random.default_rng(seed)


def rng():
    return _rng
