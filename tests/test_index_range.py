"""An integer-array index past the end of its axis raises on every device.

NumPy raises IndexError; CuPy wraps the index around (x[[0, 5]] on 3 elements
would read x[[0, 2]]). The library checks the index before CuPy sees it: on the
host when it was given on the host, with one read-back when it is on the GPU.
"""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import backend


def values(device, *shape):
    return tr.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape), device=device)


@pytest.mark.parametrize("index", [[0, 5], np.array([0, 5])], ids=["list", "numpy"])
def test_a_host_index_past_the_end_raises(index, device):
    with pytest.raises(tr.OpError, match=r"index 5 is out of bounds for axis 0 with size 3"):
        values(device, 3)[index]


def test_a_negative_index_before_the_start_raises(device):
    with pytest.raises(tr.OpError, match=r"index -4 is out of bounds for axis 0 with size 3"):
        values(device, 3)[[-4]]


def test_an_index_on_the_gpu_is_checked_too(device):
    index = tr.tensor(np.array([1, 3]), device=device)
    with pytest.raises(tr.OpError, match=r"index 3 is out of bounds for axis 0 with size 3"):
        values(device, 3)[index]
    with pytest.raises(tr.OpError, match=r"index 3 is out of bounds for axis 0 with size 3"):
        values(device, 3)[backend.as_array(np.array([3]), device=device)]


def test_the_axis_checked_is_the_one_the_array_indexes(device):
    x = values(device, 2, 3, 4)
    with pytest.raises(tr.OpError, match=r"index 3 is out of bounds for axis 1 with size 3"):
        x[:, [0, 3]]
    with pytest.raises(tr.OpError, match=r"index 4 is out of bounds for axis 2 with size 4"):
        x[..., [4]]
    with pytest.raises(tr.OpError, match=r"index 2 is out of bounds for axis 0 with size 2"):
        x[[0, 2], :, [1, 1]]
    with pytest.raises(tr.OpError, match=r"index 3 is out of bounds for axis 1 with size 3"):
        x[None, 1, [3]]


def test_indices_in_range_select_as_numpy_does(device):
    x = values(device, 2, 3, 4)
    host = x.numpy()
    np.testing.assert_array_equal(x[[0, -1]].numpy(), host[[0, -1]])
    np.testing.assert_array_equal(x[..., [3, -4]].numpy(), host[..., [3, -4]])
    np.testing.assert_array_equal(x[np.array([[True, False, True], [False, False, True]])].numpy(),
                                  host[np.array([[True, False, True], [False, False, True]])])
    np.testing.assert_array_equal(x[:, tr.tensor(np.array([2, 0]), device=device)].numpy(), host[:, [2, 0]])
    assert x[[]].shape == (0, 3, 4)


def test_the_gradient_of_an_index_still_flows(device):
    x = tr.tensor(np.arange(3.0), dtype=tr.float64, device=device, requires_grad=True)
    x[[0, 2, 2]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 2.0])
