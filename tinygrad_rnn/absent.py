"""PyTorch features this library leaves out on purpose, named so that asking for one says so.

A program written for PyTorch that reaches for `torch.compile`, `torch.sparse_coo_tensor` or
`nn.Conv1d` gets, at the line that asks, an AttributeError (so `hasattr` still answers False)
whose message names the feature and why it is absent, instead of a bare "has no attribute".
"""

_RECURRENT_ONLY = "the library is about recurrent networks and attention, small enough to read"

ABSENT = {
    "tinygrad_rnn": {
        **dict.fromkeys(("sparse_coo_tensor", "sparse_csr_tensor", "sparse_compressed_tensor", "sparse"),
                        ("sparse tensors", "every Tensor here is a dense NumPy or CuPy array")),
        **dict.fromkeys(("compile", "jit", "fx", "export", "onnx"),
                        ("graph compilation and export", "the engine runs each op eagerly, as written")),
        **dict.fromkeys(("autocast", "amp"), ("mixed precision", "compute in float32 or float64")),
        "distributed": ("distributed training", "one process, one device"),
        "func": ("torch.func's transforms (vmap, grad of grad)", "backward here is first order"),
        "quantization": ("quantisation", _RECURRENT_ONLY),
        "mps": ("Apple's MPS device", "the devices are 'cpu' and 'cuda' (through CuPy)"),
        "bfloat16": ("bfloat16", "NumPy has no such dtype; use tr.float16, tr.float32 or tr.float64"),
    },
    "tinygrad_rnn.nn": {
        **dict.fromkeys(("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d",
                         "MaxPool2d", "AvgPool1d", "AvgPool2d", "BatchNorm2d", "Upsample"),
                        ("convolution and pooling layers", _RECURRENT_ONLY)),
        "DataParallel": ("data parallelism", "one process, one device"),
        "parallel": ("data parallelism", "one process, one device"),
    },
}


def absent_getattr(module_name):
    """A module-level __getattr__ for `module_name` that names the features ABSENT lists."""
    table = ABSENT[module_name]

    def __getattr__(name):
        if name in table:
            what, why = table[name]
            raise AttributeError(f"{module_name}.{name} is not provided: {what}, left out on purpose ({why}); "
                                 "see 'Coming from PyTorch' in the README")
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    return __getattr__
