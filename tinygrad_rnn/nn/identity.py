"""Identity: returns its input; a placeholder where a layer is optional."""

from .module import Module


class Identity(Module):
    def __init__(self, *args, **kwargs):
        super().__init__()  # arguments are accepted and ignored, as PyTorch's

    def forward(self, x):
        return x
