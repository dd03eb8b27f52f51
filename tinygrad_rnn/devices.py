"""tr.device: PyTorch's device object, as a string.

`tr.device("cuda")`, `tr.device("cuda:0")` and `tr.device("cpu")` are strings equal to
"cuda" and "cpu" (so every function taking a device string takes them), with
PyTorch's `.type` and `.index`. `t.device` returns one, so `t.device.type == "cuda"`
and `t.device == "cpu"` both work.
"""

from .backend import DEVICES, DeviceError


class device(str):
    __slots__ = ()

    def __new__(cls, spec, index=None):
        if isinstance(spec, device):
            return spec
        if not isinstance(spec, str):
            raise DeviceError(f"device: expected a string such as 'cpu' or 'cuda:0', got {spec!r}")
        kind, _, number = spec.partition(":")
        if kind not in DEVICES:
            raise DeviceError(f"unknown device {spec!r}: expected one of {DEVICES} (optionally with ':0')")
        if number not in ("", "0") or index not in (None, 0):
            raise DeviceError(f"device: {spec!r}{'' if index is None else f', {index}'} names a second device; "
                              "this library drives one GPU, 'cuda' (= 'cuda:0')")
        return super().__new__(cls, kind)

    @property
    def type(self):
        return str(self)

    @property
    def index(self):
        return 0 if self == "cuda" else None

    def __repr__(self):
        return f"device(type='{self}'{', index=0' if self == 'cuda' else ''})"

    def __reduce__(self):  # device("cuda"): the loaders allow this one name, as PyTorch's allow torch.device
        return device, (str(self),)


CPU, CUDA = device("cpu"), device("cuda")
KNOWN = {"cpu": CPU, "cuda": CUDA}


def normalize(spec):
    """A device argument (None, a string, a tr.device) as "cpu" / "cuda", or None."""
    return None if spec is None else str(device(spec))
