"""Module forward hooks, as PyTorch's: a function called around every forward of one module.

    handle = model.lstm.register_forward_hook(lambda module, args, output: saved.append(output))
    handle = model.register_forward_pre_hook(lambda module, args: None)
    handle.remove()

A forward hook that returns something other than None replaces the output; a pre-hook that
returns something replaces the positional arguments (a tuple, or one value). The hooks live in
the module's __dict__ (not in its state_dict), in the order they were registered.
"""

import itertools
from collections import OrderedDict

_ids = itertools.count()


class RemovableHandle:
    """What register_*_hook returns: remove() takes the hook out again (also as a context manager)."""

    def __init__(self, table):
        self.table, self.id = table, next(_ids)

    def remove(self):
        self.table.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register(module, kind, hook):
    if not callable(hook):
        raise TypeError(f"{type(module).__name__}.register_{kind}: the hook must be callable, got "
                        f"{type(hook).__name__}")
    table = module.__dict__.get(f"_{kind}s")
    if table is None:
        table = OrderedDict()
        object.__setattr__(module, f"_{kind}s", table)  # outside Module.__setattr__: not state
    handle = RemovableHandle(table)
    table[handle.id] = hook
    return handle


def call(module, args, kwargs):
    """module.forward(*args, **kwargs) with the module's pre-hooks and hooks around it."""
    pre = module.__dict__.get("_forward_pre_hooks")
    if pre:
        for hook in list(pre.values()):
            changed = hook(module, args)
            if changed is not None:
                args = changed if isinstance(changed, tuple) else (changed,)
    output = module.forward(*args, **kwargs)
    post = module.__dict__.get("_forward_hooks")
    if post:
        for hook in list(post.values()):
            changed = hook(module, args, output)
            if changed is not None:
                output = changed
    return output
