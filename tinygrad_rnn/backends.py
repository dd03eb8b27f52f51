"""`tr.backends`: the switches PyTorch programs set in their seed-and-device boilerplate, so that

    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.backends.cuda.matmul.allow_tf32 = True
    device = "mps" if torch.backends.mps.is_available() else "cpu"
    torch.use_deterministic_algorithms(True)

run unchanged. There is no cuDNN, TF32 or MPS here: the flags are kept (a program may read them
back) and change nothing; every op here is already deterministic on the CPU, and on the GPU up to
the order CuPy adds in.
"""


class _Flags:
    def __init__(self, name, **flags):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_flags", dict(flags))

    def __getattr__(self, key):
        flags = object.__getattribute__(self, "_flags")
        if key in flags:
            return flags[key]
        raise AttributeError(f"tr.backends.{object.__getattribute__(self, '_name')} has no {key!r} "
                             f"(it keeps {', '.join(flags)})")

    def __setattr__(self, key, value):
        if key not in self._flags:
            raise AttributeError(f"tr.backends.{self._name} has no setting {key!r} (it keeps {', '.join(self._flags)})")
        self._flags[key] = value


class _Cudnn(_Flags):
    def is_available(self):
        return False  # recurrent layers here are the engine's own ops, on NumPy or CuPy

    def version(self):
        return None


class _Mps(_Flags):
    def is_available(self):
        return False  # the devices are "cpu" and "cuda"

    def is_built(self):
        return False


class _Cuda(_Flags):
    def is_built(self):
        from . import backend
        return backend.cuda_available()


cudnn = _Cudnn("cudnn", enabled=True, benchmark=False, deterministic=False, allow_tf32=True)
mps = _Mps("mps")
cuda = _Cuda("cuda", matmul=_Flags("cuda.matmul", allow_tf32=False, allow_fp16_reduced_precision_reduction=True))

_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Recorded for are_deterministic_algorithms_enabled(); the ops here need no switch."""
    from .errors import ArgumentTypeError
    if not isinstance(mode, bool) or not isinstance(warn_only, bool):
        raise ArgumentTypeError(f"use_deterministic_algorithms: mode and warn_only must be bools, got {mode!r} "
                                f"and {warn_only!r}")
    _deterministic.update(mode=mode, warn_only=warn_only)


def are_deterministic_algorithms_enabled():
    return _deterministic["mode"]
