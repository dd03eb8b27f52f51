"""More of PyTorch's activations, each a function (nn.functional's name) and a module, built from
the engine's ops so their gradients come from ops already checked.

    leaky_relu(x, a)   x if x > 0 else a x
    elu(x, a)          x if x > 0 else a (e^x - 1)           (expm1 of min(x, 0): no overflow)
    silu(x)            x sigmoid(x)
    softplus(x, b, t)  log(1 + e^(b x)) / b, and x where b x > t  (as PyTorch's threshold)
    mish(x)            x tanh(softplus(x))
    hardtanh(x, lo, hi) clamp(x, lo, hi)
    softsign(x)        x / (1 + |x|)
    prelu(x, w)        x if x > 0 else w x   (w one number, or one per channel, dim 1)

`inplace=True` is accepted and computes out of place: the result is the same, and the input keeps
its value (a program that reads the input after an in-place activation would differ).
"""

from .. import functions
from ..errors import OpError
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return functions.where(input > 0, input, input * negative_slope)


def elu(input, alpha=1.0, inplace=False):
    return functions.where(input > 0, input, input.clamp(max=0).expm1() * alpha)


def silu(input, inplace=False):
    return input * input.sigmoid()


def softplus(input, beta=1.0, threshold=20.0):
    z = input * beta
    # log(1 + e^z) as z + log1p(e^-z) for z > 0 and log1p(e^z) otherwise: each branch clamped so that
    # neither overflows, and the slope at 0 is sigmoid(0) = 1/2
    smooth = functions.where(z > 0, z + (-z.clamp(min=0)).exp().log1p(), z.clamp(max=0).exp().log1p()) / beta
    return functions.where(z > threshold, input, smooth)


def mish(input, inplace=False):
    return input * softplus(input).tanh()


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise OpError(f"hardtanh: min_val {min_val} must not exceed max_val {max_val}")
    return input.clamp(min_val, max_val)


def softsign(input):
    return input / (1 + input.abs())


def prelu(input, weight):
    if weight.numel() > 1:
        channels = input.shape[1] if input.ndim > 1 else input.shape[0]
        if weight.numel() != channels:
            raise OpError(f"prelu: weight has {weight.numel()} entries but the input of shape {tuple(input.shape)} "
                          f"has {channels} channels (dim 1); give 1 or {channels}")
        if input.ndim > 1:
            weight = weight.reshape((channels,) + (1,) * (input.ndim - 2))
    return functions.where(input > 0, input, input * weight)


class _Pointwise(Module):
    _function = None
    _options = ()

    def __init__(self, *args, inplace=False, **kwargs):
        super().__init__()
        names = [n for n in self._options if n not in kwargs]
        if len(args) > len(names):
            raise OpError(f"{type(self).__name__}: takes at most {len(self._options)} options "
                          f"({', '.join(self._options) or 'none'}), got {len(args)}")
        for name, value in {**dict(zip(names, args)), **kwargs}.items():
            if name not in self._options:
                raise OpError(f"{type(self).__name__}: unknown option {name!r}; it takes {self._options}")
            setattr(self, name, value)
        self.inplace = inplace

    def forward(self, input):
        return type(self)._function(input, **{n: getattr(self, n) for n in self._options if hasattr(self, n)})

    def extra_repr(self):
        return ", ".join(f"{n}={getattr(self, n)}" for n in self._options if hasattr(self, n))


class LeakyReLU(_Pointwise):
    _function, _options = staticmethod(leaky_relu), ("negative_slope",)


class ELU(_Pointwise):
    _function, _options = staticmethod(elu), ("alpha",)


class SiLU(_Pointwise):
    _function = staticmethod(silu)


class Softplus(_Pointwise):
    _function, _options = staticmethod(softplus), ("beta", "threshold")


class Mish(_Pointwise):
    _function = staticmethod(mish)


class Hardtanh(_Pointwise):
    _function, _options = staticmethod(hardtanh), ("min_val", "max_val")


class Softsign(_Pointwise):
    _function = staticmethod(softsign)


class PReLU(Module):
    """A learned negative slope: num_parameters (1, or the channels at dim 1), starting at init."""

    def __init__(self, num_parameters=1, init=0.25):
        super().__init__()
        self.num_parameters = num_parameters
        from .. import creation
        self.weight = Parameter(creation.full((num_parameters,), float(init)))

    def forward(self, input):
        return prelu(input, self.weight)


class Flatten(Module):
    """x.flatten(start_dim, end_dim): (N, C, L) -> (N, C L) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        if not isinstance(input, Tensor):
            raise OpError(f"Flatten: expected a Tensor, got {type(input).__name__}")
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
