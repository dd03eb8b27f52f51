"""backend.py: array modules, devices, and the errors when CUDA cannot be used."""

import sys
import types

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import backend


@pytest.fixture
def fresh_cuda_state(monkeypatch):
    """Forget what the backend learnt about CuPy; monkeypatch restores it after the test."""
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setattr(backend, "_cupy_error", None)
    monkeypatch.setattr(backend, "_array_types", (np.ndarray,))
    return monkeypatch


def _fake_cupy(device_count, kernel_error=None, matmul_error=None):
    """A module that looks like CuPy as far as the probe asks: a device count (or the driver's error),
    an elementwise kernel and a matrix product, each of which may raise."""
    def get_device_count():
        if isinstance(device_count, Exception):
            raise device_count
        return device_count

    class FakeArray:
        def __init__(self, a):
            self.a = a

        def __mul__(self, k):
            if kernel_error:
                raise kernel_error
            return FakeArray(self.a * k)

        def __add__(self, k):
            return FakeArray(self.a + k)

        def __matmul__(self, other):
            if matmul_error:
                raise matmul_error
            return FakeArray(self.a @ other.a)

    cupy = types.ModuleType("cupy")
    cupy.ndarray = FakeArray
    cupy.float32 = np.float32
    cupy.arange = lambda n, dtype=None: FakeArray(np.arange(n, dtype=dtype))
    cupy.asarray = lambda a: FakeArray(np.asarray(a))
    cupy.asnumpy = lambda x: x.a
    cupy.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_device_count))
    return cupy


def test_cuda_without_cupy_says_so_and_which_extra_to_install(fresh_cuda_state):
    fresh_cuda_state.setitem(sys.modules, "cupy", None)  # makes `import cupy` fail
    assert not tr.cuda_available()
    assert not tr.cuda.is_available() and tr.cuda.device_count() == 0
    with pytest.raises(tr.DeviceError, match=r"device 'cuda' was requested but CuPy is not installed.*"
                                             r"`pip install tinygrad_rnn\[cuda12\]` or `pip install "
                                             r"tinygrad_rnn\[cuda13\]`"):
        tr.zeros(2, device="cuda")


def test_cuda_with_cupy_but_no_gpu_says_there_is_no_gpu(fresh_cuda_state):
    fresh_cuda_state.setitem(sys.modules, "cupy", _fake_cupy(0))
    assert not tr.cuda_available()
    with pytest.raises(tr.DeviceError, match=r"device 'cuda' was requested but CuPy is installed but no CUDA GPU "
                                             r"is available: the driver reports no device; it needs an NVIDIA GPU "
                                             r"with a working driver \(`nvidia-smi` must list it"):
        tr.tensor([1.0]).to("cuda")


def test_cuda_with_a_broken_driver_names_the_driver(fresh_cuda_state):
    fresh_cuda_state.setitem(sys.modules, "cupy", _fake_cupy(RuntimeError("driver too old")))
    assert tr.cuda.unavailable_reason() == (
        "CuPy is installed but no CUDA GPU is available: the CUDA driver could not be asked for devices (driver too "
        "old); install or update the NVIDIA driver (`nvidia-smi` must list the GPU)")
    with pytest.raises(tr.DeviceError, match=r"no CUDA GPU is available: the CUDA driver could not be asked"):
        tr.tensor([1.0], device="cuda")


def test_cuda_that_cannot_compile_a_kernel_names_nvrtc_and_how_to_install_it(fresh_cuda_state):
    fresh_cuda_state.setitem(sys.modules, "cupy", _fake_cupy(1, kernel_error=RuntimeError("libnvrtc.so.12 missing")))
    assert not tr.cuda.is_available()
    assert tr.cuda.unavailable_reason() == (
        "CuPy sees 1 GPU(s) but could not compile and run an elementwise kernel (RuntimeError: libnvrtc.so.12 "
        "missing); CuPy compiles kernels with NVRTC: `pip install \"cupy-cuda12x[ctk]\"` (or \"cupy-cuda13x[ctk]\" "
        "for a CUDA 13 driver) brings NVRTC and cuBLAS from PyPI; a CUDA Toolkit installation provides them too")


def test_cuda_whose_matmul_fails_names_cublas(fresh_cuda_state):
    fresh_cuda_state.setitem(sys.modules, "cupy", _fake_cupy(2, matmul_error=ImportError("libcublas.so.12")))
    assert not tr.cuda_available()
    assert tr.cuda.unavailable_reason().startswith(
        "CuPy runs kernels on the GPU but a cuBLAS matrix product failed (ImportError: libcublas.so.12); "
        "`pip install \"cupy-cuda12x[ctk]\"`")


