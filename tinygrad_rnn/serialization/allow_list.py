"""The globals a weights_only load may use beyond its defaults, chosen by the user.

    tr.serialization.add_safe_globals([MyConfig, (make_thing, "old.module.make_thing")])
    with tr.serialization.safe_globals([tr.nn.LSTM]):
        model = tr.load("model.pt")

An entry is a class or function, known in a file by `module.qualname`, or a
pair (object, "the.name.the.file.uses"). These are PyTorch's rules. Nothing is
allowed implicitly: not even the library's own classes, since loading a
Module runs its code (__setstate__, properties), and a file should not be able
to choose which.
"""

import contextlib

BLOCKED_MODULES = ("sys", "os", "posix", "nt", "subprocess")  # never allowed, even when asked (as PyTorch)

_allowed = set()


def _check(entries):
    entries = list(entries)
    for entry in entries:
        if isinstance(entry, tuple):
            if len(entry) != 2 or not isinstance(entry[1], str):
                raise TypeError(f"safe globals: expected (object, 'module.name') pairs, got {entry!r}")
        elif not hasattr(entry, "__qualname__") or not hasattr(entry, "__module__"):
            raise TypeError(f"safe globals: {entry!r} is not a class or function (it has no module and "
                            "qualified name); pass (object, 'module.name') to give it one")
    return entries


def add_safe_globals(entries):
    """Allow these classes and functions in every later weights_only load."""
    _allowed.update(_check(entries))


def get_safe_globals():
    return list(_allowed)


def clear_safe_globals():
    _allowed.clear()


@contextlib.contextmanager
def safe_globals(entries):
    """Allow these classes and functions for the loads inside the `with` block only."""
    entries = [e for e in _check(entries) if e not in _allowed]
    _allowed.update(entries)
    try:
        yield
    finally:
        _allowed.difference_update(entries)


def user_globals():
    """{"module.qualname": object} for every allowed entry."""
    named = {}
    for entry in _allowed:
        obj, name = entry if isinstance(entry, tuple) else (entry, f"{entry.__module__}.{entry.__qualname__}")
        named[name] = obj
    return named
