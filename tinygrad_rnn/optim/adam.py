"""Adam (with the AMSGrad variant) and AdamW, as PyTorch documents them.

    g <- g + weight_decay * p              (Adam: L2 penalty in the gradient)
    p <- p (1 - lr * weight_decay)         (AdamW: decoupled decay, instead)
    m <- beta1 m + (1 - beta1) g
    v <- beta2 v + (1 - beta2) g^2
    v_max <- max(v_max, v)                 (amsgrad; then v_max replaces v below)
    p <- p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
"""

import math

from .. import backend
from .optimizer import Optimizer, check_at_least_zero, check_betas


class Adam(Optimizer):
    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        name = type(self).__name__
        check_at_least_zero(name, lr=lr, eps=eps)
        check_betas(name, betas)
        check_at_least_zero(name, weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad))

    def update(self, p, grad, group, state):
        xp = backend.xp_of(grad)
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state.update(step=0, exp_avg=xp.zeros_like(p.array), exp_avg_sq=xp.zeros_like(p.array))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(p.array)
        state["step"] = step = state["step"] + 1
        param = p.array
        if wd and self.decoupled_weight_decay:
            param = param * (1 - lr * wd)
        elif wd:
            grad = grad + wd * param
        # m <- beta1 m + (1 - beta1) g, written m + (1 - beta1)(g - m) as PyTorch's lerp_ computes it,
        # so that the trajectory matches PyTorch's to the last bit (the two roundings differ)
        m = state["exp_avg"] = state["exp_avg"] + (1 - beta1) * (grad - state["exp_avg"])
        v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad * grad
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"] = xp.maximum(state["max_exp_avg_sq"], v)
        step_size = lr / (1 - beta1 ** step)
        denom = xp.sqrt(v) / math.sqrt(1 - beta2 ** step) + group["eps"]
        p.copy_(param - step_size * m / denom)


class AdamW(Adam):
    """Adam with weight decay applied to the weights, not folded into the gradient."""

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
