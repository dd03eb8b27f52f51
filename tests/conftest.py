"""Shared fixtures: every op test runs on every backend; CUDA cases skip with the reason."""

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import backend


def _device_param(name):
    if name == "cuda" and not tr.cuda_available():
        return pytest.param(name, marks=pytest.mark.skip(reason=f"cuda: {backend.cuda_unavailable_reason()}"))
    return pytest.param(name)


@pytest.fixture(params=[_device_param("cpu"), _device_param("cuda")])
def device(request):
    """The backend under test: "cpu" (NumPy) or "cuda" (CuPy)."""
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    tr.manual_seed(0)
    yield


@pytest.fixture
def leaf(device):
    """leaf(*shape, low=None): a float64 Tensor of normal samples on the device under test,
    with requires_grad=True, ready for tr.gradcheck. `low` shifts the samples to
    |x| + low, for ops defined only on positive numbers (log, sqrt, pow's base)."""

    def make(*shape, low=None):
        data = backend.rng().standard_normal(shape)
        if low is not None:
            data = abs(data) + low
        return tr.tensor(data, dtype=tr.float64, device=device, requires_grad=True)

    return make
