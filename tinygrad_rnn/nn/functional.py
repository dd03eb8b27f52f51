"""nn.functional: the stateless forms of the layers and losses (PyTorch's names)."""

from ..functions_surface import one_hot  # noqa: F401 (F.one_hot, as PyTorch's)
from .batch_norm import batch_norm
from .dropout import dropout, dropout1d, dropout2d
from .embedding import embedding
from .layer_norm import layer_norm
from .logsigmoid import logsigmoid
from .losses import binary_cross_entropy_with_logits, cross_entropy, l1_loss, mse_loss, nll_loss


def linear(x, weight, bias=None):
    """y = x W^T + b"""
    y = x @ weight.T
    return y + bias if bias is not None else y


def relu(x, inplace=False):
    """inplace=True is accepted and computes out of place (the same result)."""
    return x.relu()


def tanh(x):
    return x.tanh()


def sigmoid(x):
    return x.sigmoid()


def softmax(x, dim=-1):
    return x.softmax(dim)


def log_softmax(x, dim=-1):
    return x.log_softmax(dim)


__all__ = ["linear", "relu", "tanh", "sigmoid", "softmax", "log_softmax", "logsigmoid", "dropout", "embedding",
           "mse_loss", "l1_loss", "nll_loss", "cross_entropy", "binary_cross_entropy_with_logits"]
__all__ += ["layer_norm", "batch_norm", "dropout1d", "dropout2d"]

# GELU (exact and tanh-approximated)
from .gelu import gelu  # noqa: E402

__all__ += ["gelu"]

# binary cross-entropy on probabilities, smooth L1 and Huber
from .losses_extra import binary_cross_entropy, huber_loss, kl_div, smooth_l1_loss  # noqa: E402

__all__ += ["binary_cross_entropy", "huber_loss", "kl_div", "smooth_l1_loss"]

# more activations
from .activation_more import elu, hardtanh, leaky_relu, mish, prelu, silu, softplus, softsign  # noqa: E402

__all__ += ["elu", "hardtanh", "leaky_relu", "mish", "prelu", "silu", "softplus", "softsign"]

# normalize, cosine_similarity, pad, scaled_dot_product_attention
from .functional_more import cosine_similarity, normalize, pad, scaled_dot_product_attention  # noqa: E402

__all__ += ["cosine_similarity", "normalize", "pad", "scaled_dot_product_attention"]
