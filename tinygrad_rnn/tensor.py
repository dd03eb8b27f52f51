"""Tensor: an array (NumPy or CuPy), its gradient, and the node that made it.

    t.data          the raw array (xp.ndarray); assigning to it, even in place
                    with `t.data -= ...`, bumps the version counter that lets
                    backward detect arrays changed after they were saved
    t.grad          a Tensor of the same shape, filled by backward(), or None
    t._ctx          the Function that produced t (None for a leaf)

Every operator is one op from `tinygrad_rnn.ops`; the methods here only
dispatch, so the maths lives in one place.
"""

from . import backend
from .errors import GraphError, OpError


class Tensor:
    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "_index", "_version", "name", "__weakref__")
    __array_priority__ = 1000  # numpy scalars on the left defer to our operators

    def __init__(self, data, requires_grad=False, dtype=None, device=None):
        if isinstance(data, Tensor):
            data = data._data
        try:
            self._data = backend.as_array(data, dtype=dtype, device=device)
        except (ValueError, TypeError) as exc:  # ragged nested lists, a dtype that is not one
            raise OpError(f"Tensor: cannot make an array from this {type(data).__name__}: {exc}") from None
        if self._data.dtype.kind not in "biufc":
            raise OpError(f"Tensor: data must be numbers or booleans, got dtype {self._data.dtype}")
        self.grad = None
        self._ctx = None
        self._index = 0
        self._version = 0
        self.name = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, array, requires_grad=False, ctx=None, index=0):
        """Wrap an array without copying or converting (the ops' fast path)."""
        t = object.__new__(Tensor)
        t._data = array
        t.grad = None
        t.requires_grad = requires_grad
        t._ctx = ctx
        t._index = index
        t._version = 0
        t.name = None
        return t

    def requires_grad_(self, flag=True):
        if flag and self._data.dtype.kind != "f":
            raise OpError(f"requires_grad: only floating-point tensors can require gradients, "
                          f"got dtype {self._data.dtype}; convert with .float() or dtype=float32")
        self.requires_grad = flag
        return self

    # ---- data, shape, device -------------------------------------------------
    @property
    def data(self):
        return self._data

    @data.setter
    def data(self, array):
        if isinstance(array, Tensor):
            array = array._data
        self._data = array
        self._version += 1

    @property
    def array(self):
        """The backend array holding the values (numpy.ndarray or cupy.ndarray), no copy.

        The engine's ops read it; change a tensor through its in-place methods, never by
        writing into this array, or the version counter cannot see the change."""
        return self._data

    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def size(self):
        return self._data.size

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def device(self):
        return backend.device_of(self._data)

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        """The slices along the first axis, each a differentiable t[i] (as PyTorch)."""
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def numpy(self):
        """A host NumPy copy (the array itself on CPU, detached from the graph)."""
        return backend.to_numpy(self._data)

    def item(self):
        if self._data.size != 1:
            raise OpError(f"item: only a tensor with one element converts to a Python number, got shape {self.shape}")
        return self._data.reshape(()).item()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __format__(self, spec):
        """f"{loss:.4f}" formats a one-element tensor as its number."""
        if spec and self._data.size == 1:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def tolist(self):
        return self.numpy().tolist()

    def to(self, device):
        """This tensor on `device` ("cpu" or "cuda"); differentiable."""
        device = backend.check_device(device)
        if device == self.device:
            return self
        return ops.ToDevice.apply(self, device=device)

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def detach(self):
        """The same data, cut from the graph."""
        return Tensor._make(self._data)

    def astype(self, dtype):
        return ops.Cast.apply(self, dtype=dtype)

    def float(self):
        return self.astype(backend.float32)

    def double(self):
        return self.astype(backend.float64)

    # ---- autograd ------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's .grad.

        `grad` is d(loss)/d(self); it may be omitted only for a scalar."""
        if not self.requires_grad:
            raise GraphError("backward: this tensor does not require grad and has no graph; "
                             "create the leaves with requires_grad=True (and not under no_grad())")
        if grad is None:
            if self._data.size != 1:
                raise GraphError(f"backward: grad can be omitted only for a scalar output, got shape "
                                 f"{tuple(self.shape)}; pass grad= an array of that shape "
                                 "(or reduce first, e.g. y.sum().backward())")
            g = backend.xp_of(self._data).ones_like(self._data)
        else:
            g = grad._data if isinstance(grad, Tensor) else backend.as_array(grad, dtype=self.dtype, device=self.device)
            if g.shape != self.shape:
                raise GraphError(f"backward: grad has shape {tuple(g.shape)} but the tensor has shape "
                                 f"{tuple(self.shape)}; they must be equal")
            if backend.device_of(g) != self.device:
                raise backend.DeviceError(f"backward: grad is on {backend.device_of(g)} but the tensor is on "
                                          f"{self.device}; move it with .to(device)")
        autograd.run_backward(self, g, retain_graph)

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in .grad after backward."""
        if self._ctx is None:
            return self
        import weakref
        if self._ctx.retained is None:
            self._ctx.retained = {}
        self._ctx.retained[self._index] = weakref.ref(self)
        return self

    def zero_grad(self):
        self.grad = None

    # ---- arithmetic ----------------------------------------------------------
    def __add__(self, other): return ops.Add.apply(self, other)
    def __radd__(self, other): return ops.Add.apply(other, self)
    def __sub__(self, other): return ops.Sub.apply(self, other)
    def __rsub__(self, other): return ops.Sub.apply(other, self)
    def __mul__(self, other): return ops.Mul.apply(self, other)
    def __rmul__(self, other): return ops.Mul.apply(other, self)
    def __truediv__(self, other): return ops.Div.apply(self, other)
    def __rtruediv__(self, other): return ops.Div.apply(other, self)
    def __pow__(self, other): return ops.Pow.apply(self, other)
    def __rpow__(self, other): return ops.Pow.apply(other, self)
    def __matmul__(self, other): return ops.MatMul.apply(self, other)
    def __rmatmul__(self, other): return ops.MatMul.apply(other, self)
    def __neg__(self): return ops.Neg.apply(self)
    def __getitem__(self, index): return ops.GetItem.apply(self, index=index)

    # comparisons give boolean tensors and carry no gradient
    def __lt__(self, other): return ops.compare("less", self, other)
    def __le__(self, other): return ops.compare("less_equal", self, other)
    def __gt__(self, other): return ops.compare("greater", self, other)
    def __ge__(self, other): return ops.compare("greater_equal", self, other)
    def __eq__(self, other): return ops.compare("equal", self, other)
    def __ne__(self, other): return ops.compare("not_equal", self, other)
    __hash__ = object.__hash__

    def __bool__(self):
        if self._data.size != 1:
            raise OpError(f"bool: the truth value of a tensor of shape {tuple(self.shape)} is ambiguous; "
                          "use .all() or .any()")
        return bool(self._data)

    def all(self):
        return bool(self._data.all())

    def any(self):
        return bool(self._data.any())

    # ---- pointwise -----------------------------------------------------------
    def exp(self): return ops.Exp.apply(self)
    def log(self): return ops.Log.apply(self)
    def tanh(self): return ops.Tanh.apply(self)
    def sigmoid(self): return ops.Sigmoid.apply(self)
    def relu(self): return ops.ReLU.apply(self)
    def abs(self): return ops.Abs.apply(self)
    def sqrt(self): return ops.Sqrt.apply(self)
    def clip(self, min=None, max=None): return ops.Clip.apply(self, low=min, high=max)
    def softmax(self, axis=-1): return ops.Softmax.apply(self, axis=axis)
    def log_softmax(self, axis=-1): return ops.LogSoftmax.apply(self, axis=axis)

    # ---- reductions ----------------------------------------------------------
    def sum(self, axis=None, keepdims=False): return ops.Sum.apply(self, axis=axis, keepdims=keepdims)
    def mean(self, axis=None, keepdims=False): return ops.Mean.apply(self, axis=axis, keepdims=keepdims)
    def max(self, axis=None, keepdims=False): return ops.Max.apply(self, axis=axis, keepdims=keepdims)

    # ---- shape ---------------------------------------------------------------
    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.Reshape.apply(self, shape=shape)

    def view(self, *shape):
        return self.reshape(*shape)

    def flatten(self):
        return self.reshape(-1)

    def permute(self, *axes):
        """Reorder all axes: `x.permute(1, 0, 2)`."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return ops.Transpose.apply(self, axes=axes)

    def transpose(self, dim0=-2, dim1=-1):
        """Swap two axes (PyTorch's meaning); `permute` takes any permutation."""
        axes = list(range(self.ndim))
        try:
            axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        except IndexError:
            raise OpError(f"transpose: axes ({dim0}, {dim1}) are out of range for a tensor "
                          f"of shape {tuple(self.shape)}") from None
        return ops.Transpose.apply(self, axes=tuple(axes))

    @property
    def T(self):
        return ops.Transpose.apply(self, axes=tuple(range(self.ndim))[::-1])

    def unsqueeze(self, axis):
        """Insert an axis of size 1 at `axis` (-ndim-1 <= axis <= ndim, as PyTorch)."""
        if not -self.ndim - 1 <= axis <= self.ndim:
            raise OpError(f"unsqueeze: axis {axis} is out of range for a tensor of shape {tuple(self.shape)} "
                          f"(expected {-self.ndim - 1} to {self.ndim})")
        shape = list(self.shape)
        shape.insert(axis if axis >= 0 else len(shape) + axis + 1, 1)
        return self.reshape(tuple(shape))

    def squeeze(self, axis=None):
        """Drop axes of size 1 (all of them, or `axis` if it has size 1)."""
        if axis is None:
            shape = tuple(n for n in self.shape if n != 1)
        else:
            if not -self.ndim <= axis < max(self.ndim, 1):
                raise OpError(f"squeeze: axis {axis} is out of range for a tensor of shape {tuple(self.shape)}")
            shape = list(self.shape)
            if shape and shape[axis] == 1:
                del shape[axis]
        return self.reshape(tuple(shape))

    def split(self, split_size_or_sections, axis=0):
        return ops.split(self, split_size_or_sections, axis)

    def __repr__(self):
        body = repr(backend.to_numpy(self._data)).replace("array(", "Tensor(", 1)
        body = body.rstrip(")")
        extra = [f"dtype={self.dtype}"] if "dtype=" not in body else []
        if self.device != "cpu":
            extra.append(f"device='{self.device}'")
        if self._ctx is not None:
            extra.append(f"grad_fn=<{self._ctx.name}>")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        return body + (", " + ", ".join(extra) if extra else "") + ")"


def tensor(data, requires_grad=False, dtype=None, device=None):
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def _shape(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


def zeros(*shape, dtype=backend.float32, device=None, requires_grad=False):
    return Tensor(backend.xp_for(device).zeros(_shape(shape), dtype=dtype), requires_grad=requires_grad)


def ones(*shape, dtype=backend.float32, device=None, requires_grad=False):
    return Tensor(backend.xp_for(device).ones(_shape(shape), dtype=dtype), requires_grad=requires_grad)


def zeros_like(t, requires_grad=False):
    return zeros(t.shape, dtype=t.dtype, device=t.device, requires_grad=requires_grad)


def ones_like(t, requires_grad=False):
    return ones(t.shape, dtype=t.dtype, device=t.device, requires_grad=requires_grad)


def randn(*shape, dtype=backend.float32, device=None, requires_grad=False):
    """Standard normal samples from the library's generator (see manual_seed)."""
    data = backend.rng().standard_normal(_shape(shape)).astype(dtype)
    return Tensor(data, device=device, requires_grad=requires_grad)


def rand(*shape, dtype=backend.float32, device=None, requires_grad=False):
    data = backend.rng().random(_shape(shape)).astype(dtype)
    return Tensor(data, device=device, requires_grad=requires_grad)


def arange(*args, dtype=None, device=None):
    """Like range, as a tensor; float steps give float32 unless dtype says otherwise."""
    data = backend.xp_for(device).arange(*args, dtype=dtype)
    if dtype is None and data.dtype == backend.float64:
        data = data.astype(backend.float32)
    return Tensor(data)


# imported last: the ops need Tensor to be defined
from . import autograd, ops  # noqa: E402
