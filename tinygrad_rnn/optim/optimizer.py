"""Optimizer: the base of every update rule.

    opt = SGD(model.parameters(), lr=0.1)                       one group
    opt = SGD([{"params": enc.parameters()},
               {"params": dec.parameters(), "lr": 0.01}], lr=0.1)  groups with their own settings
    loss.backward(); opt.step(); opt.zero_grad()

A subclass implements `update(p, grad, group, state)` for one parameter on raw
arrays (`p.array`, the gradient's array): it reads its hyperparameters from
`group`, keeps its running buffers in `state` (a dict per parameter) and writes
the new value in place with `p.copy_(...)` (under no_grad, as PyTorch's
optimizers do), which moves the version counter so that a graph built with the
old value refuses to backpropagate. Buffers are always replaced, never changed
in place, so a state_dict taken earlier stays a true snapshot.
"""

import numbers

from .. import backend
from ..autograd import enable_grad, no_grad
from ..errors import OpError
from ..tensor import Tensor


def check_numbers(name, **values):
    """Raise naming the optimizer when a hyperparameter is not a real number (e.g. a string from a config)."""
    for key, value in values.items():
        if not isinstance(value, numbers.Real):
            raise OpError(f"{name}: {key} must be a number, got {value!r}")


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}          # parameter -> dict of buffers and the step count
        self.param_groups = []
        if isinstance(params, Tensor):
            raise OpError(f"{type(self).__name__}: params must be an iterable of Tensors or of dicts, "
                          "got a single Tensor; wrap it in a list")
        groups = list(params)
        if not groups:
            raise OpError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        """Add a dict {"params": [...], hyperparameter: value, ...}; missing settings take the defaults."""
        name = type(self).__name__
        group = dict(group)
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise OpError(f"{name}: can only optimize Tensors, got a {type(p).__name__}")
            if not p.is_leaf:
                raise OpError(f"{name}: can only optimize leaf Tensors (shape {tuple(p.shape)} was computed "
                              "from others); optimize the tensor it came from")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params) or len({id(p) for p in params}) != len(params):
            raise OpError(f"{name}: a parameter appears in more than one group (or twice in one)")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        group["params"] = params
        self.param_groups.append(group)

    def zero_grad(self):
        """Drop every gradient (set to None, as PyTorch's default set_to_none=True)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure() if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = p.grad.array
                    if grad.shape != p.shape or backend.device_of(grad) != p.device:
                        raise OpError(f"{type(self).__name__}: gradient of shape {tuple(grad.shape)} on "
                                      f"{backend.device_of(grad)} does not match its parameter of shape "
                                      f"{tuple(p.shape)} on {p.device}")
                    self.update(p, grad, group, self.state.setdefault(p, {}))
        return loss

    def update(self, p, grad, group, state):
        raise NotImplementedError(f"{type(self).__name__} must implement update")

    # ---- checkpoints -----------------------------------------------------------
    def state_dict(self):
        """{"state": {index: {buffer: array, "step": int}}, "param_groups": [{..., "params": [index]}]},

        parameters numbered in group order, as PyTorch's; arrays are copies."""
        index, groups = {}, []
        for group in self.param_groups:
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = [index[id(p)] for p in group["params"]]
            groups.append(saved)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: (v.copy() if backend.is_array(v) else v)
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore buffers and hyperparameters saved by state_dict(); arrays go to
        each parameter's device, floating buffers to its dtype."""
        name = type(self).__name__
        try:
            saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        except (KeyError, TypeError):
            raise OpError(f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups', "
                          f"got {type(state_dict).__name__}") from None
        if len(saved_groups) != len(self.param_groups):
            raise OpError(f"{name}.load_state_dict: the checkpoint has {len(saved_groups)} parameter groups, "
                          f"this optimizer has {len(self.param_groups)}")
        by_index = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise OpError(f"{name}.load_state_dict: parameter group {i} has {len(saved['params'])} "
                              f"parameters in the checkpoint but {len(group['params'])} here")
            by_index.update(zip(saved["params"], group["params"]))
        state = {}
        for key, buffers in saved_state.items():
            p = by_index.get(int(key))
            if p is None:
                raise OpError(f"{name}.load_state_dict: state for parameter {key}, which no group holds")
            state[p] = {k: self._restore(v, p, k) for k, v in buffers.items()}
        for saved, group in zip(saved_groups, self.param_groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = state

    @staticmethod
    def _restore(value, p, key):
        if isinstance(value, Tensor):
            value = value.array
        if not backend.is_array(value):
            return value
        if value.shape != p.shape and value.ndim:
            raise OpError(f"load_state_dict: buffer {key!r} has shape {tuple(value.shape)} but its parameter "
                          f"has shape {tuple(p.shape)}")
        dtype = p.dtype if value.dtype.kind == "f" else None
        return backend.as_array(value, dtype=dtype, device=p.device).copy()

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"
