"""The ``coverage-plan`` command: a thin layer over the public functions.

Exit status: 0 when the command ran, 1 with ``--fail-on-gap`` when a standard is
not met, 2 for a user error (bad input, bad option) - with a message, never a
traceback - and 130 when interrupted (Ctrl-C or SIGTERM; no output is half-written).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence

from ..errors import CoverageError
from ..i18n import N_, Msg, Note, text_in, translate
from ._parser import Parser, _lang_in, build_parser

__all__ = ["main"]

LEVEL_NAMES = (N_("WARNING"), N_("INFO"))  # log levels, shown in the user's language


log = logging.getLogger(__name__)


def _terminate(signum, frame):
    # SIGTERM (a scheduler stopping the job, `kill`) ends the run like Ctrl-C: staged outputs are rolled back.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``coverage-plan``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    Parser.lang = _lang_in(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    root = logging.getLogger()
    before = list(root.handlers)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    for handler in root.handlers:  # the handler made here (or by an earlier run), never another program's
        if handler not in before or isinstance(handler.formatter, _InLanguage):
            handler.setFormatter(_InLanguage(getattr(args, "lang", "en")))
    commands = {
        "info": _lazy("cmd_info"),
        "check": _lazy("cmd_check"),
        "map": _lazy("cmd_map"),
        "site": _lazy("cmd_site"),
        "init": _lazy("cmd_init"),
        "batch": _lazy("cmd_batch"),
    }
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return commands[args.command](args)
    except CoverageError as exc:
        lang = getattr(args, "lang", "en")
        print(Msg("coverage-plan: error: {message}", message=exc.text(lang)).text(lang), file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(Msg("coverage-plan: interrupted; no output was half-written.").text(getattr(args, "lang", "en")), file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


class _InLanguage(logging.Formatter):
    """``LEVEL: message`` in the user's language: the template, Note arguments and the level name.

    Formats a translated copy: the record itself, which other handlers may see, is left as it is.
    """

    def __init__(self, lang: str):
        super().__init__(translate(N_("%(levelname)s: %(message)s"), lang))
        self.lang = lang

    def format(self, record: logging.LogRecord) -> str:
        if self.lang != "en" and isinstance(record.msg, str):
            record = logging.makeLogRecord(record.__dict__)
            record.msg = translate(record.msg, self.lang)
            if isinstance(record.args, tuple):
                record.args = tuple(text_in(a, self.lang) if isinstance(a, Note) else a for a in record.args)
            record.levelname = translate(record.levelname, self.lang)
        return super().format(record)


def _lazy(name: str):
    def run(args: argparse.Namespace) -> int:
        from . import commands

        return getattr(commands, name)(args)

    return run
