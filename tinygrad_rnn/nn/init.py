"""nn.init: fill a weight in place with PyTorch's initialisation schemes.

Each function draws from the library's generator (see `tr.manual_seed`), or from
`generator=` (a tr.Generator) where PyTorch takes one, on the host, casts to the
tensor's dtype, moves to its device and writes it in place under no_grad (so the
version counter moves, as PyTorch's init does), then returns the tensor.

fan_in and fan_out of a weight of shape (out, in, *kernel) are in * prod(kernel)
and out * prod(kernel), as PyTorch computes them.
"""

import math
import warnings

from .. import backend
from ..autograd import no_grad
from ..errors import OpError


def _fill(tensor, host_array):
    with no_grad():
        return tensor.copy_(backend.as_array(host_array, dtype=tensor.dtype, device=tensor.device))


def _rng(generator, name):
    """The host stream to draw from: the given generator's (a tr.Generator: its NumPy stream .rng), or the
    library's global one."""
    if generator is None:
        return backend.rng()
    stream = getattr(generator, "rng", None)
    if not hasattr(stream, "standard_normal"):
        raise OpError(f"{name}: generator must be a tr.Generator, got {type(generator).__name__}")
    return stream


def calculate_gain(nonlinearity, param=None):
    """The gain that keeps activations' variance steady through `nonlinearity`."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
              "sigmoid")
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


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """tensor ~ U(a, b)"""
    return _fill(tensor, _rng(generator, "uniform_").uniform(a, b, size=tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """tensor ~ N(mean, std^2)"""
    return _fill(tensor, _rng(generator, "normal_").normal(mean, std, size=tensor.shape))


def constant_(tensor, value):
    return _fill(tensor, backend.np.full(tensor.shape, value))


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """tensor ~ U(-a, a),  a = gain * sqrt(6 / (fan_in + fan_out))"""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """tensor ~ N(0, std^2),  std = gain * sqrt(2 / (fan_in + fan_out))"""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """tensor ~ U(-b, b),  b = gain * sqrt(3 / fan)  (fan = fan_in or fan_out)"""
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor  # nothing to scale by; PyTorch leaves an empty weight as it is
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """tensor ~ N(0, std^2),  std = gain / sqrt(fan)"""
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def orthogonal_(tensor, gain=1.0, generator=None):
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
    flat = _rng(generator, "orthogonal_").standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))


# ---- the rest of PyTorch's nn.init names ---------------------------------------------------------

_calculate_fan_in_and_fan_out = calculate_fan_in_and_fan_out   # the private name programs copy from PyTorch


def _calculate_correct_fan(tensor, mode):
    return _fan(tensor, mode)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """tensor ~ N(mean, std^2) restricted to [a, b] (a and b absolute, as PyTorch's): samples outside are
    drawn again until every one lies inside."""
    if not a < b:
        raise OpError(f"trunc_normal_: the bounds must satisfy a < b, got a={a} and b={b}")
    generator = _rng(generator, "trunc_normal_")
    values = generator.normal(mean, std, size=tensor.shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = generator.normal(mean, std, size=int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def eye_(tensor):
    """The identity matrix (ones on the diagonal of a 2-D tensor, zeros elsewhere)."""
    if tensor.ndim != 2:
        raise OpError(f"eye_: only tensors with 2 dimensions are supported, got shape {tuple(tensor.shape)}")
    return _fill(tensor, backend.np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """The Dirac delta of a convolution weight (out, in, *kernel): 1 at the kernel's centre where the
    output channel (within each of `groups`) equals the input channel, so the convolution is the identity."""
    if tensor.ndim not in (3, 4, 5):
        raise OpError(f"dirac_: only tensors with 3, 4, or 5 dimensions are supported, got shape "
                      f"{tuple(tensor.shape)}")
    if tensor.shape[0] % groups:
        raise OpError(f"dirac_: dim 0 ({tensor.shape[0]}) must be divisible by groups ({groups})")
    values = backend.np.zeros(tensor.shape)
    per_group = tensor.shape[0] // groups
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(per_group, tensor.shape[1])):
            values[(g * per_group + d, d) + centre] = 1.0
    return _fill(tensor, values)


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """A 2-D tensor ~ N(0, std^2) with a fraction `sparsity` of each column's entries set to zero."""
    if tensor.ndim != 2:
        raise OpError(f"sparse_: only tensors with 2 dimensions are supported, got shape {tuple(tensor.shape)}")
    rows, cols = tensor.shape
    generator = _rng(generator, "sparse_")
    values = generator.normal(0.0, std, size=(rows, cols))
    zeros = int(math.ceil(sparsity * rows))
    for col in range(cols):
        values[generator.permutation(rows)[:zeros], col] = 0.0
    return _fill(tensor, values)


def _deprecated(function):
    name = function.__name__[:-1]

    def deprecated(*args, **kwargs):
        warnings.warn(f"`nn.init.{name}` is now deprecated in favor of `nn.init.{function.__name__}`.",
                      FutureWarning, stacklevel=2)
        return function(*args, **kwargs)

    deprecated.__name__, deprecated.__doc__ = name, function.__doc__
    return deprecated


# PyTorch's old names without the trailing underscore, deprecated there too
uniform, normal, constant, eye, dirac = (_deprecated(f) for f in (uniform_, normal_, constant_, eye_, dirac_))
xavier_uniform, xavier_normal = _deprecated(xavier_uniform_), _deprecated(xavier_normal_)
kaiming_uniform, kaiming_normal = _deprecated(kaiming_uniform_), _deprecated(kaiming_normal_)
orthogonal, sparse = _deprecated(orthogonal_), _deprecated(sparse_)
