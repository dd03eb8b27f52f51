"""Small data sets and batching.

Real data shipped in files/ (sources and licences in files/README.md):
    load_sunspots()          yearly sunspot numbers 1700-2008 (NOAA, public domain)
    load_stdlib_source()     Python standard-library source, for character models
Synthetic tasks with known answers: sine_wave, adding_problem, copy_task,
digit_sequences (reverse / sort), first_last_match.
Batching: SequenceLoader, pad_sequences, sliding_windows, CharVocab.
"""

from .loader import Batch, SequenceLoader, pad_sequences
from .sunspots import SUNSPOT_CYCLE, load_sunspots
from .synthetic import adding_problem, copy_task, digit_sequences, first_last_match, sine_wave
from .text import STDLIB_MODULES, CorpusError, load_stdlib_source, load_text, split_text
from .vocab import CharVocab
from .windows import Standardizer, sliding_windows

__all__ = [
    "Batch", "SequenceLoader", "pad_sequences", "load_sunspots", "SUNSPOT_CYCLE",
    "sine_wave", "adding_problem", "copy_task", "digit_sequences", "first_last_match",
    "load_stdlib_source", "load_text", "split_text", "STDLIB_MODULES", "CorpusError",
    "CharVocab", "sliding_windows", "Standardizer",
]
