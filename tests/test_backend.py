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


def _fake_cupy(device_count):
    def get_device_count():
        if isinstance(device_count, Exception):
            raise device_count
        return device_count

    cupy = types.ModuleType("cupy")
    cupy.ndarray = type("ndarray", (), {})
    cupy.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_device_count))
    return cupy


def test_cuda_without_cupy_says_so_and_how_to_install(fresh_cuda_state):
    fresh_cuda_state.setitem(sys.modules, "cupy", None)  # makes `import cupy` fail
    assert not tr.cuda_available()
    with pytest.raises(tr.DeviceError, match=r"device 'cuda' was requested but CuPy is not installed.*"
                                             r"pip install tinygrad_rnn\[cuda\]"):
        tr.zeros(2, device="cuda")


def test_cuda_with_cupy_but_no_gpu_says_there_is_no_gpu(fresh_cuda_state):
    fresh_cuda_state.setitem(sys.modules, "cupy", _fake_cupy(0))
    assert not tr.cuda_available()
    with pytest.raises(tr.DeviceError, match=r"device 'cuda' was requested but CuPy is installed but no CUDA GPU "
                                             r"is available; it needs an NVIDIA GPU with a working driver \(the extra "
                                             r"`pip install tinygrad_rnn\[cuda\]` is CuPy for CUDA 12\)"):
        tr.tensor([1.0]).to("cuda")


def test_cuda_with_a_broken_driver_reports_the_driver_error(fresh_cuda_state):
    fresh_cuda_state.setitem(sys.modules, "cupy", _fake_cupy(RuntimeError("driver too old")))
    assert backend.cuda_unavailable_reason().startswith("CuPy is installed but no CUDA GPU is available: "
                                                        "driver too old; it needs an NVIDIA GPU")
    with pytest.raises(tr.DeviceError, match=r"no CUDA GPU is available: driver too old"):
        tr.tensor([1.0], device="cuda")


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


def test_manual_seed_repeats_the_draws():
    backend.manual_seed(3)
    first = backend.rng().standard_normal(4)
    backend.manual_seed(3)
    np.testing.assert_array_equal(backend.rng().standard_normal(4), first)
