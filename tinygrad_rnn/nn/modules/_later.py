"""Names PyTorch keeps in one of its nn.modules files that are defined elsewhere in this library,
or not yet: they resolve from tinygrad_rnn.nn when first asked for, so a layer added there later
is found here too, and a missing one says so."""


def resolve_from_nn(module_name, names):
    """A module-level __getattr__ serving `names` from tinygrad_rnn.nn."""

    def __getattr__(name):
        if name in names:
            from ... import nn

            if name in vars(nn):
                return vars(nn)[name]
            raise AttributeError(f"{module_name}.{name}: PyTorch defines {name} in this file, but tinygrad_rnn "
                                 f"does not provide it (see tinygrad_rnn.nn for what it has)")
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    return __getattr__
