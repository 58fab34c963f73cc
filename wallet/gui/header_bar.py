"""The strip across the top of every page: account, balances, cluster and MXE status, the bell.

Why one header: a trader must see which account it trades with, what it holds (SOL for fees,
USDC, PKR on the rail) and whether the cluster and the MXE can serve it, whatever page is open.
The header only shows: balances and slots come from CoreBridge signals, the PKR figure from the
rail panel (the one place that reads the rail), and the MXE figure from the Qt-free
``wallet.core.mxe_status`` poller, whose thread posts each status through ``mxeStatus`` (a
queued signal), so a node that is down never blocks the GUI thread.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QWidget

from protocol.units import format_pkr
from wallet.core.amounts import SOL_DECIMALS, USDC_DECIMALS, format_amount
from wallet.core.events import BalanceChanged
from wallet.core.keystore import Account
from wallet.core.mxe_status import MxeStatus, MxeStatusPoller

from .account_box import fill_account_box


def _figure(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("figure")
    label.setAccessibleName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.VLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


class HeaderBar(QWidget):
    accountPicked = Signal(str)        # the user chose another account here
    mxeStatus = Signal(object)         # MxeStatus, posted from the poller's thread (queued)

    def __init__(self, parent: QWidget | None = None, *, mxe_interval: float = 2.0):
        super().__init__(parent)
        self.setObjectName("headerBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAccessibleName("Wallet header")
        self.account_box = QComboBox()
        self.account_box.setAccessibleName("Account")
        self.account_box.setToolTip("The account every page trades with")
        self.account_box.setMinimumWidth(180)
        self.sol_label = _figure("- SOL", "SOL balance")
        self.usdc_label = _figure("- USDC", "USDC balance")
        self.pkr_label = _figure("- PKR", "PKR balance on the rail")
        self.pkr_label.setToolTip("Your fiat-rail (Easypaisa sandbox) balance; open a rail account on Trade")
        self.cluster_label = QLabel("Cluster: connecting...")
        self.cluster_label.setAccessibleName("Cluster status")
        self.mxe_label = QLabel("MXE cluster: checking...")
        self.mxe_label.setAccessibleName("MXE status")
        self.bell_slot = QHBoxLayout()
        self.bell_slot.setContentsMargins(0, 0, 0, 0)
        self.notification_widget: QWidget | None = None
        self._accounts: list[Account] = []
        self._connected: bool | None = None
        self._connection_detail = ""
        self._slot: int | None = None
        self._poller: MxeStatusPoller | None = None
        self._mxe_interval = mxe_interval
        self.mxe: MxeStatus | None = None
        self.rpc_url: str | None = None
        self._pkr_source: Callable[[], int | None] | None = None

        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.account_box)
        row.addWidget(_separator())
        for label in (self.sol_label, self.usdc_label, self.pkr_label):
            row.addWidget(label)
        row.addWidget(_separator())
        row.addWidget(self.cluster_label)
        row.addWidget(self.mxe_label)
        row.addStretch(1)
        row.addLayout(self.bell_slot)

        self.account_box.currentIndexChanged.connect(self._on_account_index)
        self.mxeStatus.connect(self.on_mxe_status)
        self._pkr_timer = QTimer(self)
        self._pkr_timer.setInterval(1000)
        self._pkr_timer.timeout.connect(self._read_pkr)

    # ------------------------------------------------------------------ accounts
    def set_accounts(self, accounts: list[Account]) -> None:
        self._accounts = list(accounts)
        fill_account_box(self.account_box, self._accounts, short_address=True)

    def show_account(self, address: str) -> None:
        """Follow a selection made elsewhere (no accountPicked)."""
        index = self.account_box.findData(address)
        if index >= 0 and index != self.account_box.currentIndex():
            self.account_box.blockSignals(True)
            self.account_box.setCurrentIndex(index)
            self.account_box.blockSignals(False)
        self.sol_label.setText("- SOL")
        self.usdc_label.setText("- USDC")

    def current_address(self) -> str | None:
        return self.account_box.currentData()

    def _on_account_index(self, index: int) -> None:
        if 0 <= index < len(self._accounts):
            self.accountPicked.emit(self._accounts[index].address)

    # ------------------------------------------------------------------ balances + cluster (bridge slots)
    def on_balance(self, event: BalanceChanged) -> None:
        if event.address != self.current_address():
            return
        self.sol_label.setText(f"{format_amount(event.lamports, SOL_DECIMALS)} SOL")
        self.usdc_label.setText("? USDC" if event.usdc is None else f"{format_amount(event.usdc, USDC_DECIMALS)} USDC")

    def on_slot(self, slot: int) -> None:
        self._slot = slot
        self._show_cluster()

    def on_connection(self, connected: bool, detail: str) -> None:
        self._connected, self._connection_detail = connected, detail
        self._show_cluster()

    def _show_cluster(self) -> None:
        slot = f" · slot {self._slot:,}" if self._slot is not None else ""
        if self._connected is False:
            self.cluster_label.setText(f"Cluster: offline ({self._connection_detail})")
            self.cluster_label.setObjectName("statusBad")
        else:
            self.cluster_label.setText(f"Cluster: {'connected' if self._connected else 'connecting...'}{slot}")
            self.cluster_label.setObjectName("statusOk" if self._connected else "")
        self._restyle(self.cluster_label)

    # ------------------------------------------------------------------ PKR (rail)
    def set_pkr_source(self, source: Callable[[], int | None]) -> None:
        """A function returning the last rail balance read (paisa, None: unknown), read each second."""
        self._pkr_source = source
        self._pkr_timer.start()
        self._read_pkr()

    def _read_pkr(self) -> None:
        paisa = self._pkr_source() if self._pkr_source is not None else None
        self.pkr_label.setText("- PKR" if paisa is None else f"{format_pkr(paisa)} PKR")

    # ------------------------------------------------------------------ MXE
    def watch_mxe(self, rpc_url: str) -> None:
        """Start (or move) the MXE poller to the cluster at ``rpc_url``."""
        if self._poller is not None and self.rpc_url == rpc_url:
            return
        self.stop_mxe()
        self.rpc_url = rpc_url
        signal = self.mxeStatus
        self._poller = MxeStatusPoller(rpc_url, signal.emit, interval=self._mxe_interval)
        self._poller.start()

    def poll_mxe_now(self) -> None:
        if self._poller is not None:
            self._poller.poll_now()

    def stop_mxe(self) -> None:
        poller, self._poller = self._poller, None
        if poller is not None:
            poller.stop()

    def on_mxe_status(self, status: MxeStatus) -> None:
        self.mxe = status
        self.mxe_label.setText(status.headline)
        down = [str(n.index) for n in status.nodes if not n.up]
        tip = status.detail or ("every node answers with its registered key" if not down
                                else f"node(s) {', '.join(down)} do not answer; a result needs "
                                     f"{status.required} signatures")
        self.mxe_label.setToolTip(tip)
        self.mxe_label.setObjectName("statusOk" if status.healthy else "statusBad")
        self._restyle(self.mxe_label)

    # ------------------------------------------------------------------ bell
    def set_notification_widget(self, widget: QWidget) -> None:
        """Put ``widget`` (the notification bell) at the right end of the header."""
        if self.notification_widget is not None:
            self.bell_slot.removeWidget(self.notification_widget)
            self.notification_widget.setParent(None)
        self.notification_widget = widget
        self.bell_slot.addWidget(widget)

    @staticmethod
    def _restyle(widget: QWidget) -> None:
        style = widget.style()
        style.unpolish(widget)
        style.polish(widget)
