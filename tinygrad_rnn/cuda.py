"""`tr.cuda`: PyTorch's names for asking about the GPU.

    tr.cuda.is_available()     True only where CuPy compiles and runs a kernel and a
                               cuBLAS matmul on a GPU (tr.cuda_available(), the same test)
    tr.cuda.device_count()     GPUs CuPy sees; 0 when "cuda" cannot be used
    tr.cuda.manual_seed(n)     reseed the CUDA generator only (tr.manual_seed reseeds both);
                               manual_seed_all(n) the same (one GPU here)
    tr.cuda.empty_cache()      nothing to do: CuPy's pool keeps its blocks, as PyTorch's caching allocator
                               does until asked; kept so the call in training scripts runs
    tr.cuda.unavailable_reason()  which piece is missing (driver, NVRTC, cuBLAS, GPU) and how
                               to install it, or None

Nothing here imports CuPy until it is called.
"""

from . import backend, generator


def is_available():
    return backend.cuda_available()


def device_count():
    return backend.cuda_device_count()


def manual_seed(seed):
    backend.cuda_manual_seed(generator.seed_int(seed, "cuda.manual_seed"))


def manual_seed_all(seed):
    manual_seed(seed)


def empty_cache():
    return None


def unavailable_reason():
    return backend.cuda_unavailable_reason()
