"""Help > Open log, its fallback, and what an unexpected failure leaves: a traceback in the log
file, a short sentence for the user.

Real parts throughout: the wallet's rotating log (wallet/core/logs.py) in a real file, a real
QMainWindow with the installed menu, qasync slots failing inside the event loop and reaching
the app's excepthook exactly as in `anomi-wallet`. The only stand-in is the desktop's file
opener (`opener=`), because this machine has none: one test records what it was asked to open,
the other says "no opener" as `QDesktopServices.openUrl` does on a desktop without one.
"""
from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QMainWindow

from wallet.core import logs
from wallet.gui.help_menu import LogDialog, ShortcutsDialog, install_help_menu, read_tail
from wallet.gui.unexpected import LOG_HINT, install_excepthook, user_message, what_failed

SECRET_DETAIL = "blockhash 4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi at base units 28500000"


@pytest.fixture
def log_file() -> Path:
    """The process's wallet log (configured once per process, as the app does)."""
    path = logs.configure_logging(Path(__import__("tempfile").mkdtemp(prefix="anomi-help-log-")))
    assert path is not None
    return path


def data_dir_of(log_file: Path) -> Path:
    return log_file.parent.parent   # <data dir>/logs/anomi.log


def flush_logs() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


def test_open_log_hands_the_log_file_to_the_desktop(qtbot, loop, log_file: Path) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    asked: list[QUrl] = []
    help_menu = install_help_menu(window, data_dir_of(log_file), opener=lambda url: asked.append(url) or True)
    assert [a.text() for a in help_menu.menu.actions() if a.text()] == \
        ["Open &log", "&Keyboard shortcuts", "&About ANOMI"]
    logging.getLogger("wallet.test").info("a line so the log exists")
    flush_logs()
    opened = loop.run_until_complete(help_menu.open_log())
    assert opened is True
    assert [Path(u.toLocalFile()) for u in asked] == [log_file]
    assert help_menu.dialog is None   # no fallback when the desktop opened it


def test_open_log_falls_back_to_path_and_last_lines(qtbot, loop, log_file: Path) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    help_menu = install_help_menu(window, data_dir_of(log_file), opener=lambda url: False)
    for i in range(200):
        logging.getLogger("wallet.test").info("fallback line %d", i)
    flush_logs()
    opened = loop.run_until_complete(help_menu.open_log())
    assert opened is False
    dialog = help_menu.dialog
    assert isinstance(dialog, LogDialog) and dialog.isVisible()
    assert str(log_file) in dialog.path_label.text()
    shown = dialog.tail.toPlainText().splitlines()
    assert shown[-1].endswith("fallback line 199")
    assert len(shown) == 60 and not any(line.endswith("fallback line 139") for line in shown)
    dialog.reject()


def test_open_log_before_anything_was_logged(qtbot, loop, tmp_path: Path) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    help_menu = install_help_menu(window, tmp_path, opener=lambda url: pytest.fail("nothing to open"))
    assert loop.run_until_complete(help_menu.open_log()) is False
    assert "nothing has been logged yet" in help_menu.dialog.tail.toPlainText()


def test_read_tail_reads_only_the_end_of_a_large_log(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_text("".join(f"line {i}\n" for i in range(200_000)))
    assert read_tail(path, 3).splitlines() == ["line 199997", "line 199998", "line 199999"]


def test_unexpected_failure_goes_to_the_log_and_the_user_gets_one_short_sentence(
        qtbot, loop, log_file: Path) -> None:
    """A Help action whose opener crashes inside a qasync slot: the app's hook logs the
    traceback and shows a sentence naming the action, without the exception's text."""
    window = QMainWindow()
    qtbot.addWidget(window)

    def crashing_opener(url: QUrl) -> bool:
        raise RuntimeError(SECRET_DETAIL)

    help_menu = install_help_menu(window, data_dir_of(log_file), opener=crashing_opener)
    logging.getLogger("wallet.test").info("before the failure")
    shown: list[str] = []
    restore = install_excepthook(shown.append)
    real_hook = sys.__excepthook__
    sys.__excepthook__ = lambda *a: None   # keep the test's stderr quiet; the log is what we read
    try:
        help_menu.open_log_action.trigger()   # the real menu action -> qasync slot -> raises

        async def until_shown() -> None:
            while not shown:
                await asyncio.sleep(0.02)
        loop.run_until_complete(asyncio.wait_for(until_shown(), 10))
    finally:
        sys.__excepthook__ = real_hook
        restore()
    assert shown == [f"Help: open log failed unexpectedly. {LOG_HINT}"]
    assert SECRET_DETAIL not in shown[0] and "RuntimeError" not in shown[0]
    flush_logs()
    text = log_file.read_text()
    assert "ERROR" in text and "unexpected error in Help: open log" in text
    assert "Traceback (most recent call last)" in text
    assert f"RuntimeError: {SECRET_DETAIL}" in text
    assert "crashing_opener" in text   # the frame that failed is in the log, not on screen


def test_what_failed_names_the_view_and_action() -> None:
    try:
        exec(compile("def on_crank_deal():\n    raise KeyError('x')\non_crank_deal()",
                     "/somewhere/wallet/gui/deals_view.py", "exec"), {})
    except KeyError as exc:
        tb = exc.__traceback__
    assert what_failed(tb) == "Private deals: crank deal"
    assert user_message(KeyError, tb) == f"Private deals: crank deal failed unexpectedly. {LOG_HINT}"
    assert what_failed(None) == "The wallet"


def test_shortcuts_dialog_lists_the_registered_keys(qtbot, loop, tmp_path: Path) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    help_menu = install_help_menu(window, tmp_path)
    help_menu.show_shortcuts()
    dialog = help_menu.dialog
    assert isinstance(dialog, ShortcutsDialog)
    rows = {dialog.table.item(i, 0).text(): dialog.table.item(i, 1).text()
            for i in range(dialog.table.rowCount())}
    assert rows.get("F1") == "Keyboard shortcuts"
    assert "Tab / Shift+Tab" in rows
    dialog.reject()


def test_about_names_the_versions(qtbot, tmp_path: Path) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    help_menu = install_help_menu(window, tmp_path)
    text = help_menu.about_text()
    for name in ("ANOMI", "Python", "Qt", "PySide6"):
        assert f"<td>{name}</td>" in text
    assert str(tmp_path / "logs" / "anomi.log") in text
