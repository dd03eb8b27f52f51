"""The `tinygrad-rnn` command: `tinygrad-rnn demo ...`, `tinygrad-rnn graph ...`.

Each subcommand lives in its own module exposing `add_arguments(parser)` and
`run(args) -> exit code`; this file only dispatches.
"""

import argparse
import importlib
import sys

SUBCOMMANDS = {
    "demo": ("tinygrad_rnn.demo", "train a character-level LSTM on the shipped corpus and sample from it"),
    "graph": ("tinygrad_rnn.viz.command", "draw a small model's unrolled computation graph"),
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tinygrad-rnn", description="tinygrad_rnn command line")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        importlib.import_module(module).add_arguments(p)
    args = parser.parse_args(argv)
    return importlib.import_module(args._module).run(args)


if __name__ == "__main__":
    sys.exit(main())
