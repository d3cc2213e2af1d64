"""One sub-command of ``yolo-training``: its name, its help line, its arguments and what it runs.

Every command is registered the same way, as a :class:`Command` in the table of ``cli.py``
(``COMMANDS``): the small ones have their two functions in ``cli.py``, the bigger ones (``workshop``,
``class``) keep them in their own module, which offers its ``COMMAND``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable


@dataclass(frozen=True)
class Command:
    """A sub-command of ``yolo-training``.

    Attributes:
        name: The word after ``yolo-training`` (``"train"``).
        help: Its line in ``yolo-training --help``.
        add_arguments: Adds its arguments to its sub-parser.
        run: Runs it: ``run(args, root)`` with the parsed arguments and the project folder; returns the exit code.

    Examples:
        >>> def add(parser): parser.add_argument("--name", default="world")
        >>> def run(args, root): print(f"hello {args.name}"); return 0
        >>> hello = Command("hello", "say hello", add, run)
        >>> hello.run(hello.parser().parse_args(["--name", "you"]), Path("."))
        hello you
        0
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Path], int]

    def parser(self, subparsers=None) -> argparse.ArgumentParser:
        """Its argument parser: a sub-parser of ``subparsers`` when given, else one of its own.

        Args:
            subparsers: what ``ArgumentParser.add_subparsers()`` returned, or None.

        Returns:
            The parser, with the command's arguments added.

        Examples:
            >>> Command("doctor", "versions", lambda p: None, lambda a, r: 0).parser().prog.endswith("doctor")
            True
        """
        if subparsers is None:
            parser = argparse.ArgumentParser(prog=f"yolo-training {self.name}", description=self.help)
        else:
            parser = subparsers.add_parser(self.name, help=self.help, description=self.help)
        self.add_arguments(parser)
        return parser


def no_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``add_arguments`` of a command that takes none.

    Args:
        parser: the command's parser (left as it is).

    Returns:
        None.

    Examples:
        >>> no_arguments(argparse.ArgumentParser())
    """
