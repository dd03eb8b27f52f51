"""nn.init: fill a weight in place with PyTorch's initialisation schemes.

Each function draws from the library's generator (see `tr.manual_seed`) on the
host, casts to the tensor's dtype, moves to its device and writes it in place under
no_grad (so the version counter moves, as PyTorch's init does), then returns the tensor.

fan_in and fan_out of a weight of shape (out, in, *kernel) are in * prod(kernel)
and out * prod(kernel), as PyTorch computes them.
"""

import math

from .. import backend
from ..autograd import no_grad
from ..errors import OpError


def _fill(tensor, host_array):
    with no_grad():
        return tensor.copy_(backend.as_array(host_array, dtype=tensor.dtype, device=tensor.device))


def calculate_gain(nonlinearity, param=None):
    """The gain that keeps activations' variance steady through `nonlinearity`."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise OpError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one of "
                  f"{linear + ('tanh', 'relu', 'leaky_relu', 'selu')}")


def calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise OpError(f"init: fan in and fan out need a tensor with at least 2 axes, got shape {tuple(tensor.shape)}")
    receptive = 1
    for n in tensor.shape[2:]:
        receptive *= n
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise OpError(f"init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0):
    """tensor ~ U(a, b)"""
    return _fill(tensor, backend.rng().uniform(a, b, size=tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    """tensor ~ N(mean, std^2)"""
    return _fill(tensor, backend.rng().normal(mean, std, size=tensor.shape))


def constant_(tensor, value):
    return _fill(tensor, backend.np.full(tensor.shape, value))


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0):
    """tensor ~ U(-a, a),  a = gain * sqrt(6 / (fan_in + fan_out))"""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """tensor ~ N(0, std^2),  std = gain * sqrt(2 / (fan_in + fan_out))"""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)))


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """tensor ~ U(-b, b),  b = gain * sqrt(3 / fan)  (fan = fan_in or fan_out)"""
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor  # nothing to scale by; PyTorch leaves an empty weight as it is
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """tensor ~ N(0, std^2),  std = gain / sqrt(fan)"""
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))


def orthogonal_(tensor, gain=1.0):
    """A (semi-)orthogonal matrix: the Q of the QR factorisation of a Gaussian
    (rows, cols) matrix, signs fixed by R's diagonal so Q is uniformly
    distributed; extra axes are flattened into the columns."""
    if tensor.ndim < 2:
        raise OpError(f"orthogonal_: needs a tensor with at least 2 axes, got shape {tuple(tensor.shape)}")
    np = backend.np
    rows = tensor.shape[0]
    cols = tensor.numel() // rows if rows else 0
    if tensor.numel() == 0:
        return tensor
    flat = backend.rng().standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))
