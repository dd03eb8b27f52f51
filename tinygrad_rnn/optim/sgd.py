"""SGD with momentum, dampening, Nesterov momentum and L2 weight decay (PyTorch's algorithm).

    g <- g + weight_decay * p
    b <- g  (first step),  b <- momentum * b + (1 - dampening) * g  (later steps)
    g <- g + momentum * b  (nesterov)  or  g <- b   (momentum > 0)
    p <- p - lr * g
"""

from ..errors import OpError
from .optimizer import Optimizer, check_at_least_zero, check_numbers


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        check_numbers("SGD", dampening=dampening)
        check_at_least_zero("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise OpError("SGD: Nesterov momentum requires a momentum and zero dampening "
                          f"(needs momentum > 0 and dampening = 0, got momentum={momentum}, dampening={dampening})")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def update(self, p, grad, group, state):
        momentum = group["momentum"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p.array
        if momentum:
            buf = state.get("momentum_buffer")
            buf = grad.copy() if buf is None else momentum * buf + (1 - group["dampening"]) * grad
            state["momentum_buffer"] = buf
            grad = grad + momentum * buf if group["nesterov"] else buf
        p.copy_(p.array - group["lr"] * grad)
