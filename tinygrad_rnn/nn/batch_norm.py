"""Batch normalisation (Ioffe and Szegedy, 2015), as torch.nn.BatchNorm1d: each channel is normalised
over the batch (and the length axis), with the statistics of the batch while training and the running
statistics in eval mode,

    x: (N, C) or (N, C, L);  n = N (or N * L) values per channel
    training:  mu, var = mean and biased variance over the batch axes           (C,)
               running_mean <- (1 - m) running_mean + m mu
               running_var  <- (1 - m) running_var  + m var * n / (n - 1)      (unbiased, as PyTorch's)
    eval:      mu, var = running_mean, running_var
    y = (x - mu) / sqrt(var + eps) * weight + bias                              weight, bias: (C,)

m is momentum, or with momentum=None 1 / num_batches_tracked (a cumulative average of every batch).
The normalisation is made of primitive ops, so autograd derives its backward; the running statistics
are buffers, updated in place outside the graph.
"""

from .. import backend
from ..autograd import no_grad
from ..creation import tensor
from ..errors import OpError
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """F.batch_norm: channels on axis 1 of input (N, C, *); see the module docstring. With training=True
    the batch's statistics are used and running_mean / running_var (when given) are updated in place."""
    where_ = "batch_norm"
    if not isinstance(input, Tensor) or input.ndim < 2:
        got = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise OpError(f"{where_}: expected input of shape (N, C, *) with at least 2 dimensions, got {got}")
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and tuple(t.shape) != (channels,):
            raise OpError(f"{where_}: {name} must have shape ({channels},) for input of shape {tuple(input.shape)} "
                          f"(C={channels} channels on axis 1), got {tuple(t.shape)}")
        if t is not None and t.dtype != input.dtype:
            raise OpError(f"{where_}: {name} has dtype {t.dtype} but the input has dtype {input.dtype}; "
                          "convert one of them (.float() / .double())")
    axes = (0,) + tuple(range(2, input.ndim))
    per_channel = input.numel() // max(channels, 1)
    stats_shape = (1, channels) + (1,) * (input.ndim - 2)
    if training:
        if per_channel <= 1:
            raise OpError(f"{where_}: expected more than 1 value per channel when training, got input size "
                          f"{tuple(input.shape)}")
        mean = input.mean(dim=axes, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(dim=axes, keepdim=True)
        if running_mean is not None or running_var is not None:
            with no_grad():
                if running_mean is not None:
                    running_mean.mul_(1.0 - momentum).add_(mean.detach().reshape(channels) * momentum)
                if running_var is not None:
                    unbiased = var.detach().reshape(channels) * (per_channel / (per_channel - 1))
                    running_var.mul_(1.0 - momentum).add_(unbiased * momentum)
    else:
        if running_mean is None or running_var is None:
            raise OpError(f"{where_}: running_mean and running_var are needed when training=False")
        centered = input - running_mean.reshape(stats_shape)
        var = running_var.reshape(stats_shape)
    y = centered / (var + eps).sqrt()
    if weight is not None:
        y = y * weight.reshape(stats_shape)
    return y + bias.reshape(stats_shape) if bias is not None else y


class BatchNorm1d(Module):
    """BatchNorm1d(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
    device=None, dtype=None)

    forward(x): x (N, C) or (N, C, L) -> the same shape; see the module docstring.
    Parameters weight (ones) and bias (zeros) of shape (C,) when affine. Buffers running_mean (zeros),
    running_var (ones) and num_batches_tracked (int64 0) when track_running_stats, else None (and the
    batch's statistics are used in eval mode too).
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None):
        super().__init__()
        if not isinstance(num_features, int) or isinstance(num_features, bool) or num_features < 1:
            raise OpError(f"BatchNorm1d: num_features must be a positive int, got {num_features!r}")
        if momentum is not None and not (isinstance(momentum, (int, float)) and 0 <= momentum <= 1):
            raise OpError(f"BatchNorm1d: momentum must be a number in [0, 1] or None, got {momentum!r}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = backend.default_float() if dtype is None else dtype
        np = backend.np
        self.register_parameter("weight", Parameter(np.ones(num_features, dtype), device=device) if affine else None)
        self.register_parameter("bias", Parameter(np.zeros(num_features, dtype), device=device) if affine else None)
        if track_running_stats:
            self.register_buffer("running_mean", tensor(np.zeros(num_features, dtype), device=device))
            self.register_buffer("running_var", tensor(np.ones(num_features, dtype), device=device))
            self.register_buffer("num_batches_tracked", tensor(np.array(0, np.int64), device=device))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self):
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1.0)
                self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            with no_grad():
                self.weight.fill_(1.0)
                self.bias.zero_()

    def forward(self, x):
        where_ = type(self).__name__
        if not isinstance(x, Tensor) or x.ndim not in (2, 3):
            got = f"{x.ndim}D input of shape {tuple(x.shape)}" if isinstance(x, Tensor) else type(x).__name__
            raise OpError(f"{where_}: expected 2D (N, C) or 3D (N, C, L) input, got {got}")
        if x.shape[1] != self.num_features:
            raise OpError(f"{where_}: expected {self.num_features} channels on axis 1, got input of shape "
                          f"{tuple(x.shape)}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative moving average
                factor = 1.0 / self.num_batches_tracked.item()
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return batch_norm(x, self.running_mean if track else None, self.running_var if track else None,
                          self.weight, self.bias, use_batch, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")
