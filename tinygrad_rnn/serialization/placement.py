"""map_location: on which device each loaded tensor and array is put.

    None            the device it was saved from, or the CPU when that is not
                    available here (a checkpoint saved on a GPU loads on a laptop)
    "cpu", "cuda"   everything there ("cuda:0" is read as "cuda", as there is one GPU device)
    {"cuda": "cpu"} saved device -> device, the others as for None
"""

from .. import backend
from .error import CheckpointError


def _device_name(location):
    """PyTorch's location tags ("cpu", "cuda:1") as the library's devices, or None for any other."""
    if not isinstance(location, str):
        return None
    kind, _, index = location.partition(":")
    if kind in backend.DEVICES and (not index or index.isdigit()):
        return kind
    return None


def check_map_location(map_location):
    """Validate a map_location argument once, before any file is read."""
    if map_location is None:
        return None
    if isinstance(map_location, str):
        device = _device_name(map_location)
        if device is None:
            raise backend.DeviceError(f"load: map_location {map_location!r} is not a device: expected 'cpu' or "
                                      "'cuda', a dict such as {'cuda': 'cpu'}, or None")
        return device
    if isinstance(map_location, dict):
        mapped = {}
        for saved, device in map_location.items():
            if _device_name(saved) is None or _device_name(device) is None:
                raise backend.DeviceError(f"load: map_location maps {saved!r} to {device!r}; both must be devices "
                                          "such as 'cpu' or 'cuda'")
            mapped[_device_name(saved)] = _device_name(device)
        return mapped
    raise TypeError(f"load: map_location must be None, a device string or a dict of devices, "
                    f"got {type(map_location).__name__}")


def target_device(saved, map_location, where):
    """The device for a value saved on `saved` ("cpu", "cuda", or a PyTorch location tag)."""
    device = _device_name(saved)
    if isinstance(map_location, str):
        return backend.check_device(map_location)
    if device is None:
        raise CheckpointError(f"{where} was saved on device {saved!r}, which this library does not have; "
                              "pass map_location='cpu' to load it on the CPU")
    if isinstance(map_location, dict) and device in map_location:
        return backend.check_device(map_location[device])
    if device == "cuda" and not backend.cuda_available():
        device = "cpu"
    return backend.check_device(device)
