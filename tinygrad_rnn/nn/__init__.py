"""Layers, recurrent cells and layers, attention, losses and initialisation."""

from .containers import ModuleList, Sequential
from .linear import Linear
from .module import Module, StateDictError
from .parameter import Parameter

__all__ = ["Module", "Parameter", "ModuleList", "Sequential", "Linear", "StateDictError"]
