"""tinygrad_rnn: a small reverse-mode autograd engine on NumPy or CuPy, with
recurrent networks and attention built from its ops, and drawings of the
unrolled graph."""

# tensor first: it pulls in autograd and the ops in the order they need
from .tensor import Tensor, arange, ones, ones_like, rand, randn, tensor, zeros, zeros_like  # noqa: I001
from .autograd import current_scope, detect_anomaly, enable_grad, is_grad_enabled, no_grad, record_grad_norms, scope
from .backend import DeviceError, cuda_available, float32, float64, int64, manual_seed
from .errors import GradcheckError, GraphError, OpError
from .gradcheck import gradcheck
from .ops import concat, split, stack, where

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "zeros", "ones", "zeros_like", "ones_like", "randn", "rand", "arange",
    "manual_seed", "concat", "stack", "split", "where", "no_grad", "enable_grad", "is_grad_enabled",
    "scope", "current_scope", "detect_anomaly", "record_grad_norms", "gradcheck", "cuda_available",
    "float32", "float64", "int64", "DeviceError", "OpError", "GraphError", "GradcheckError",
]

# layers, losses, optimizers and checkpoints
from . import nn, optim, viz  # noqa: E402
from .serialization import CheckpointError, load, save  # noqa: E402

__all__ += ["nn", "optim", "viz", "save", "load", "CheckpointError"]
from . import cuda  # noqa: E402,F401  (tr.cuda.is_available(), as torch.cuda)
