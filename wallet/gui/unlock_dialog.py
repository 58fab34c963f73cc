"""Unlock an existing wallet with its password.

A new wallet is made by the first-run screens (onboarding/first_run.py), not here: this dialog
only opens a file that exists.

Why the work runs off the GUI thread: argon2id deliberately costs a quarter second and 64 MiB;
`asyncio.to_thread` keeps the window responsive while it runs (qasync's loop stays free).
Errors from the keystore (wrong password, damaged file) are shown in the dialog and change nothing.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget
from qasync import asyncSlot

from wallet.core.keystore import Keystore, KeystoreError


class UnlockDialog(QDialog):
    """After `accepted`, `self.keystore` holds the unlocked keystore."""

    def __init__(self, path: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.path = Path(path)
        self.keystore: Keystore | None = None
        self.setWindowTitle("ANOMI: unlock your wallet")
        self.setAccessibleName("Unlock your wallet")
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Unlock problem")
        page = QWidget()
        form = QFormLayout(page)
        title = QLabel(f"<h3>Unlock wallet <b>{self.path.stem}</b></h3>")
        explain = QLabel("Type the password you chose for this wallet. It decrypts the wallet file on this "
                         "computer; nothing is sent anywhere.")
        explain.setWordWrap(True)
        form.addRow(title)
        form.addRow(explain)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("password")
        self.password.setAccessibleName("Wallet password")
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setDefault(True)
        form.addRow("Password", self.password)
        form.addRow("", self.unlock_button)
        self.form = page
        layout = QVBoxLayout(self)
        layout.addWidget(page)
        layout.addWidget(self.error)
        # Enter in the field clicks the default button (QDialog); no returnPressed connection, or
        # one Enter would unlock twice
        self.unlock_button.clicked.connect(self.on_unlock)
        self.password.setFocus()

    async def _run(self, func, *args) -> Keystore | None:
        self.form.setEnabled(False)
        self.error.setText("working...")
        try:
            return await asyncio.to_thread(func, *args)
        except KeystoreError as exc:
            self.error.setText(str(exc))
            return None
        finally:
            self.form.setEnabled(True)

    @asyncSlot()
    async def on_unlock(self) -> None:
        ks = await self._run(Keystore.unlock, self.path, self.password.text())
        if ks is not None:
            self.keystore = ks
            self.error.setText("")
            self.accept()
        else:
            self.password.selectAll()
            self.password.setFocus()
