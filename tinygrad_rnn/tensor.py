"""Tensor: an array (NumPy or CuPy), its gradient, and the node that made it.

    t.data          a Tensor sharing t's storage, outside the graph (requires_grad=False),
                    as in PyTorch: `p.data.add_(...)` changes p without recording anything
    t.array         the raw backend array (numpy.ndarray or cupy.ndarray) that the ops read;
                    read it, never write into it (the version counter would not see the change)
    t.numpy()       a host NumPy array: on the CPU a read-only view of the storage, on a GPU a copy
    t.grad          a Tensor of the same shape, filled by backward(), or None
    t._ctx          the Function that produced t (None for a leaf); t._index: which of its outputs
    t._counter      the storage's version counter, shared by every tensor viewing the same memory
                    (views, detach(), .data); every in-place change moves it by one, and a node
                    that saved the old value refuses to backpropagate (tinygrad_rnn/inplace.py)

The many operators and methods live in tensor_methods.py (grouped by kind),
tensor_math.py and tensor_surface.py (more of PyTorch's numerical and everyday methods),
each one an op from tinygrad_rnn/ops, so the maths lives in one place; this
file is what a Tensor *is*.
"""

import weakref

from . import backend, devices
from .autograd import add_hook, memory_owner, run_backward
from .errors import ArgumentTypeError, GraphError, OpError
from .tensor_bitwise import BitwiseMethods
from .tensor_blend import BlendMethods
from .tensor_surface import SurfaceMethods
from .tensor_windows import WindowMethods


