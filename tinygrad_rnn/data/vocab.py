"""CharVocab: characters <-> integer ids.

    vocab = CharVocab(text)            ids in sorted character order
    ids = vocab.encode("hello")        int64 array (len,)
    vocab.decode(ids) == "hello"
"""

from .. import backend
from ..backend import np


class CharVocab:
    """A fixed character set; encode raises on characters it has never seen,
    unless `unknown` names a character of the vocabulary to map them to."""

    def __init__(self, text, unknown=None):
        self.chars = sorted(set(text) | ({unknown} if unknown else set()))
        self.index = {c: i for i, c in enumerate(self.chars)}
        self.unknown = unknown

    def __len__(self):
        return len(self.chars)

    @property
    def size(self):
        return len(self.chars)

    def encode(self, text):
        """int64 array (len(text),) of ids."""
        if self.unknown is not None:
            fallback = self.index[self.unknown]
            return np.array([self.index.get(c, fallback) for c in text], dtype=np.int64)
        try:
            return np.array([self.index[c] for c in text], dtype=np.int64)
        except KeyError as exc:
            raise KeyError(f"CharVocab.encode: character {exc.args[0]!r} is not in the vocabulary of "
                           f"{len(self)} characters; build the vocabulary from this text or pass unknown=") from None

    def decode(self, ids):
        """The string for a sequence of ids (list, array or Tensor; GPU ids are copied back once)."""
        if hasattr(ids, "numpy"):
            ids = ids.numpy()
        ids = backend.to_numpy(ids) if backend.is_array(ids) else np.asarray(ids)
        out = []
        for i in ids.reshape(-1).tolist():
            if not 0 <= i < len(self.chars):
                raise IndexError(f"CharVocab.decode: id {i} is outside the vocabulary (0..{len(self) - 1})")
            out.append(self.chars[i])
        return "".join(out)

    def counts(self, text):
        """Occurrences of each id in `text`, (size,) int64: the unigram model's counts."""
        return np.bincount(self.encode(text), minlength=len(self)).astype(np.int64)

    def __repr__(self):
        return f"CharVocab(size={len(self)})"
