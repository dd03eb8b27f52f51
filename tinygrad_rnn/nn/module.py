"""Module: the base class of every layer; it finds its Parameters and
sub-Modules by attribute assignment, as PyTorch's does.

    class Net(Module):
        def __init__(self):
            super().__init__()
            self.fc = Linear(3, 4)       # registered as a child "fc"
        def forward(self, x):
            return self.fc(x)

named_parameters() yields dotted names ("fc.weight"), the keys of state_dict().
"""

from collections import OrderedDict

from .. import backend
from ..autograd import no_grad
from ..errors import OpError
from ..tensor import Tensor
from .parameter import Parameter


class StateDictError(KeyError):
    """load_state_dict found missing, unexpected or mis-shaped entries."""

    def __str__(self):
        return self.args[0]


class Module:
    training = True

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        params, modules = self.__dict__["_parameters"], self.__dict__["_modules"]
        params.pop(name, None)
        modules.pop(name, None)
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
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register `param` (a Parameter, or None for an absent one such as bias=False)."""
        if param is None:
            self.__dict__.setdefault("_none_slots", set()).add(name)
        setattr(self, name, param)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

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

    def named_parameters(self, prefix=""):
        """(dotted name, Parameter) for every parameter, each shared one once."""
        seen = set()
        for mod_name, module in self.named_modules(prefix):
            for name, p in module._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self):
        for _, p in self.named_parameters():
            yield p

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

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def to(self, device):
        """Move every parameter to `device` in place (their identity is kept,
        so an optimizer built before still holds them)."""
        device = backend.check_device(device)
        for p in self.parameters():
            grad = p.grad
            p.data = Tensor._make(backend.to_device(p.array, device))
            if grad is not None:
                p.grad = Tensor._make(backend.to_device(grad.array, device))
        return self

    def double(self):
        for p in self.parameters():
            p.data = p.array.astype(backend.float64)
        return self

    def float(self):
        for p in self.parameters():
            p.data = p.array.astype(backend.float32)
        return self

    # ---- state ---------------------------------------------------------------
    def state_dict(self):
        """name -> Tensor (the parameters themselves, detached), in registration order."""
        return OrderedDict((name, p.detach()) for name, p in self.named_parameters())

    def load_state_dict(self, state_dict, strict=True):
        """Copy values (Tensors or NumPy/CuPy arrays) into the parameters.

        With strict=True every key must match and every shape agree; all the
        problems are reported in one error. Values keep each parameter's dtype
        and device. Returns (missing_keys, unexpected_keys).
        """
        if not hasattr(state_dict, "items"):
            raise OpError(f"load_state_dict for {type(self).__name__}: expected a dict of name -> Tensor or array "
                          f"(from state_dict() or tr.load), got {type(state_dict).__name__}")
        own = dict(self.named_parameters())
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