class Version:
    """How many times a storage was changed in place; one object shared by all tensors on that storage."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class Tensor(SurfaceMethods, WindowMethods, BitwiseMethods, BlendMethods):
    __slots__ = ("_data", "_grad", "requires_grad", "_ctx", "_index", "_counter", "_view", "name", "__weakref__")
    __array_priority__ = 1000  # numpy scalars on the left defer to our operators

    def __init__(self, *data, requires_grad=False, dtype=None, device=None):
        """Tensor(data) copies data (nested lists, numbers, arrays, a Tensor) into a new storage, as
        float32 unless dtype says otherwise (PyTorch's Tensor(...); tr.tensor(...) infers the dtype).
        Tensor(2, 3) (all ints) is a zero-filled tensor of that shape, as PyTorch's legacy form."""
        if len(data) != 1 or type(data[0]) is int:
            data = self._legacy_shape(data)
        else:
            data = data[0]
        if dtype is None and not isinstance(data, Tensor):
            dtype = backend.default_float()  # PyTorch's Tensor(...) has the default dtype whatever the data
        if isinstance(data, Tensor):
            data = data._data
        self._data = make_array(data, dtype, devices.normalize(device), "Tensor")
        self._grad = None
        self._ctx = None
        self._index = 0
        self._counter = Version()
        self._view = None
        self.name = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _legacy_shape(sizes):
        if not sizes or not all(type(n) is int and n >= 0 for n in sizes):
            raise OpError(f"Tensor: expected one data argument (a list, number, array or Tensor) or sizes as "
                          f"non-negative ints, got {sizes!r}")
        return backend.np.zeros(sizes, dtype=backend.default_float())

    @classmethod
    def _make(cls, array, requires_grad=False, ctx=None, index=0):
        """Wrap an array without copying or converting (the ops' fast path)."""
        t = object.__new__(Tensor)
        t._data = array
        t._grad = None
        t.requires_grad = requires_grad
        t._ctx = ctx
        t._index = index
        t._counter = Version()
        t._view = None
        t.name = None
        return t

    def requires_grad_(self, requires_grad=True):
        if not isinstance(requires_grad, bool):
            raise OpError(f"requires_grad_: expected True or False, got {requires_grad!r}")
        if requires_grad and self._data.dtype.kind not in "fc":
            raise OpError(f"requires_grad: only floating-point tensors can require gradients, "
                          f"got dtype {self._data.dtype}; convert with .float() or dtype=float32")
        if not requires_grad and self._ctx is not None:
            raise GraphError("requires_grad_(False): this tensor was computed in the graph; "
                             "use .detach() to get one outside it")
        self.requires_grad = requires_grad
        return self

    # ---- storage -------------------------------------------------------------
    @property
    def array(self):
        """The backend array holding the values (numpy.ndarray or cupy.ndarray), no copy.

        The engine's ops read it; change a tensor through its in-place methods, never by
        writing into this array, or the version counter cannot see the change."""
        return self._data

    @property
    def data(self):
        """A Tensor on the same storage, outside the graph (as PyTorch's .data)."""
        t = Tensor._make(self._data)
        t._counter = self._counter
        return t

    @data.setter
    def data(self, value):
        """`t.data = other` makes t hold other's storage (as PyTorch; other may be on another device,
        which is how Module.to moves parameters); graphs that saved the old values are told by the
        version counter."""
        array = value._data if isinstance(value, Tensor) else value
        if array is self._data:  # `t.data -= 1` changed the storage in place already, then assigns it back
            return
        if not backend.is_array(array):
            raise OpError(f"data: expected a Tensor to assign, got {type(value).__name__}")
        if not isinstance(value, Tensor) and backend.device_of(array) != backend.device_of(self._data):
            # a Tensor may move t to its device (Module.to does that); a bare array of another device is a slip
            raise backend.DeviceError(f"data: cannot assign an array on {backend.device_of(array)} to the data of "
                                      f"a tensor on {self.device}; pass a Tensor, or move the array first")
        self._data = array
        self._counter.value += 1

    @property
    def _version(self):
        """How often this tensor's storage was changed in place (PyTorch's t._version)."""
        return self._counter.value

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise ArgumentTypeError(f"grad: expected a Tensor or None, got {type(value).__name__}")
            if value.shape != self.shape or value.device != self.device:
                raise OpError(f"grad: assigned a gradient of shape {tuple(value.shape)} on {value.device} to a "
                              f"tensor of shape {tuple(self.shape)} on {self.device}; they must match")
            if value.dtype != self.dtype:  # as PyTorch: a float64 gradient never makes a float32 step
                raise OpError(f"grad: assigned a gradient of dtype {value.dtype} to a tensor of dtype {self.dtype}; "
                              f"they must match (convert it with .to({self.dtype}))")
        self._grad = value

    # ---- what it is ----------------------------------------------------------
    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def device(self):
        """tr.device("cpu") or tr.device("cuda"): a string with PyTorch's .type."""
        return devices.KNOWN[backend.device_of(self._data)]

    @property
    def is_cuda(self):
        return self.device == "cuda"

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    def numpy(self):
        """A host NumPy array: a read-only view of this tensor's memory on the CPU (writes to it
        could not be seen by the version counter), a copy from a GPU."""
        a = self._data
        if type(a) is backend.np.ndarray:
            a = a.view()
            a.flags.writeable = False
            return a
        return backend.to_numpy(a)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def item(self):
        if self._data.size != 1:
            raise OpError(f"item: only a tensor with one element converts to a Python number, got shape "
                          f"{tuple(self.shape)}")
        return self._data.reshape(()).item()

    def tolist(self):
        return backend.to_numpy(self._data).tolist()

    # ---- autograd ------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's .grad.

        `gradient` is d(loss)/d(self); it may be omitted only for a one-element tensor.
        retain_graph=True keeps the saved arrays for another backward through the same graph."""
        if create_graph:
            raise GraphError("backward: create_graph=True (gradients of gradients) is not supported; "
                             "this engine's backward works on raw arrays")
        if inputs is not None:
            raise GraphError("backward: inputs= is not supported; backward fills the .grad of every leaf")
        if not self.requires_grad:
            raise GraphError("backward: this tensor does not require grad and has no graph; "
                             "create the leaves with requires_grad=True (and not under no_grad())")
        if gradient is None:
            if self._data.size != 1:
                raise GraphError(f"backward: gradient can be omitted only for a one-element output, got shape "
                                 f"{tuple(self.shape)}; pass gradient= a tensor of that shape "
                                 "(or reduce first, e.g. y.sum().backward())")
            g = backend.xp_of(self._data).ones_like(self._data)
        else:
            if isinstance(gradient, Tensor):
                g = gradient._data
            elif backend.is_array(gradient) or isinstance(gradient, (int, float, list)) and \
                    not isinstance(gradient, bool):
                g = make_array(gradient, self.dtype, self.device, "backward")
            else:
                raise ArgumentTypeError(f"backward: gradient must be a Tensor of shape {tuple(self.shape)} or None, "
                                        f"got {type(gradient).__name__}")
            if g.shape != self.shape:
                raise GraphError(f"backward: gradient has shape {tuple(g.shape)} but the tensor has shape "
                                 f"{tuple(self.shape)}; they must be equal")
            if backend.device_of(g) != self.device:
                raise backend.DeviceError(f"backward: gradient is on {backend.device_of(g)} but the tensor is on "
                                          f"{self.device}; move it with .to(device)")
            if g.dtype.kind not in "fc":
                raise OpError(f"backward: gradient must be floating point, got dtype {g.dtype}")
        run_backward(self, g, bool(retain_graph))

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in .grad after backward."""
        if self._ctx is None:
            return self
        ref = weakref.ref(self)  # the graph must not keep the tensor alive

        def keep(g):
            t = ref()
            if t is not None:
                t.grad = t._make(g)

        add_hook(self._ctx, self._index, keep)
        return self

    def register_hook(self, hook):
        """hook(grad) runs when backward computes this tensor's gradient (a Tensor); a Tensor it
        returns replaces the gradient, as PyTorch's register_hook."""
        if self._ctx is None:
            raise GraphError("register_hook: only tensors computed in the graph have hooks here; a leaf's "
                             "gradient is in .grad after backward")
        make = self._make

        def run(g):
            out = hook(make(g))
            return None if out is None else out._data

        add_hook(self._ctx, self._index, run)
        return run

    def zero_grad(self):
        """Drop this tensor's gradient (.grad = None)."""
        self.grad = None

    def detach(self):
        """The same storage, cut from the graph (changes through either are seen by both)."""
        t = Tensor._make(self._data)
        t._counter = self._counter
        return t

    def detach_(self):
        """Cut this tensor from the graph in place: it becomes a leaf that needs no gradient."""
        if self._view is not None and self._view[0].requires_grad:
            raise GraphError("detach_: cannot detach a view of a tensor in the graph in place; use .detach()")
        self._ctx, self._index, self.requires_grad = None, 0, False
        return self

    def __repr__(self):
        body = repr(backend.to_numpy(self._data)).replace("array(", "tensor(", 1)
        body = body.rstrip(")")
        extra = [f"dtype={self.dtype}"] if "dtype=" not in body else []
        if self.device != "cpu":
            extra.append(f"device='{self.device}'")
        if self._ctx is not None:
            extra.append(f"grad_fn=<{self._ctx.name}>")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        return body + (", " + ", ".join(extra) if extra else "") + ")"


def make_array(data, dtype, device, op):
    """data (array, nested lists of numbers or of one-element tensors, number) as a new array on device."""
    if isinstance(data, Tensor):
        data = data._data
    elif isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in _flat(data)):
        data = _tensors_to_nested(data)
    try:
        array = backend.as_array(data, dtype=dtype, device=device)
    except (ValueError, TypeError, OverflowError) as exc:  # ragged nested lists, a dtype that is not one
        raise OpError(f"{op}: cannot make an array from this {type(data).__name__}: {exc}") from exc
    if array.dtype.kind not in "biufc":
        raise ArgumentTypeError(f"{op}: data must be numbers or booleans, got dtype {array.dtype}")
    # a new storage, as PyTorch's tensor(): the caller's array is not shared (from_numpy shares)
    if backend.is_array(data) and memory_owner(array) is memory_owner(data):
        array = array.copy()
    return array


def _flat(data):
    for d in data:
        if isinstance(d, (list, tuple)):
            yield from _flat(d)
        else:
            yield d


def _tensors_to_nested(data):
    """[tensor(1.), tensor(2.)] -> [1.0, 2.0]: one-element tensors inside lists become numbers."""
    if isinstance(data, Tensor):
        if data._data.size != 1:
            return _tensors_to_nested(data.tolist())
        return data.item()
    if isinstance(data, (list, tuple)):
        return [_tensors_to_nested(d) for d in data]
    return data
