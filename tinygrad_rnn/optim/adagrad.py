"""Adagrad with learning-rate decay (PyTorch's algorithm).

    g <- g + weight_decay * p
    lr_t = lr / (1 + (t - 1) lr_decay)
    s <- s + g^2                     (s starts at initial_accumulator_value)
    p <- p - lr_t g / (sqrt(s) + eps)
"""

from .. import backend
from ..errors import OpError
from .optimizer import Optimizer, check_numbers


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        check_numbers("Adagrad", lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                      initial_accumulator_value=initial_accumulator_value, eps=eps)
        if lr < 0 or lr_decay < 0 or weight_decay < 0 or initial_accumulator_value < 0 or eps < 0:
            raise OpError(f"Adagrad: lr, lr_decay, weight_decay, initial_accumulator_value and eps must be >= 0, "
                          f"got {lr}, {lr_decay}, {weight_decay}, {initial_accumulator_value}, {eps}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    def update(self, p, grad, group, state):
        xp = backend.xp_of(grad)
        if not state:
            state.update(step=0, sum=xp.full_like(p.array, group["initial_accumulator_value"]))
        state["step"] = step = state["step"] + 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p.array
        lr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        s = state["sum"] = state["sum"] + grad * grad
        p.copy_(p.array - lr * grad / (xp.sqrt(s) + group["eps"]))
