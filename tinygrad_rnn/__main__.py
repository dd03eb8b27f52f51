"""`python -m tinygrad_rnn demo` is the same as `tinygrad-rnn demo`."""

import sys

from .cli import main

sys.exit(main())
