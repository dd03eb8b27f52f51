"""The library's exception types; each message names the op, the shapes,
dtypes or devices involved, and what was expected."""

from .backend import DeviceError


class OpError(ValueError):
    """An op was given inputs it cannot take (shapes, dtypes, indices)."""


class GraphError(RuntimeError):
    """The graph cannot be used as asked (freed, modified in place, non-scalar root)."""


class GradcheckError(RuntimeError):
    """Analytical and numerical gradients disagree."""


__all__ = ["OpError", "GraphError", "GradcheckError", "DeviceError"]
