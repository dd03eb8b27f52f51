"""The library's exception types; each message names the op, the shapes,
dtypes or devices involved, and what was expected."""

from .backend import DeviceError


class OpError(ValueError, RuntimeError):
    """An op was given inputs it cannot take (shapes, dtypes, indices).

    A ValueError, and a RuntimeError as well: that is what PyTorch raises for the same
    mistakes, so a program's `except RuntimeError:` catches it here too."""


class ArgumentTypeError(OpError, TypeError):
    """An argument of the wrong type (a float where a dim or size must be an int, a string
    as a gradient): PyTorch raises TypeError there."""


class DimError(OpError, IndexError):
    """A dim out of range for the tensor's number of dimensions, or an index out of range along
    one (PyTorch: IndexError)."""


class IndexArgumentError(ArgumentTypeError, IndexError):
    """An index argument of the wrong kind: not an integer, or an index tensor of the wrong number
    of dimensions (PyTorch raises IndexError there)."""


class GraphError(RuntimeError):
    """The graph cannot be used as asked (freed, modified in place, non-scalar root)."""


class GradcheckError(RuntimeError):
    """Analytical and numerical gradients disagree."""


__all__ = ["OpError", "ArgumentTypeError", "DimError", "IndexArgumentError", "GraphError", "GradcheckError",
           "DeviceError"]
