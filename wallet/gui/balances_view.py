"""The balances view: cluster, slot, the selected account's address, SOL and USDC.

Why it only listens: the view is fed by CoreBridge signals and reports what the user wants
(another account, test funds) through its own signals; it never calls RPC itself, so it can
be shown and tested without a network.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget)

from wallet.core.amounts import SOL_DECIMALS, USDC_DECIMALS, format_amount
from wallet.core.events import BalanceChanged
from wallet.core.keystore import Account

from .account_box import fill_account_box


class BalancesView(QWidget):
    accountSelected = Signal(str)   # address
    faucetRequested = Signal()
    accountsChanged = Signal(object)  # list[Account]: the window's header lists the same accounts
    clusterChanged = Signal(str)      # RPC URL: the header polls that cluster's MXE

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.cluster_label = QLabel("-")
        self.connection_label = QLabel("connecting...")
        self.slot_label = QLabel("-")
        self.account_box = QComboBox()
        self.address_label = QLabel("-")
        self.address_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = QPushButton("Copy")
        self.sol_label = QLabel("-")
        self.usdc_label = QLabel("-")
        self.faucet_button = QPushButton("Get test SOL + USDC")
        self.account_box.setAccessibleName("Account")
        self.copy_button.setAccessibleName("Copy address")
        self.faucet_button.setAccessibleName("Get test SOL and USDC")
        for label in (self.slot_label, self.sol_label, self.usdc_label):
            label.setObjectName("figure")
        self._accounts: list[Account] = []

        cluster = QGroupBox("Cluster")
        form = QFormLayout(cluster)
        form.addRow("RPC", self.cluster_label)
        form.addRow("Status", self.connection_label)
        form.addRow("Slot", self.slot_label)

        wallet = QGroupBox("Account")
        wform = QFormLayout(wallet)
        wform.addRow("Account", self.account_box)
        row = QHBoxLayout()
        row.addWidget(self.address_label, 1)
        row.addWidget(self.copy_button)
        wform.addRow("Address", row)
        wform.addRow("SOL", self.sol_label)
        wform.addRow("USDC", self.usdc_label)
        wform.addRow("", self.faucet_button)

        layout = QVBoxLayout(self)
        layout.addWidget(cluster)
        layout.addWidget(wallet)
        layout.addStretch(1)

        self.account_box.currentIndexChanged.connect(self._on_account_index)
        self.copy_button.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.address_label.text()))
        self.faucet_button.clicked.connect(self.faucetRequested.emit)

    # ------------------------------------------------------------ inputs
    def set_cluster(self, rpc_url: str) -> None:
        self.cluster_label.setText(rpc_url)
        self.clusterChanged.emit(rpc_url)

    def set_accounts(self, accounts: list[Account]) -> None:
        self._accounts = list(accounts)
        fill_account_box(self.account_box, self._accounts, short_address=False)
        if self._accounts:
            self.address_label.setText(self._accounts[0].address)
            self.faucet_button.setEnabled(True)
        self.accountsChanged.emit(list(self._accounts))

    def select_address(self, address: str) -> bool:
        """Show `address` (emits accountSelected when it changes the selection)."""
        index = self.account_box.findData(address)
        if index >= 0:
            self.account_box.setCurrentIndex(index)
        return index >= 0

    def current_address(self) -> str:
        return self.address_label.text()

    # ------------------------------------------------------------ bridge slots
    def on_slot(self, slot: int) -> None:
        self.slot_label.setText(f"{slot:,}")

    def on_balance(self, event: BalanceChanged) -> None:
        if event.address != self.current_address():
            return  # a late reply for an account no longer shown
        self.sol_label.setText(f"{format_amount(event.lamports, SOL_DECIMALS)} SOL")
        self.usdc_label.setText("unknown mint" if event.usdc is None
                                else f"{format_amount(event.usdc, USDC_DECIMALS)} USDC")

    def on_connection(self, connected: bool, detail: str) -> None:
        self.connection_label.setText("connected" if connected else f"offline: {detail}")

    def _on_account_index(self, index: int) -> None:
        if 0 <= index < len(self._accounts):
            address = self._accounts[index].address
            self.address_label.setText(address)
            self.sol_label.setText("-")
            self.usdc_label.setText("-")
            self.accountSelected.emit(address)
