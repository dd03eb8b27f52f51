"""Adadelta (PyTorch's algorithm).

    g <- g + weight_decay * p
    v <- rho v + (1 - rho) g^2
    d = sqrt(u + eps) / sqrt(v + eps) * g
    u <- rho u + (1 - rho) d^2
    p <- p - lr d
"""

from .. import backend
from .optimizer import Optimizer, check_at_least_zero, check_in_range


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        check_at_least_zero("Adadelta", lr=lr)
        check_in_range("Adadelta", "rho", rho, 1.0, closed=True)
        check_at_least_zero("Adadelta", eps=eps, weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def update(self, p, grad, group, state):
        xp = backend.xp_of(grad)
        rho, eps = group["rho"], group["eps"]
        if not state:
            state.update(step=0, square_avg=xp.zeros_like(p.array), acc_delta=xp.zeros_like(p.array))
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p.array
        v = state["square_avg"] = rho * state["square_avg"] + (1 - rho) * grad * grad
        delta = xp.sqrt(state["acc_delta"] + eps) / xp.sqrt(v + eps) * grad
        state["acc_delta"] = rho * state["acc_delta"] + (1 - rho) * delta * delta
        p.copy_(p.array - group["lr"] * delta)
