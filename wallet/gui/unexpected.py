"""What a user sees when something fails that no code path expected: a short sentence, never
the exception.

Why: an exception type and its text ("KeyError: 'blockhash'", an httpx traceback line) tells a
trader nothing and can leak internals (addresses, URLs, base units). Every unexpected failure
is written in full, traceback included, to the rotating log in the data directory
(wallet/core/logs.py), and the user is told which part of the wallet failed and where the
details are: Help > Open log (help_menu.py).
"""
from __future__ import annotations

import logging
import re
import sys
import traceback
from types import TracebackType
from typing import Callable

log = logging.getLogger(__name__)

LOG_HINT = "Details are in Help > Open log."

# the module a failing slot lives in -> the part of the wallet a user knows it by
AREAS = {
    "activity_view": "Activity",
    "balances_view": "Balances",
    "book_view": "Order book",
    "cluster_dialog": "The cluster check",
    "deals_view": "Private deals",
    "order_entry": "Order entry",
    "orders_view": "My orders",
    "payment_card": "The payment card",
    "proof_jobs_view": "Proof jobs",
    "queue_view": "Settlement",
    "rail_panel": "The PKR account panel",
    "settings_view": "Settings",
    "settle_actions": "Settlement",
    "trade_stepper": "Settlement",
    "help_menu": "Help",
    "app": "The wallet",
}


def _action_words(function: str) -> str:
    """`on_cancel_order` -> "cancel order"; a private or dunder name says nothing useful."""
    name = function.removeprefix("on_").strip("_")
    if not name or name.startswith("<") or name in ("run", "call", "scenario", "wrapper", "tracked"):
        return ""
    return name.replace("_", " ")


def what_failed(tb: TracebackType | None) -> str:
    """The wallet part and action a traceback started in, in words ("Private deals: crank").

    The outermost frame in `wallet/gui` is the slot the user triggered; its module names the
    view and its function the action."""
    first_area: str | None = None
    for frame in traceback.extract_tb(tb):
        parts = frame.filename.replace("\\", "/").split("/")
        if "gui" in parts and "wallet" in parts:
            area = AREAS.get(parts[-1].removesuffix(".py"))
            if area is None:
                continue
            first_area = first_area or area
            if area != first_area:
                break   # the slot's own view has no named frame: the view alone
            action = _action_words(frame.name)
            if action:
                return area if area == "The wallet" else f"{area}: {action}"
    return first_area or "The wallet"


def user_message(exc_type: type[BaseException], tb: TracebackType | None) -> str:
    """One short sentence: which part failed and where the details are; no exception text."""
    return f"{what_failed(tb)} failed unexpectedly. {LOG_HINT}"


def install_excepthook(show: Callable[[str], None]) -> Callable[[], None]:
    """Route unexpected exceptions (Qt slots, qasync slots) to the log and a short message.

    Returns a function restoring the previous hook. The terminal still gets the traceback
    (sys.__excepthook__) for whoever started the app from one."""
    previous = sys.excepthook

    def report(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            return previous(exc_type, exc, tb)
        log.error("unexpected error in %s", what_failed(tb), exc_info=(exc_type, exc, tb))
        try:
            show(user_message(exc_type, tb))
        except Exception:  # noqa: BLE001 - a closed window must not turn one error into two
            log.exception("could not show the unexpected-error message")
        sys.__excepthook__(exc_type, exc, tb)

    sys.excepthook = report

    def restore() -> None:
        if sys.excepthook is report:
            sys.excepthook = previous
    return restore


OWN_LOGGERS = ("wallet", "protocol", "prover")
# a Python repr or traceback inside a record ("<function f at 0x7f...>", "Traceback (...")
_REPR = re.compile(r"<[A-Za-z_][\w.]*[ >]|\b0x[0-9a-f]{6,}|Traceback \(|\w+(Error|Exception)\(")


def status_for_problem(level: str, logger: str, message: str) -> str:
    """The status-bar line for a logged warning or error (wallet.core.logs.on_problem).

    The wallet's own records are written as sentences for the user (network_words.py,
    trade_words.py); a record from a library or the event loop ("Exception in callback
    <TaskStepMethWrapper ...>", "Task exception was never retrieved") is internals: the user
    reads that something failed in the background and where the details are."""
    first = message.splitlines()[0] if message else ""
    if logger.split(".")[0] in OWN_LOGGERS and first and not _REPR.search(first):
        return f"{level.title()}: {first}"
    return f"Something failed in the background. {LOG_HINT}"
