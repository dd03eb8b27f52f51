"""gradcheck: compare backward's gradients with central differences.

    numerical d(loss)/dx_i ~ (loss(x + eps e_i) - loss(x - eps e_i)) / (2 eps)

A non-scalar output is reduced to loss = sum(out * r) with a fixed random r, so
every output element is checked. Run it in float64: float32 cannot resolve
eps = 1e-6.
"""

from . import backend
from .autograd import no_grad
from .errors import GradcheckError, OpError
from .tensor import Tensor


def _scalar(out, weights):
    return (out * weights).sum() if out.array.size != 1 else out.sum()


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check fn's gradients w.r.t. every input with requires_grad=True.

    fn: callable taking the inputs and returning a Tensor (or a tuple of them,
    all checked). Returns True, or raises GradcheckError naming the input, the
    worst index and both values.
    """
    inputs = list(inputs)
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise OpError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for t in checked:
        if t.dtype != backend.float64:
            raise OpError(f"gradcheck: input of shape {tuple(t.shape)} is {t.dtype}; use float64, "
                          "central differences are meaningless in float32")

    first = fn(*inputs)
    outs = first if isinstance(first, (tuple, list)) else (first,)
    host_rng = backend.np.random.default_rng(seed)
    weights = [Tensor(host_rng.standard_normal(o.shape), dtype=backend.float64, device=o.device)
               for o in outs]

    def loss():
        result = fn(*inputs)
        result = result if isinstance(result, (tuple, list)) else (result,)
        total = None
        for o, w in zip(result, weights):
            term = _scalar(o, w)
            total = term if total is None else total + term
        return total

    for t in checked:
        t.grad = None
    loss().backward()
    for number, t in enumerate(inputs):
        if not (isinstance(t, Tensor) and t.requires_grad):
            continue
        analytic = backend.to_numpy(t.grad.array) if t.grad is not None else backend.np.zeros(t.shape)
        numeric = backend.np.zeros(t.shape)
        if not t.array.flags.c_contiguous:
            t.data = backend.xp_of(t.array).ascontiguousarray(t.array)
        flat = t.array.reshape(-1)  # a view (t is contiguous): perturbing it perturbs t
        with no_grad():
            for i in range(flat.size):
                old = flat[i].item()
                flat[i] = old + eps
                up = loss().item()
                flat[i] = old - eps
                down = loss().item()
                flat[i] = old
                numeric.reshape(-1)[i] = (up - down) / (2 * eps)
        np = backend.np
        excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        bad = ~(excess <= 0)  # written so that a NaN on either side counts as wrong
        if bad.any():
            worst = np.unravel_index(np.where(bad, np.nan_to_num(excess, nan=np.inf), -np.inf).argmax(), bad.shape)
            raise GradcheckError(
                f"gradcheck: gradient of input #{number} (shape {tuple(t.shape)}) is wrong at index "
                f"{tuple(int(i) for i in worst)}: analytical {analytic[worst]:.10g}, numerical "
                f"{numeric[worst]:.10g} (atol={atol}, rtol={rtol})")
    return True
