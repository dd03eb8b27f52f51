"""Worked solutions to the exercises of tutorial 1 (tensors and autograd)."""

import numpy as np


def exercise_sum_to_shape(grad, shape):
    # broadcasting prepends axes, then stretches axes of size 1: undo both by summing
    lead = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True).reshape(shape)


def exercise_sigmoid_backward(x, grad_out):
    s = 1 / (1 + np.exp(-x))
    return grad_out * s * (1 - s)          # sigmoid' = sigmoid (1 - sigmoid)


def exercise_numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up) - f(down)) / (2 * eps)
    return grad
