"""tinygrad_rnn: a small reverse-mode autograd engine on NumPy or CuPy, with
recurrent networks and attention built from its ops, and drawings of the
unrolled graph. Its names follow PyTorch's: `import tinygrad_rnn as torch`."""

from . import cuda, data, nn, optim, viz
from .autograd import Function, current_scope, detect_anomaly, enable_grad, is_anomaly_enabled
from .autograd import is_grad_enabled, no_grad, record_grad_norms, scope, set_grad_enabled
from .backend import DeviceError, cuda_available
from .creation import BoolTensor, ByteTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor, LongTensor
from .creation import arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, ones
from .creation import ones_like, rand, rand_like, randint, randn, randn_like, randperm, tensor, zeros
from .creation import zeros_like
from .devices import device
from .dtypes import bool_, float16, float32, float64, int8, int16, int32, int64, uint8
from .errors import GradcheckError, GraphError, OpError
from .functions import abs, add, argmax, argmin, bmm, cat, chunk, clamp, clip, clone, concat, concatenate, cos
from .functions import div, eq, equal, exp, flatten, gather, ge, gt, le, log, log_softmax, lt, matmul, max
from .functions import mean, min, mm, mul, ne, neg, numel, permute, pow, relu, reshape, sigmoid, sin, softmax
from .functions import split, sqrt, squeeze, stack, sub, sum, t, tanh, transpose, tril, triu, unsqueeze, where
from .gradcheck import gradcheck
from .serialization import CheckpointError, load, save
from .tensor import Tensor

# ---- more of PyTorch's surface: module functions beyond functions.py, tr.accelerator, errors by kind ----
from . import accelerator
from .errors import ArgumentTypeError, DimError, IndexArgumentError
from .functions_surface import Size, allclose, amax, amin, argsort, ceil, clamp_max, clamp_min, cumsum, exp2
from .functions_surface import expm1, flip, floor, fmax, fmin, get_default_dtype, index_select, inference_mode
from .functions_surface import is_floating_point, is_tensor, isfinite, isinf, isnan, log1p, log2, log10
from .functions_surface import logsumexp, masked_fill, maximum, minimum, multinomial, norm, prod
from .functions_surface import promote_types, reciprocal, result_type, round, rsqrt, sign, sort, square, std
from .functions_surface import floor_divide, fmod, remainder, tile, topk, trunc, unbind, var
from .functions_surface import absolute, acos, addmm, arccos, arcsin, arctan, argwhere, asin, atan, bernoulli, bincount
from .functions_surface import broadcast_to, cosh, count_nonzero, diag, divide, dot, greater, greater_equal, isclose
from .functions_surface import less, less_equal, logical_and, logical_not, logical_or, logical_xor, masked_select
from .functions_surface import moveaxis, movedim, multiply, mv, nan_to_num, narrow, negative, nonzero, not_equal, outer
from .functions_surface import repeat_interleave, roll, select, sinh, subtract, swapaxes, swapdims, tan, true_divide
from .functions_surface import einsum, unflatten, unique
from .functions_surface import all, any  # noqa: A004 (PyTorch's names)

# ---- torch.autograd.grad (the module is the engine's autograd.py; the function lives beside it)
from . import autograd
from .autograd_grad import grad as _grad

# ---- set_default_dtype, finfo/iinfo, tr.backends, math constants ----------
from . import backends
from .backends import are_deterministic_algorithms_enabled, use_deterministic_algorithms
from .dtypes import finfo, iinfo, set_default_dtype
from .creation import normal
from .tensor_blend import addcdiv, addcmul, lerp

# ---- torch.utils.data and torch.Generator ---------------------------------------------
from . import utils
from .generator import Generator, manual_seed

__version__ = "0.1.0"

# PyTorch's constants: tr.pi, tr.e, tr.inf, tr.nan
pi, e, inf, nan = 3.141592653589793, 2.718281828459045, float("inf"), float("nan")

# PyTorch's dtype aliases: tr.float, tr.double, tr.half, tr.long, tr.int, tr.short, tr.bool
half, float, double, short, int, long, bool = float16, float32, float64, int16, int32, int64, bool_  # noqa: A001

autograd.grad = _grad  # tr.autograd.grad, as torch.autograd.grad

# PyTorch features left out on purpose: asking for one says so (absent.py)
from .absent import absent_getattr  # noqa: E402

__getattr__ = absent_getattr(__name__)
