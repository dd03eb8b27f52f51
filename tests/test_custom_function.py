"""A Function a user writes: what the engine checks in its backward, and the PyTorch ctx style."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.autograd import Function


class Square(Function):
    """out = x^2;  dx = 2 x g"""

    def forward(self, x):
        self.save(x)
        return x * x

    def backward(self, g):
        (x,) = self.saved
        return 2 * x * g


def test_a_well_written_function_passes_gradcheck():
    x = tr.tensor([0.5, -1.5, 2.0], dtype=tr.float64, requires_grad=True)
    assert tr.gradcheck(lambda x: Square.apply(x), [x])


def test_a_backward_returning_a_tensor_is_named_with_the_op_and_the_input():
    class ReturnsTensor(Square):
        def backward(self, g):
            return tr.tensor(g)

    x = tr.ones(3, requires_grad=True)
    with pytest.raises(tr.GraphError, match=r"ReturnsTensor\.backward returned a Tensor as the gradient of input #0; "
                                            r"backward works on raw arrays"):
        ReturnsTensor.apply(x).sum().backward()


def test_a_backward_returning_the_wrong_number_of_gradients_says_how_many_were_expected():
    class TwoGradients(Square):
        def backward(self, g):
            return g, g

    x = tr.ones(3, requires_grad=True)
    with pytest.raises(tr.GraphError, match=r"TwoGradients\.backward returned 2 gradient\(s\) for 1 input\(s\)"):
        TwoGradients.apply(x).sum().backward()


def test_a_gradient_that_cannot_be_summed_back_names_both_shapes():
    class WrongShape(Square):
        def backward(self, g):
            return np.ones(3)

    x = tr.ones(5, requires_grad=True)
    with pytest.raises(tr.GraphError, match=r"WrongShape\.backward returned a gradient of shape \(3,\) for input #0 "
                                            r"of shape \(5,\)"):
        WrongShape.apply(x).sum().backward()


def test_a_backward_returning_something_else_is_named():
    class ReturnsList(Square):
        def backward(self, g):
            return [1.0, 2.0, 3.0]

    x = tr.ones(3, requires_grad=True)
    with pytest.raises(tr.GraphError, match=r"ReturnsList\.backward returned a list as the gradient of input #0"):
        ReturnsList.apply(x).sum().backward()


def test_the_pytorch_ctx_style_is_refused_at_class_definition_with_how_to_write_it_here():
    with pytest.raises(TypeError, match=r"TorchStyle\.forward is a @staticmethod taking ctx, as in "
                                        r"torch\.autograd\.Function\. Here a Function is an object and works on raw "
                                        r"arrays: write `def forward\(self, \*arrays\)`"):
        class TorchStyle(Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g


def test_apply_with_a_python_number_wraps_it_like_its_neighbour():
    class Scale(Function):
        def forward(self, x, k):
            self.save(k)
            return x * k

        def backward(self, g):
            return g * self.saved[0], None

    x = tr.ones(2, requires_grad=True)
    Scale.apply(x, 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_an_error_raised_inside_a_forward_keeps_its_cause():
    class Broken(Function):
        def forward(self, x):
            return x.reshape(7)

    with pytest.raises(tr.OpError, match=r"Broken: cannot reshape array of size 3") as info:
        Broken.apply(tr.ones(3))
    assert isinstance(info.value.__cause__, ValueError)
