"""The window shell against a real cluster of its own (one of its MXE nodes is killed here):

- the header shows the account, SOL / USDC / PKR balances, the cluster with its slot and
  "MXE cluster: 3 of 3 nodes up"; a frozen node, then a killed one, reads "2 of 3" while the event
  loop keeps turning (the longest gap of a 5 ms timer stays small);
- the keyboard reaches every section (Ctrl+1..5) and every page (arrow keys in the navigation,
  which Tab can focus); controls carry accessible names;
- a dark theme and a text size chosen in Settings are saved and applied by the next window;
- ``show_tab`` takes the old tab titles; ``set_notification_widget`` puts a widget in the header.
"""
from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton

from tests.gui.gui_trading import GuiWallet, profile_for, until
from tests.integration.localnet_process import LocalnetProcess, running_localnet
from tests.integration.mxe_nodes import mxe_node_pid
from wallet.core.config import WalletConfig
from wallet.core.keystore import KdfParams, Keystore
from wallet.gui.app import WalletController
from wallet.gui.main_window import OLD_TAB_TITLES, SECTIONS
from wallet.gui.themes import apply_font_scale, apply_theme, current_theme


@pytest.fixture(scope="module")
def shell_localnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalnetProcess]:
    """Its own cluster: this test kills an MXE node, which the shared one must keep."""
    with running_localnet(tmp_path_factory.mktemp("shell-ledger")) as node:
        yield node


