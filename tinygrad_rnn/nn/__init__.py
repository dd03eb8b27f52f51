"""Layers, recurrent cells and layers, attention, losses and initialisation."""

from .containers import ModuleList, Sequential
from .module import Module, StateDictError
from .parameter import Parameter

__all__ = ["Module", "Parameter", "ModuleList", "Sequential", "StateDictError"]
