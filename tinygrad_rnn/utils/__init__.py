"""tr.utils: PyTorch's torch.utils pieces (data loading)."""

from . import data

__all__ = ["data"]
