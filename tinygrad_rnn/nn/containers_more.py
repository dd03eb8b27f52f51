"""ModuleDict, ParameterList and ParameterDict, as PyTorch's: modules or parameters held under
names (keys, or "0", "1", ... for the list), so that parameters(), state_dict() and to() see them."""

from ..errors import OpError
from .module import Module
from .parameter import Parameter


def _key(container, key):
    owner = type(container).__name__
    if not isinstance(key, str):
        raise OpError(f"{owner}: keys must be strings, got {type(key).__name__} {key!r}")
    if "." in key or key == "":
        raise OpError(f"{owner}: key {key!r} must be a non-empty name without '.'")
    if hasattr(type(container), key):  # held as attributes here, so a key may not hide a method
        raise OpError(f"{owner}: key {key!r} is the name of a {owner} method; choose another key")
    return key


class ModuleDict(Module):
    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(_key(self, key), module)

    def __delitem__(self, key):
        delattr(self, key)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key):
        module = self._modules[key]
        delattr(self, key)
        return module

    def update(self, modules):
        items = modules.items() if hasattr(modules, "items") else modules
        for key, module in items:
            self[key] = module


def _parameter(owner, value):
    """A Parameter as given, or a Tensor made one (PyTorch wraps tensors the same way)."""
    if isinstance(value, Parameter):
        return value
    if hasattr(value, "_data"):
        return Parameter(value)
    raise OpError(f"{owner}: expected a Parameter or a Tensor, got {type(value).__name__}")


class ParameterList(Module):
    def __init__(self, values=None):
        super().__init__()
        for value in values or ():
            self.append(value)

    def append(self, value):
        self.register_parameter(str(len(self._parameters)), _parameter("ParameterList", value))
        return self

    def extend(self, values):
        for value in values:
            self.append(value)
        return self

    def __getitem__(self, i):
        return list(self._parameters.values())[i]

    def __setitem__(self, i, value):
        name = list(self._parameters)[i]
        self.register_parameter(name, _parameter("ParameterList", value))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())


class ParameterDict(Module):
    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        return self._parameters[key]

    def __setitem__(self, key, value):
        self.register_parameter(_key(self, key), _parameter("ParameterDict", value))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key):
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def values(self):
        return self._parameters.values()

    def items(self):
        return self._parameters.items()

    def update(self, parameters):
        items = parameters.items() if hasattr(parameters, "items") else parameters
        for key, value in items:
            self[key] = value

