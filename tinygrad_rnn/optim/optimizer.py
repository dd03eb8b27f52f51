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


# PyTorch's wording for each hyperparameter, so that a message reads as torch's
_LABELS = {"lr": "learning rate", "eps": "epsilon value", "momentum": "momentum value",
           "weight_decay": "weight_decay value", "alpha": "alpha value", "rho": "rho value",
           "lr_decay": "lr_decay value", "initial_accumulator_value": "initial_accumulator_value value"}


def check_at_least_zero(name, **values):
    """ValueError "Invalid learning rate: -1" (torch's words, after the optimizer's name) unless 0 <= value;
    NaN fails the test too."""
    check_numbers(name, **values)
    for key, value in values.items():
        if not 0.0 <= value:
            raise OpError(f"{name}: Invalid {_LABELS.get(key, key + ' value')}: {value} (expected a number >= 0)")


def check_in_range(name, key, value, high, closed):
    """0 <= value < high (closed=False) or 0 <= value <= high (closed=True); NaN fails."""
    check_numbers(name, **{key: value})
    if not (0.0 <= value <= high if closed else 0.0 <= value < high):
        bounds = f"[0, {high}]" if closed else f"[0, {high})"
        raise OpError(f"{name}: Invalid {_LABELS.get(key, key + ' value')}: {value} (expected a number in {bounds})")


def check_betas(name, betas):
    """betas: a pair of numbers, each in [0, 1)."""
    if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
        raise OpError(f"{name}: betas must be a pair (beta1, beta2) of numbers in [0, 1), got {betas!r}")
    for i, beta in enumerate(betas):
        check_numbers(name, **{f"betas[{i}]": beta})
        if not 0.0 <= beta < 1.0:
            raise OpError(f"{name}: Invalid beta parameter at index {i}: {beta} (expected a number in [0, 1))")


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

    def zero_grad(self, set_to_none=True):
        """Drop every gradient (set_to_none=True, PyTorch's default), or write zeros into it in place
        (set_to_none=False: a reference to the old .grad sees the zeros, as in PyTorch)."""
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if set_to_none or p.grad is None:
                        p.grad = None
                    else:
                        p.grad.detach_()
                        p.grad.requires_grad_(False)
                        p.grad.zero_()

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
                    if grad.dtype != p.array.dtype:  # a float64 .grad never widens a float32 parameter or its buffers
                        grad = grad.astype(p.array.dtype)
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
                    state[index[id(p)]] = {k: self._copy_state(v) for k, v in self.state[p].items()}
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
        if not isinstance(saved_groups, (list, tuple)) or not isinstance(saved_state, dict) or not all(
                isinstance(g, dict) and isinstance(g.get("params"), (list, tuple)) for g in saved_groups):
            raise OpError(f"{name}.load_state_dict: expected 'param_groups' a list of dicts each with a 'params' "
                          f"list and 'state' a dict, got {type(saved_groups).__name__} and "
                          f"{type(saved_state).__name__}")
        # torch's words first ("loaded state dict has ..."), then the numbers
        if len(saved_groups) != len(self.param_groups):
            raise OpError(f"{name}.load_state_dict: loaded state dict has a different number of parameter groups: "
                          f"the checkpoint has {len(saved_groups)} parameter groups, "
                          f"this optimizer has {len(self.param_groups)}")
        by_index = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise OpError(f"{name}.load_state_dict: loaded state dict contains a parameter group that doesn't "
                              f"match the size of optimizer's group: parameter group {i} has "
                              f"{len(saved['params'])} parameters in the checkpoint but {len(group['params'])} here")
            by_index.update(zip(saved["params"], group["params"]))
        state = {}
        for key, buffers in saved_state.items():
            if isinstance(key, bool) or not isinstance(key, numbers.Integral) or not isinstance(buffers, dict):
                raise OpError(f"{name}.load_state_dict: state keys must be parameter indices (ints) mapping to "
                              f"dicts of buffers, got {key!r}: {type(buffers).__name__}")
            p = by_index.get(int(key))
            if p is None:
                raise OpError(f"{name}.load_state_dict: state for parameter {key}, which no group holds")
            for k in buffers:
                if not isinstance(k, str):
                    raise OpError(f"{name}.load_state_dict: buffer names must be strings, got {k!r}")
            state[p] = {k: self._restore(v, p, k) for k, v in buffers.items()}
        for saved, group in zip(saved_groups, self.param_groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = state

    @staticmethod
    def _copy_state(value):
        return value.copy() if backend.is_array(value) else value

    @staticmethod
    def _check_buffer_dtype(value, key):
        if value.dtype.kind not in "fiub":
            raise OpError(f"load_state_dict: buffer {key!r} holds an array of dtype {value.dtype}; "
                          "expected numbers (floating, integer or bool)")

    def _restore(self, value, p, key):
        if isinstance(value, Tensor):
            value = value.array
        if not backend.is_array(value):
            return value
        self._check_buffer_dtype(value, key)
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
