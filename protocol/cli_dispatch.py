"""Running one `anomi` command line: parse, call the command, turn every failure into a message.

Why here and not in ``wallet.cli``: the same rules hold for `anomi …` and for the subsystems' own
`python -m localnet …`, which must not import the wallet. The rules:

* a bad option value is an argparse error: the usage line and one message on stderr, exit 2
  (option ``type=`` helpers raise ``argparse.ArgumentTypeError``);
* a command that refuses (``CliError``) prints ``anomi: <message>`` on stderr, exit 2;
* with ``--json`` anywhere on the command line, both of those are instead one JSON object on
  stderr, ``{"error": "<message>", "exit_code": 2}`` (stdout stays empty, so a script that
  parses stdout never mistakes an error for a result);
* anything else is a bug: one line naming it on stderr, the traceback in the log file (see
  ``wallet.core.logs``) when the entry point configured one, exit 1 — never a traceback on the
  terminal. Ctrl-C is exit 130.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Callable, NoReturn, Sequence

from .cli_errors import CliError

log = logging.getLogger(__name__)

USAGE_ERROR = 2
INTERNAL_ERROR = 1
INTERRUPTED = 130


def json_requested(argv: Sequence[str]) -> bool:
    """True when the command line asks for machine-readable output (before it is parsed)."""
    return "--json" in argv


def report_error(message: str, *, as_json: bool, code: int = USAGE_ERROR, usage: str | None = None) -> None:
    """Print one user-facing error the way the command line asked for."""
    if as_json:
        body: dict[str, object] = {"error": message, "exit_code": code}
        if usage:
            body["usage"] = usage.strip()
        print(json.dumps(body, sort_keys=True, ensure_ascii=False), file=sys.stderr, flush=True)
    else:
        if usage:
            print(usage.rstrip(), file=sys.stderr)
        print(f"anomi: {message}", file=sys.stderr, flush=True)


class CommandParser(argparse.ArgumentParser):
    """argparse with the `--json` error form; subparsers inherit the class (``parser_class``)."""

    json_errors = False  # set on the class for the duration of one dispatch

    def error(self, message: str) -> NoReturn:
        if CommandParser.json_errors:
            report_error(f"{self.prog}: {message}", as_json=True, usage=self.format_usage())
        else:  # argparse's own form: the usage line, then `prog: error: message`
            self.print_usage(sys.stderr)
            print(f"{self.prog}: error: {message}", file=sys.stderr, flush=True)
        raise SystemExit(USAGE_ERROR)


def _command_words(argv: Sequence[str]) -> str:
    """The subcommand words of a command line (no option values, which may be secrets)."""
    words = []
    for arg in argv:
        if arg.startswith("-") or not arg.replace("-", "").isalpha():
            break
        words.append(arg)
    return " ".join(words[:3])


def dispatch(parser: argparse.ArgumentParser, argv: Sequence[str]) -> int:
    """Parse ``argv`` with ``parser`` and run the chosen command's ``func(args) -> int``."""
    argv = list(argv)
    as_json = json_requested(argv)
    previous, CommandParser.json_errors = CommandParser.json_errors, as_json
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help (0) or a usage error (2), already printed
            return exc.code if isinstance(exc.code, int) else USAGE_ERROR
    finally:
        CommandParser.json_errors = previous
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return USAGE_ERROR
    try:
        return int(func(args) or 0)
    except CliError as exc:
        # the message may name a rail handle or an address: the log (plaintext) gets the kind only
        log.info("`anomi %s` refused (%s)", _command_words(argv), type(exc).__name__)
        report_error(str(exc), as_json=as_json)
        return USAGE_ERROR
    except KeyboardInterrupt:
        return INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a bug, reported, not shown raw
        log.exception("unexpected error in `anomi %s`", _command_words(argv))
        report_error(f"internal error: {type(exc).__name__}: {exc} (details in the log file)",
                     as_json=as_json, code=INTERNAL_ERROR)
        return INTERNAL_ERROR
