"""The wallet's log: one rotating file in the data directory, and the last problem for the GUI.

Why: a failure the user does not see at once (a market poll that times out, a background
refresh that raises) used to vanish. Every module logs through ``logging.getLogger(__name__)``;
the entry points (the `anomi` CLI and the GUI app) call ``configure_logging`` once, which sends
records to ``<data dir>/logs/anomi.log`` (rotated at 1 MB, 3 old files kept, mode 0600 since
addresses and order ids are private) and remembers the last warning or error so the GUI can
show it in its status bar (``last_problem``). Nothing here prints to the terminal: the CLI's
output is its stdout/stderr contract, not log lines.
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

LOG_FILE_NAME = "anomi.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 3
OWN_LOGGERS = ("wallet", "protocol", "prover", "localnet")
FORMAT = "%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s"

_lock = threading.Lock()
_configured: Path | None = None


@dataclass(frozen=True)
class Problem:
    """The most recent warning or error: what the GUI's status line shows."""

    level: str
    logger: str
    message: str
    at: float  # unix seconds


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose every file (also after a rollover) is created 0600."""

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)
        if os.name == "posix":
            os.chmod(self.baseFilename, 0o600)
        return super()._open()


class _LastProblem(logging.Handler):
    """Keeps the last record at WARNING or above and tells the listeners (the GUI's status)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.problem: Problem | None = None
        self.listeners: list[Callable[[Problem], None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not break logging
            message = str(record.msg)
        self.problem = Problem(record.levelname, record.name, message, record.created)
        for listener in list(self.listeners):
            try:
                listener(self.problem)
            except Exception:  # noqa: BLE001 - a closed window must not break logging
                self.listeners.remove(listener)


_last = _LastProblem()


def log_path(data_dir: Path) -> Path:
    return Path(data_dir) / "logs" / LOG_FILE_NAME


def configure_logging(data_dir: Path | None = None, *, level: int | str | None = None) -> Path | None:
    """Attach the rotating file (once per process) and the last-problem tracker.

    ``data_dir`` defaults to the wallet's data directory (ANOMI_DATA_DIR or the user data dir).
    Returns the log file's path, or None when the directory cannot be written (logging must
    never stop a command)."""
    global _configured
    with _lock:
        root = logging.getLogger()
        if _last not in root.handlers:
            root.addHandler(_last)
        if _configured is not None:
            return _configured
        if data_dir is None:
            from .config import data_dir as default_data_dir
            data_dir = default_data_dir()
        path = log_path(data_dir)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            handler = _PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT,
                                                  encoding="utf-8")
        except OSError:
            return None
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
        wanted = level if level is not None else os.environ.get("ANOMI_LOG_LEVEL", "INFO")
        number = wanted if isinstance(wanted, int) else logging.getLevelName(str(wanted).upper())
        if not isinstance(number, int):
            number = logging.INFO
        for name in OWN_LOGGERS:  # ours at INFO; third-party libraries keep the root's WARNING
            logging.getLogger(name).setLevel(number)
        _configured = path
        logging.getLogger(__name__).info("log opened (pid %d)", os.getpid())
        return path


def last_problem(since: float | None = None) -> Problem | None:
    """The last warning/error logged in this process (only those at or after ``since``)."""
    problem = _last.problem
    if problem is None or (since is not None and problem.at < since):
        return None
    return problem


def clear_last_problem() -> None:
    _last.problem = None


def on_problem(listener: Callable[[Problem], None]) -> Callable[[], None]:
    """Call ``listener`` with every new warning/error (from any thread); returns an unsubscribe.

    The GUI shows it in its status bar; a listener must be quick and must not log."""
    _last.listeners.append(listener)
    return lambda: _last.listeners.remove(listener) if listener in _last.listeners else None