def test_cuda_is_available_once_a_kernel_and_a_matmul_give_the_right_numbers(fresh_cuda_state):
    fresh_cuda_state.setitem(sys.modules, "cupy", _fake_cupy(2))
    assert tr.cuda.is_available() and tr.cuda_available()
    assert tr.cuda.unavailable_reason() is None
    assert tr.cuda.device_count() == 2


def test_cuda_unavailable_reason_is_none_when_cuda_works():
    if not tr.cuda_available():
        pytest.skip(f"cuda: {backend.cuda_unavailable_reason()}")
    assert backend.cuda_unavailable_reason() is None


def test_unknown_device_lists_the_valid_ones():
    with pytest.raises(tr.DeviceError, match=r"unknown device 'tpu': expected one of \('cpu', 'cuda'\)"):
        tr.ones(2, device="tpu")


def test_xp_of_and_xp_for_give_the_array_module(device):
    xp = backend.xp_for(device)
    assert backend.xp_of(xp.zeros(2)) is xp
    assert (xp is np) == (device == "cpu")


def test_device_of_an_array(device):
    assert backend.device_of(backend.xp_for(device).zeros(2)) == device


def test_as_array_makes_python_floats_float32_and_keeps_array_dtypes():
    assert backend.as_array([1.0, 2.0]).dtype == np.float32
    assert backend.as_array(1.5).dtype == np.float32
    assert backend.as_array(np.zeros(2)).dtype == np.float64
    assert backend.as_array(np.float64(1.0)).dtype == np.float64
    assert backend.as_array([1, 2]).dtype == np.int64
    assert backend.as_array([1.0], dtype=np.float64).dtype == np.float64


def test_as_array_moves_to_the_asked_device(device):
    arr = backend.as_array(np.ones(3), device=device)
    assert backend.device_of(arr) == device
    np.testing.assert_array_equal(backend.to_numpy(arr), np.ones(3))


def test_to_device_on_the_same_device_is_no_copy(device):
    arr = backend.xp_for(device).ones(3)
    assert backend.to_device(arr, device) is arr


def test_scatter_add_adds_repeated_indices(device):
    xp = backend.xp_for(device)
    target = xp.zeros(3)
    backend.scatter_add(target, xp.asarray([0, 0, 2]), xp.asarray([1.0, 2.0, 5.0]))
    np.testing.assert_array_equal(backend.to_numpy(target), [3.0, 0.0, 5.0])


def test_manual_seed_repeats_the_draws_of_each_device(device):
    backend.manual_seed(3)
    first = backend.to_numpy(backend.rng(device).random(4))
    backend.manual_seed(3)
    np.testing.assert_array_equal(backend.to_numpy(backend.rng(device).random(4)), first)


def test_each_device_draws_on_itself(device):
    assert backend.device_of(backend.rng(device).random((2, 3))) == device
    assert backend.rng(None) is backend.rng("cpu")


def test_cuda_manual_seed_reseeds_the_cuda_generator_and_leaves_the_host_one():
    if not tr.cuda_available():
        pytest.skip(f"cuda: {backend.cuda_unavailable_reason()}")
    backend.manual_seed(5)
    on_device = backend.to_numpy(backend.rng("cuda").random(3))
    backend.rng("cpu").random(3)
    tr.cuda.manual_seed(5)
    np.testing.assert_array_equal(backend.to_numpy(backend.rng("cuda").random(3)), on_device)
    host = np.random.default_rng(5)
    host.random(3)
    np.testing.assert_array_equal(backend.rng("cpu").random(3), host.random(3))


def test_a_list_of_device_scalars_is_stacked_where_they_are(device):
    xp = backend.xp_for(device)
    values = [xp.asarray(1.5), xp.asarray(2.5, dtype=np.float32), xp.ones((), dtype=np.float64)]
    t = tr.tensor(values)
    assert t.device == device and t.dtype == np.float32 and t.shape == (3,)
    np.testing.assert_array_equal(t.numpy(), [1.5, 2.5, 1.0])
    nested = backend.as_array([[xp.asarray(1), 2], [3, xp.asarray(4)]], device=device)
    assert backend.device_of(nested) == device
    np.testing.assert_array_equal(backend.to_numpy(nested), [[1, 2], [3, 4]])
    assert tr.tensor(values, device="cpu").device == "cpu"


def test_a_ragged_list_of_device_arrays_is_refused(device):
    xp = backend.xp_for(device)
    with pytest.raises(tr.OpError, match="tensor: cannot make an array from this list"):
        tr.tensor([xp.zeros(2), xp.zeros(3)])
