"""`tr.accelerator`: PyTorch's device-neutral way of asking for the GPU (torch.accelerator).

    tr.accelerator.is_available()          True where "cuda" works (tr.cuda.is_available())
    tr.accelerator.current_accelerator()   tr.device("cuda") there, else None
    tr.accelerator.device_count()          how many GPUs can be used (0 or more)

so that `device = tr.accelerator.current_accelerator() if tr.accelerator.is_available() else "cpu"`,
the line PyTorch's newer examples start with, runs unchanged.
"""

from . import backend, devices


def is_available():
    return backend.cuda_available()


def current_accelerator(check_available=False):
    """tr.device("cuda") when a GPU can be used, else None (also with check_available=True)."""
    return devices.CUDA if backend.cuda_available() else None


def device_count():
    return backend.cuda_device_count()
