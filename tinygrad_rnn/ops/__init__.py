"""Every differentiable op, each a small Function subclass written once for NumPy and CuPy."""

from .arithmetic import Add, Div, Mul, Neg, Pow, Sub
from .gather import Gather, Scatter, along
from .matmul import MatMul
from .reduce import Max, Mean, Min, Sum, normalize_axes
from .select import Where
from .shape import Concat, Expand, GetItem, Reshape, Split, Stack, Transpose, index_arrays
from .softmax import LogSoftmax, Softmax
from .unary import Abs, Cast, Clip, Clone, Cos, Exp, Log, ReLU, Sigmoid, Sin, Sqrt, Tanh, ToDevice, stable_sigmoid
from .write import Overwrite, SetItem, ViewUpdate

# ---- PyTorch's surface: running sums, more pointwise functions ----
from .cumsum import Cumsum
from .einsum import Einsum
from .elementwise import Acos, Asin, Atan, Cosh, Expm1, Log1p, Maximum, Minimum, Rounding, Sinh, Tan

__all__ = [
    "Add", "Sub", "Mul", "Div", "Neg", "Pow", "MatMul", "Exp", "Log", "Tanh", "Sigmoid", "ReLU", "Sin", "Cos",
    "Abs", "Sqrt", "Clip", "Cast", "Clone", "ToDevice", "Softmax", "LogSoftmax", "Sum", "Mean", "Max", "Min",
    "Reshape", "Transpose", "Expand", "GetItem", "Concat", "Stack", "Split", "Where", "Gather", "Scatter",
    "SetItem", "Overwrite", "ViewUpdate", "index_arrays", "along", "stable_sigmoid", "normalize_axes",
    "Cumsum", "Maximum", "Minimum", "Log1p", "Expm1", "Rounding", "Tan", "Atan", "Asin", "Acos", "Sinh", "Cosh",
    "Einsum",
]
