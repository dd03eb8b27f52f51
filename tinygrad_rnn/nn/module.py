"""Module: the base class of every layer; it finds its Parameters and
sub-Modules by attribute assignment, as PyTorch's does.

    class Net(Module):
        def __init__(self):
            super().__init__()
            self.fc = Linear(3, 4)       # registered as a child "fc"
        def forward(self, x):
            return self.fc(x)

named_parameters() yields dotted names ("fc.weight"), the keys of state_dict().
Buffers (register_buffer) are Tensors a module keeps but does not train, such as
BatchNorm's running statistics: they move with to(), and the persistent ones are
saved in state_dict() after each module's parameters, as PyTorch orders them.
"""

from collections import OrderedDict

from .. import backend, dtypes
from ..autograd import no_grad
from ..errors import OpError
from ..tensor import Tensor
from . import hooks
from .parameter import Parameter


class StateDictError(KeyError):
    """load_state_dict found missing, unexpected or mis-shaped entries."""

    def __str__(self):
        return self.args[0]


class _NameError(KeyError):
    """A buffer name that cannot be used (a KeyError, as PyTorch raises), printed as its message."""

    def __str__(self):
        return self.args[0]


class Module:
    training = True

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "training", True)

    def __setstate__(self, state):
        """Unpickling: a Module saved before buffers existed gets empty buffer tables."""
        self.__dict__.update(state)
        self.__dict__.setdefault("_buffers", OrderedDict())
        self.__dict__.setdefault("_non_persistent_buffers_set", set())

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        params, modules = self.__dict__["_parameters"], self.__dict__["_modules"]
        buffers = self.__dict__["_buffers"]
        if name in buffers and not isinstance(value, (Parameter, Module)):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} to buffer "
                                f"{name!r} (a Tensor or None expected)")
            buffers[name] = value
            object.__setattr__(self, name, value)
            return
        params.pop(name, None)
        modules.pop(name, None)
        buffers.pop(name, None)
        self._non_persistent_buffers_set.discard(name)
        if isinstance(value, Parameter):
            params[name] = value
        elif isinstance(value, Module):
            modules[name] = value
        elif value is None and name in self.__dict__.get("_none_slots", ()):
            params[name] = None
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent_buffers_set.discard(name)
        object.__delattr__(self, name)

    def add_module(self, name, module):
        """Register `module` (or None) as the child `name`, as assigning self.name = module does."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.add_module: {name!r} must be a Module or None, "
                            f"got {type(module).__name__}")
        if not isinstance(name, str) or name == "" or "." in name:
            raise _NameError(f"{type(self).__name__}.add_module: module name must be a non-empty string without "
                             f"\".\", got {name!r}")
        setattr(self, name, module)

    register_module = add_module

    def register_buffer(self, name, tensor, persistent=True):
        """Keep `tensor` (or None) as buffer `name`: a module attribute that to() moves and, when persistent,
        state_dict() saves, but that is not a parameter (no gradient, no optimizer)."""
        where_ = f"{type(self).__name__}.register_buffer"
        if "_buffers" not in self.__dict__:
            raise AttributeError(f"{where_}: call super().__init__() before registering buffers")
        if not isinstance(name, str):
            raise TypeError(f"{where_}: buffer name should be a string, got {type(name).__name__}")
        if name == "" or "." in name:
            raise _NameError(f"{where_}: buffer name can't be empty or contain \".\", got {name!r}")
        if name in self.__dict__ and name not in self._buffers:
            raise _NameError(f"{where_}: attribute {name!r} already exists")
        if tensor is not None and (not isinstance(tensor, Tensor) or isinstance(tensor, Parameter)):
            raise TypeError(f"{where_}: cannot assign a {type(tensor).__name__} object to buffer {name!r} "
                            "(a Tensor or None required; a Parameter belongs in register_parameter)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)
        object.__setattr__(self, name, tensor)

    def register_parameter(self, name, param):
        """Register `param` (a Parameter, or None for an absent one such as bias=False)."""
        if param is None:
            self.__dict__.setdefault("_none_slots", set()).add(name)
        setattr(self, name, param)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def __call__(self, *args, **kwargs):
        if "_forward_hooks" in self.__dict__ or "_forward_pre_hooks" in self.__dict__:
            return hooks.call(self, args, kwargs)
        return self.forward(*args, **kwargs)

    def register_forward_hook(self, hook):
        """hook(module, args, output) after every forward; see nn/hooks.py."""
        return hooks.register(self, "forward_hook", hook)

    def register_forward_pre_hook(self, hook):
        """hook(module, args) before every forward; see nn/hooks.py."""
        return hooks.register(self, "forward_pre_hook", hook)

    # ---- traversal -----------------------------------------------------------
    def children(self):
        return iter(self._modules.values())

    def named_children(self):
        return iter(self._modules.items())

    def named_modules(self, prefix=""):
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, Parameter) for every parameter, each shared one once."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True):
        """(dotted name, Tensor) for every buffer (persistent or not), each shared one once."""
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def _named_members(self, kind, prefix, recurse):
        seen = set()
        for mod_name, module in (self.named_modules(prefix) if recurse else [(prefix, self)]):
            for name, t in getattr(module, kind).items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{mod_name}.{name}" if mod_name else name), t

    def _state_entries(self):
        """(name, Tensor) of state_dict(): each module's parameters, then its persistent buffers."""
        seen = set()
        for mod_name, module in self.named_modules():
            own = list(module._parameters.items()) + [(n, b) for n, b in module._buffers.items()
                                                       if n not in module._non_persistent_buffers_set]
            for name, t in own:
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{mod_name}.{name}" if mod_name else name), t

    def apply(self, fn):
        """Call fn(module) on every sub-module and then on self (e.g. a custom
        initialisation: `model.apply(init_weights)`); returns self."""
        for child in self._modules.values():
            child.apply(fn)
        fn(self)
        return self

    # ---- modes and gradients -------------------------------------------------
    def requires_grad_(self, flag=True):
        """Freeze (False) or unfreeze (True) every parameter."""
        for p in self.parameters():
            p.requires_grad_(flag)
        return self

    def train(self, mode=True):
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient (set_to_none=False keeps the tensors, zeroed, as PyTorch's)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = Tensor._make(p.grad.array * 0)

    def to(self, *args, **kwargs):
        """to(device), to(dtype), to(device, dtype) or to(tensor): move (and cast) every parameter and
        buffer in place (their identity is kept, so an optimizer built before still holds them). A dtype
        applies to floating-point ones only (num_batches_tracked stays int64), as PyTorch's."""
        device, dtype = _device_and_dtype(type(self).__name__, args, kwargs)
        if device is not None:
            device = backend.check_device(device)
            for t in list(self.parameters()) + list(self.buffers()):
                grad = getattr(t, "grad", None)
                t.data = Tensor._make(backend.to_device(t.array, device))
                if grad is not None:
                    t.grad = Tensor._make(backend.to_device(grad.array, device))
        if dtype is not None:
            self._cast(dtype)
        return self

    def cuda(self, device=None):
        return self.to("cuda")

    def cpu(self):
        return self.to("cpu")

    def _cast(self, dtype):
        for p in self.parameters():
            p.data = p.array.astype(dtype)
        for b in self.buffers():
            if b.dtype.kind == "f":
                b.data = Tensor._make(b.array.astype(dtype))
        return self

    def double(self):
        return self._cast(backend.float64)

    def float(self):
        return self._cast(backend.float32)

    # ---- state ---------------------------------------------------------------
    def state_dict(self):
        """name -> Tensor (the parameters and persistent buffers, detached), in PyTorch's order: each
        module's parameters, then its buffers, then its children's."""
        return OrderedDict((name, t.detach()) for name, t in self._state_entries())

    def load_state_dict(self, state_dict, strict=True):
        """Copy values (Tensors or NumPy/CuPy arrays) into the parameters.

        With strict=True every key must match and every shape agree; all the
        problems are reported in one error. Values keep each parameter's dtype
        and device. Returns (missing_keys, unexpected_keys).
        """
        if not hasattr(state_dict, "items"):
            raise OpError(f"load_state_dict for {type(self).__name__}: expected a dict of name -> Tensor or array "
                          f"(from state_dict() or tr.load), got {type(state_dict).__name__}")
        own = dict(self._state_entries())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        wrong = []
        for name, value in state_dict.items():
            if name not in own:
                continue
            if not hasattr(value, "shape"):
                wrong.append(f"{name}: checkpoint holds a {type(value).__name__}, the model expects a Tensor or "
                             f"array of shape {tuple(own[name].shape)}")
                continue
            shape = tuple(value.shape)
            if shape != tuple(own[name].shape):
                wrong.append(f"{name}: checkpoint has shape {shape}, the model expects {tuple(own[name].shape)}")
        if wrong or (strict and (missing or unexpected)):
            lines = []
            if strict and missing:
                lines.append(f"missing keys: {', '.join(missing)}")
            if strict and unexpected:
                lines.append(f"unexpected keys: {', '.join(unexpected)}")
            lines += [f"wrong shape for {w}" for w in wrong]
            raise StateDictError(f"load_state_dict for {type(self).__name__} failed:\n  " + "\n  ".join(lines))
        for name, value in state_dict.items():
            if name in own:
                p = own[name]
                array = value.array if isinstance(value, Tensor) else value
                if not (backend.is_array(array) or hasattr(array, "__array__")):
                    raise OpError(f"load_state_dict: {name} is a {type(value).__name__}, expected a Tensor or an array")
                array = backend.as_array(backend.np.asarray(array) if not backend.is_array(array) else array,
                                         dtype=p.dtype, device=p.device)
                with no_grad():  # in place, as PyTorch: views and optimizers holding p see the new values
                    p.copy_(array)
        return missing, unexpected

    # ---- printing ------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        if self._modules:
            for name, child in self._modules.items():
                body = repr(child).replace("\n", "\n  ")
                lines.append(f"  ({name}): {body}")
            return lines[0] + "\n" + "\n".join(lines[1:]) + "\n)"
        return lines[0] + ")"


def _device_and_dtype(where_, args, kwargs):
    """Module.to's arguments, as PyTorch takes them -> (device or None, dtype or None)."""
    unknown = set(kwargs) - {"device", "dtype", "non_blocking"}
    if unknown:
        raise TypeError(f"{where_}.to: unexpected keyword argument(s) {sorted(unknown)}")
    device, dtype = kwargs.get("device"), kwargs.get("dtype")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, str):   # tr.device is a str too
            device = arg
        elif not isinstance(arg, bool):   # a bool is non_blocking, meaningless here
            dtype = arg
    if dtype is not None:
        dtype = dtypes.check_dtype(dtype, f"{where_}.to")
    if device is not None:
        device = str(device).split(":")[0]
    return device, dtype
