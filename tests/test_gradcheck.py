"""tr.gradcheck: passes correct gradients, and on a wrong one names the input,
the worst index and both values."""

import re

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.autograd import Function


class SquareWithWrongBackward(Function):
    """out = x^2, but backward forgets the factor 2: dx = g x."""

    def forward(self, x):
        self.save(x)
        return x * x

    def backward(self, g):
        return g * self.saved[0]


class NaNBackward(Function):
    def forward(self, x):
        return x * 1

    def backward(self, g):
        return g * float("nan")


def _leaf(values, device):
    return tr.tensor(np.array(values, dtype=np.float64), device=device, requires_grad=True)


def test_gradcheck_passes_a_correct_composite(device, leaf):
    a, b = leaf(2, 3), leaf(3)
    assert tr.gradcheck(lambda a, b: ((a * b).tanh() @ b).exp(), [a, b]) is True


def test_wrong_backward_names_input_worst_index_and_both_values(device):
    x = _leaf([1.0, -2.0, 5.0, 0.5], device)
    w = tr.tensor(np.ones(4), dtype=tr.float64, device=device)  # no grad: not checked, not counted out
    message = re.escape("gradcheck: gradient of input #1 (shape (4,)) is wrong at index (2,): "
                        "analytical 5, numerical 10")
    with pytest.raises(tr.GradcheckError, match=message):
        tr.gradcheck(lambda w, x: (SquareWithWrongBackward.apply(x) * w).sum(), [w, x])


def test_wrong_backward_is_found_through_a_non_scalar_output(device):
    x = _leaf([[1.0, 3.0], [-4.0, 2.0]], device)
    with pytest.raises(tr.GradcheckError, match=r"input #0 \(shape \(2, 2\)\) is wrong at index \(\d, \d\): "
                                                r"analytical [-\d.e]+, numerical [-\d.e]+ \(atol=1e-05, rtol=0.001\)"):
        tr.gradcheck(SquareWithWrongBackward.apply, [x])


def test_nan_gradient_is_reported_not_passed(device):
    x = _leaf([1.0, 2.0], device)
    with pytest.raises(tr.GradcheckError, match=r"input #0 .* analytical nan, numerical 1"):
        tr.gradcheck(lambda x: NaNBackward.apply(x).sum(), [x])


def test_missing_gradient_is_reported_as_zero(device):
    x = _leaf([1.0, 2.0], device)
    y = _leaf([3.0, 4.0], device)
    with pytest.raises(tr.GradcheckError, match=r"input #1 .* analytical 0, numerical 1"):
        tr.gradcheck(lambda x, y: (x + y.detach()).sum(), [x, y])


def test_gradcheck_checks_every_output_of_a_tuple(device, leaf):
    x = leaf(4)
    with pytest.raises(tr.GradcheckError, match=r"input #0"):
        tr.gradcheck(lambda x: (x * 2, SquareWithWrongBackward.apply(x)), [x])


def test_gradcheck_works_on_a_non_contiguous_input(device, leaf):
    x = leaf(3, 2).detach().T.requires_grad_()
    assert tr.gradcheck(lambda x: x * x, [x])


def test_gradcheck_leaves_inputs_unchanged(device, leaf):
    x = leaf(3)
    before = x.numpy().copy()
    tr.gradcheck(lambda x: x.exp(), [x])
    np.testing.assert_array_equal(x.numpy(), before)


def test_gradcheck_refuses_float32(device):
    x = tr.ones(2, device=device, requires_grad=True)
    with pytest.raises(tr.OpError, match=r"gradcheck: input of shape \(2,\) is float32; use float64"):
        tr.gradcheck(lambda x: x * 2, [x])


def test_gradcheck_without_inputs_that_require_grad(device):
    with pytest.raises(tr.OpError, match=r"gradcheck: no input has requires_grad=True"):
        tr.gradcheck(lambda x: x * 2, [tr.ones(2, dtype=tr.float64, device=device)])
