"""In-place safety: an array changed after it was saved for backward is caught by its version counter."""

import numpy as np
import pytest

import tinygrad_rnn as tr


def test_changing_a_saved_input_before_backward_raises(device):
    w = tr.tensor(np.ones((2, 2)), requires_grad=True, device=device)
    x = tr.tensor(np.ones((3, 2)), device=device)
    loss = (x @ w).sum()
    w.data -= 0.1                          # e.g. an optimizer step between forward and backward
    expected = r"input #1 of MatMul \(shape \(2, 2\)\) was modified in place .*version 0 -> 1"
    with pytest.raises(tr.GraphError, match=expected):
        loss.backward()


def test_assigning_data_bumps_the_version():
    t = tr.zeros(3)
    t.data = t.data + 1
    t.data *= 2
    assert t._version == 2


def test_changing_an_input_an_op_does_not_read_is_harmless(device):
    a = tr.tensor(np.ones(3), requires_grad=True, device=device)
    b = tr.tensor(np.ones(3), requires_grad=True, device=device)
    loss = (a + b).sum()
    a.data = a.data * 5                    # Add's backward never reads its inputs
    loss.backward()
    np.testing.assert_allclose(a.grad.numpy(), np.ones(3))


def test_optimizer_step_after_backward_is_fine(device):
    w = tr.tensor(np.ones(2), requires_grad=True, device=device)
    for _ in range(2):
        loss = (w * w).sum()
        loss.backward()
        w.data -= 0.1 * w.grad.data
        w.grad = None
    np.testing.assert_allclose(w.numpy(), np.full(2, 0.64), rtol=1e-6)


def test_changing_a_weight_used_through_a_view_is_caught(device):
    w = tr.tensor(np.ones((2, 3)), requires_grad=True, device=device)
    x = tr.tensor(np.ones((4, 3)), device=device)
    loss = (x @ w.T).sum()                 # Linear's pattern: the matmul saves a view of w
    w.data -= 0.1
    with pytest.raises(tr.GraphError, match=r"input #1 of MatMul .* was modified in place"):
        loss.backward()


def test_optimizer_step_between_forward_and_backward_is_caught():
    lin = tr.nn.Linear(3, 2)
    opt = tr.optim.SGD(lin.parameters(), lr=0.1)
    loss = lin(tr.ones(4, 3)).sum()
    for p in lin.parameters():
        p.grad = tr.ones_like(p)
    opt.step()
    with pytest.raises(tr.GraphError, match=r"modified in place"):
        loss.backward()
