"""Adagrad with learning-rate decay (PyTorch's algorithm).

    g <- g + weight_decay * p
    lr_t = lr / (1 + (t - 1) lr_decay)
    s <- s + g^2                     (s starts at initial_accumulator_value)
    p <- p - lr_t g / (sqrt(s) + eps)
"""

from .. import backend
from .optimizer import Optimizer, check_at_least_zero


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        check_at_least_zero("Adagrad", lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                            initial_accumulator_value=initial_accumulator_value, eps=eps)
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
