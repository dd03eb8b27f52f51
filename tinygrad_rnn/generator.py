"""tr.Generator: a random stream of its own, as torch.Generator.

    g = tr.Generator().manual_seed(0)
    DataLoader(ds, shuffle=True, generator=g);  random_split(ds, [0.8, 0.2], generator=g)
    tr.randn(3, generator=g);  tr.randperm(10, generator=g)

Without a generator every draw comes from the library's global one, which
tr.manual_seed(n) reseeds. A generator draws on the host (as PyTorch's CPU
generator); the numbers are this library's (NumPy's PCG64), not PyTorch's.
"""

import os

from . import backend
from .errors import ArgumentTypeError, OpError

DEFAULT_SEED = 67280421310721  # torch.Generator().initial_seed()


def seed_int(seed, name):
    """PyTorch's rule: int(seed) (so "7" and 7.9 are 7), then from 0 to 2**64 - 1 (a negative seed is
    read as its unsigned 64-bit pattern). TypeError where int() raises one (None), else ValueError."""
    try:
        value = int(seed)
    except (TypeError, ValueError, OverflowError) as exc:
        kind = ArgumentTypeError if isinstance(exc, TypeError) else OpError
        raise kind(f"{name}: the seed must be an int, got {type(seed).__name__} {seed!r}") from None
    if not -(2 ** 63) <= value < 2 ** 64:
        raise OpError(f"{name}: the seed must lie in [-2**63, 2**64), got {value}")
    return value % 2 ** 64


def manual_seed(seed):
    """Reseed every random draw of the library, on the host and on CUDA (tr.manual_seed)."""
    backend.manual_seed(seed_int(seed, "manual_seed"))


class Generator:
    def __init__(self, device="cpu"):
        if str(device) != "cpu":
            raise OpError(f"Generator: only host generators exist here (device='cpu'), got device={device!r}; "
                          "CUDA draws use the global generator (tr.manual_seed / tr.cuda.manual_seed)")
        self.manual_seed(DEFAULT_SEED)

    @property
    def device(self):
        return "cpu"

    def manual_seed(self, seed):
        """Restart the stream from `seed`; returns the generator (so Generator().manual_seed(0) chains)."""
        self._seed = seed_int(seed, "Generator.manual_seed")
        self.rng = backend.host_rng(self._seed)
        return self

    def seed(self):
        """Reseed from the operating system's entropy; returns the new seed."""
        self.manual_seed(int.from_bytes(os.urandom(8), "little"))
        return self._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The stream's position (a dict), for set_state to rewind to."""
        return backend.rng_state(self.rng)

    def set_state(self, state):
        backend.set_rng_state(self.rng, state)
        return self

    def __repr__(self):
        return f"Generator(device='cpu', initial_seed={self._seed})"


def draw_from(generator, name):
    """The NumPy generator to draw from: the given tr.Generator's, or the global host one."""
    if generator is None:
        return backend.rng()
    if not isinstance(generator, Generator):
        raise OpError(f"{name}: generator must be a tr.Generator, got {type(generator).__name__}")
    return generator.rng