class StallProbe:
    """The longest gap between ticks of a 5 ms timer: how long the GUI thread was busy."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.longest = 0
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        self.longest = max(self.longest, self.clock.restart())

    def start(self) -> None:
        self.clock.start()
        self.longest = 0
        self.timer.start()

    def stop(self) -> int:
        self.timer.stop()
        return self.longest


def test_header_balances_and_mxe_status_with_a_node_down(qtbot, loop, shell_localnet, tmp_path: Path) -> None:
    w = GuiWallet(tmp_path, "shell", profile_for(shell_localnet), qtbot)
    header, window = w.window.header, w.window

    async def scenario() -> None:
        await w.fund(sol=1.0, usdc=25_000_000)
        await w.start()
        await until(lambda: header.sol_label.text() == "1 SOL", what="SOL in the header")
        await until(lambda: header.usdc_label.text() == "25 USDC", what="USDC in the header")
        assert header.current_address() == str(w.owner)
        await until(lambda: "connected · slot" in header.cluster_label.text(), what="cluster and slot")
        await until(lambda: header.mxe_label.text() == "MXE cluster: 3 of 3 nodes up", what="3 of 3")

        # PKR: open a rail account and top it up on the Trade page; the header follows
        rail = window.book.entry.rail
        assert header.pkr_label.text() == "- PKR"
        rail.handle_edit.setText("0345-7654321")
        rail.name_edit.setText("Shell Tester")
        rail.open_button.click()
        await until(lambda: rail.has_account(), what="rail account opened")
        rail.topup_edit.setText("2500")
        rail.topup_button.click()
        await until(lambda: header.pkr_label.text() == "2,500 PKR", what="PKR in the header")

        # a node that hangs (SIGSTOP: connections accepted, never answered), then one that is gone
        probe = StallProbe()
        probe.start()
        pid = mxe_node_pid(shell_localnet, 2)
        os.kill(pid, signal.SIGSTOP)
        try:
            await until(lambda: header.mxe_label.text() == "MXE cluster: 2 of 3 nodes up", timeout=20,
                        what="2 of 3 with a frozen node")
            assert "node(s) 2 do not answer" in header.mxe_label.toolTip()
        finally:
            os.kill(pid, signal.SIGCONT)
        await until(lambda: header.mxe_label.text() == "MXE cluster: 3 of 3 nodes up", timeout=20, what="3 of 3 again")
        os.kill(mxe_node_pid(shell_localnet, 1), signal.SIGKILL)
        await until(lambda: header.mxe_label.text() == "MXE cluster: 2 of 3 nodes up", timeout=20,
                    what="2 of 3 with a killed node")
        longest = probe.stop()
        assert longest < 250, f"the GUI thread stalled {longest} ms while nodes were down"
        assert header.mxe is not None and not header.mxe.healthy and header.mxe.required == 3

        # the bell's place in the header
        bell = QPushButton("bell")
        window.set_notification_widget(bell)
        assert bell.parent() is header and header.notification_widget is bell
        await w.stop()
        window.close()
        assert header._poller is None   # closing the window stops the MXE poller

    loop.run_until_complete(scenario())


def test_keyboard_reaches_every_section_and_page(qtbot, loop, gui_localnet, tmp_path: Path) -> None:
    keystore = Keystore.create(tmp_path / "ks" / "default.keystore", "gui test pw", words=12,
                               kdf=KdfParams.fresh(1, 8 << 20))
    desk = keystore.add_derived_account("Desk")
    w = GuiWallet(tmp_path, "keys", profile_for(gui_localnet), qtbot, keystore=keystore)
    window, nav = w.window, w.window.nav

    async def scenario() -> None:
        await w.start()
        window.activateWindow()
        await until(lambda: QApplication.activeWindow() is window, what="window active")
        assert nav.sections() == list(SECTIONS)
        for n, section in enumerate(SECTIONS, start=1):
            QTest.keyClick(window, Qt.Key(Qt.Key.Key_0 + n), Qt.KeyboardModifier.ControlModifier)
            await asyncio.sleep(0)
            page = window.current_page()
            assert page == nav.page_keys(section)[0], (section, page)
            assert window.pages.currentWidget() is getattr(window, page)

        # Tab reaches the navigation; the arrow keys walk every page
        assert nav.focusPolicy() & Qt.FocusPolicy.TabFocus
        nav.setFocus()
        QTest.keyClick(nav, Qt.Key.Key_Home)
        visited = []
        for _ in range(len(nav.page_keys()) + len(SECTIONS) + 2):
            visited.append(window.current_page())
            QTest.keyClick(nav, Qt.Key.Key_Down)
            await asyncio.sleep(0)
        assert set(visited) == set(nav.page_keys()) == {"book", "orders", "queue", "proofs", "deals", "activity",
                                                        "balances", "settings"}

        # the old tab titles still open the same views
        for title, name in OLD_TAB_TITLES.items():
            assert window.show_tab(title.title()), title
            assert window.pages.currentWidget() is getattr(window, name)
        assert window.show_tab("Settle") and window.current_page() == "queue"
        assert not window.show_tab("No such tab")

        # the header's account switcher is the Balances page's: either one moves both and the session
        header = window.header
        first = header.current_address()
        header.account_box.setCurrentIndex(header.account_box.findData(desk.address))
        assert w.session.owner == desk.address and window.balances.current_address() == desk.address
        window.balances.account_box.setCurrentIndex(0)
        assert header.current_address() == first and w.session.owner == first

        # accessible names on the header and navigation controls
        for widget in (header.account_box, header.sol_label, header.usdc_label, header.pkr_label,
                       header.cluster_label, header.mxe_label, nav, window.pages):
            assert widget.accessibleName(), widget
        await w.stop()

    loop.run_until_complete(scenario())


def test_theme_and_text_size_persist_across_a_restart(qtbot, loop, gui_localnet, tmp_path: Path) -> None:
    w = GuiWallet(tmp_path, "theme", profile_for(gui_localnet), qtbot)
    appearance = w.window.settings.appearance
    app = QApplication.instance()
    light_window = app.palette().color(QPalette.ColorRole.Window).lightness()

    async def scenario() -> None:
        try:
            await w.start()
            appearance.message.clear()
            appearance.theme_box.setCurrentIndex(appearance.theme_box.findData("dark"))
            await until(lambda: "saved" in appearance.message.text(), what="theme saved")
            assert current_theme() == "dark"
            assert app.palette().color(QPalette.ColorRole.Window).lightness() < light_window
            appearance.message.clear()
            appearance.scale_box.setCurrentIndex(appearance.scale_box.findData(1.3))
            await until(lambda: "saved" in appearance.message.text(), what="text size saved")
            big = app.font().pointSizeF()
            await w.stop()
            w.window.close()

            apply_theme("light")        # as a fresh process would start
            apply_font_scale(1.0)
            assert current_theme() == "light" and app.font().pointSizeF() < big
            cfg = WalletConfig.load(tmp_path / "theme")
            assert (cfg.theme, cfg.font_scale) == ("dark", 1.3)
            again = WalletController(cfg, profile_for(gui_localnet), w.keystore)
            qtbot.addWidget(again.window)
            assert current_theme() == "dark" and app.font().pointSizeF() == big
            assert again.window.settings.appearance.theme_box.currentData() == "dark"
            await again.stop()
            again.window.close()
        finally:
            apply_theme("light")
            apply_font_scale(1.0)

    loop.run_until_complete(scenario())
