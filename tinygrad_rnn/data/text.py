"""Text for character-level models: the Python standard library's own source.

The corpus is read from the running interpreter's installation, so nothing is
downloaded and nothing needs a separate licence file: it is the code every
Python user already has (Python Software Foundation License). A fixed list of
modules keeps the corpus the same size from run to run; their docstrings and
comments give English prose, their code gives structure (indentation, brackets,
keywords) that a character model visibly learns.
"""

import importlib
import inspect
from pathlib import Path

from ..errors import OpError

# Modules present in every CPython >= 3.10, plain Python, mostly prose-heavy.
STDLIB_MODULES = ("textwrap", "string", "fnmatch", "glob", "shlex", "bisect", "heapq",
                  "colorsys", "calendar", "queue", "sched", "abc", "copy", "functools")


class CorpusError(RuntimeError):
    """The text corpus could not be read."""


def load_stdlib_source(modules=STDLIB_MODULES, max_chars=None):
    """The source of the given standard-library modules, joined; ASCII only.

    Non-ASCII characters (a few names and symbols in comments) are dropped so
    the vocabulary stays small and the same on every platform.
    """
    parts = []
    for name in modules:
        module = importlib.import_module(name)
        try:
            path = inspect.getsourcefile(module)
            source = Path(path).read_text(encoding="utf-8")
        except (TypeError, OSError) as exc:
            raise CorpusError(f"load_stdlib_source: the source of module {name!r} is not installed with this "
                              f"Python ({exc}); pass text of your own to the model instead") from None
        parts.append(f"# ---- {name}.py ----\n{source}")
    text = "\n".join(parts).encode("ascii", "ignore").decode("ascii")
    return text[:max_chars] if max_chars is not None else text


def load_text(path, max_chars=None, encoding="utf-8"):
    """Text from a file of your own (any UTF-8 text works)."""
    try:
        text = Path(path).read_text(encoding=encoding)
    except OSError as exc:
        raise CorpusError(f"load_text: cannot read {str(path)!r}: {exc}") from None
    return text[:max_chars] if max_chars is not None else text


def split_text(text, held_out=0.1):
    """(train, test): the last `held_out` fraction of the characters is kept for evaluation."""
    if not 0 < held_out < 1:
        raise OpError(f"split_text: held_out must be in (0, 1), got {held_out}")
    cut = int(len(text) * (1 - held_out))
    return text[:cut], text[cut:]
