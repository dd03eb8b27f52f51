"""RMSprop, plain, centered and with momentum (PyTorch's algorithm).

    g <- g + weight_decay * p
    v <- alpha v + (1 - alpha) g^2
    centered:  a <- alpha a + (1 - alpha) g,  denom = sqrt(v - a^2) + eps;  else denom = sqrt(v) + eps
    momentum:  b <- momentum b + g / denom,  p <- p - lr b;   else p <- p - lr g / denom
"""

from .. import backend
from .optimizer import Optimizer, check_at_least_zero


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        check_at_least_zero("RMSprop", lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def update(self, p, grad, group, state):
        xp = backend.xp_of(grad)
        alpha = group["alpha"]
        if not state:
            state.update(step=0, square_avg=xp.zeros_like(p.array))
            if group["momentum"] > 0:
                state["momentum_buffer"] = xp.zeros_like(p.array)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(p.array)
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p.array
        v = state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * grad * grad
        if group["centered"]:
            a = state["grad_avg"] = state["grad_avg"] + (1 - alpha) * (grad - state["grad_avg"])
            denom = xp.sqrt(v - a * a) + group["eps"]
        else:
            denom = xp.sqrt(v) + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"] = group["momentum"] * state["momentum_buffer"] + grad / denom
            p.copy_(p.array - group["lr"] * buf)
        else:
            p.copy_(p.array - group["lr"] * grad / denom)
