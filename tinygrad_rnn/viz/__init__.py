"""Drawings of the recorded graph (time steps as clusters, gradient flow), its interactive page, gradient-norm plots."""

from .draw import draw_graph
from .grad_flow import GradNormsMissing, plot_grad_norms, step_grad_norms
from .render import GraphvizMissingWarning, dot_available, render

__all__ = ["draw_graph", "render", "dot_available", "step_grad_norms", "plot_grad_norms",
           "GradNormsMissing", "GraphvizMissingWarning"]

from .heatmap import attention_heatmap  # noqa: E402

__all__ += ["attention_heatmap"]

from .html import GraphvizMissingError, to_html  # noqa: E402

__all__ += ["to_html", "GraphvizMissingError"]

from .values import record_values  # noqa: E402

__all__ += ["record_values"]
