"""Unlock an existing wallet, or create / import one when none exists yet.

Why the work runs off the GUI thread: argon2id deliberately costs a quarter second and 64 MiB;
`asyncio.to_thread` keeps the window responsive while it runs (qasync's loop stays free).
Errors from the keystore (wrong password, damaged file, bad phrase) are shown in the dialog
and change nothing.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog, QFormLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QStackedWidget,
    QTabWidget, QVBoxLayout, QWidget)
from qasync import asyncSlot

from wallet.core.keystore import Keystore, KeystoreError


def _password_field(placeholder: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setPlaceholderText(placeholder)
    return field


class UnlockDialog(QDialog):
    """After `accepted`, `self.keystore` holds the unlocked keystore."""

    def __init__(self, path: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.path = Path(path)
        self.keystore: Keystore | None = None
        self.setWindowTitle("ANOMI wallet")
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.pages = QStackedWidget()
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        layout.addWidget(self.error)
        if self.path.exists():
            self.pages.addWidget(self._unlock_page())
        else:
            self.pages.addWidget(self._setup_page())
        self.phrase_page = self._phrase_page()
        self.pages.addWidget(self.phrase_page)

    # ------------------------------------------------------------------ pages
    def _unlock_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.addRow(QLabel(f"Unlock wallet <b>{self.path.stem}</b>"))
        self.password = _password_field("password")
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setDefault(True)
        form.addRow("Password", self.password)
        form.addRow("", self.unlock_button)
        self.unlock_button.clicked.connect(self.on_unlock)
        self.password.returnPressed.connect(self.on_unlock)
        return page

    def _setup_page(self) -> QWidget:
        tabs = QTabWidget()
        create = QWidget()
        cform = QFormLayout(create)
        self.new_password = _password_field("at least 8 characters")
        self.new_password2 = _password_field("repeat")
        self.create_button = QPushButton("Create wallet")
        cform.addRow("Password", self.new_password)
        cform.addRow("Repeat", self.new_password2)
        cform.addRow("", self.create_button)
        self.create_button.clicked.connect(self.on_create)
        tabs.addTab(create, "Create new")

        imp = QWidget()
        iform = QFormLayout(imp)
        self.import_phrase = QPlainTextEdit()
        self.import_phrase.setPlaceholderText("12 or 24 words (Phantom, Solflare, ...)")
        self.import_password = _password_field("at least 8 characters")
        self.import_password2 = _password_field("repeat")
        self.import_button = QPushButton("Import wallet")
        iform.addRow("Seed phrase", self.import_phrase)
        iform.addRow("Password", self.import_password)
        iform.addRow("Repeat", self.import_password2)
        iform.addRow("", self.import_button)
        self.import_button.clicked.connect(self.on_import)
        tabs.addTab(imp, "Import seed phrase")
        return tabs

    def _phrase_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel("Write down this seed phrase. It is the only way to recover "
                                "your wallet; ANOMI never shows it again unasked."))
        self.phrase_view = QPlainTextEdit()
        self.phrase_view.setReadOnly(True)
        layout.addWidget(self.phrase_view)
        done = QPushButton("I have written it down")
        done.clicked.connect(self.accept)
        layout.addWidget(done)
        return page

    # ------------------------------------------------------------------ actions
    def _busy(self, busy: bool) -> None:
        self.pages.setEnabled(not busy)
        if busy:
            self.error.setText("working...")

    async def _run(self, func, *args) -> Keystore | None:
        self._busy(True)
        try:
            return await asyncio.to_thread(func, *args)
        except KeystoreError as exc:
            self.error.setText(str(exc))
            return None
        finally:
            self._busy(False)

    @asyncSlot()
    async def on_unlock(self) -> None:
        ks = await self._run(Keystore.unlock, self.path, self.password.text())
        if ks is not None:
            self.keystore = ks
            self.error.setText("")
            self.accept()
        else:
            self.password.selectAll()

    def _matching(self, a: QLineEdit, b: QLineEdit) -> str | None:
        if a.text() != b.text():
            self.error.setText("the two passwords differ")
            return None
        return a.text()

    @asyncSlot()
    async def on_create(self) -> None:
        password = self._matching(self.new_password, self.new_password2)
        if password is None:
            return
        ks = await self._run(lambda: Keystore.create(self.path, password))
        if ks is not None:
            self.keystore = ks
            self.error.setText("")
            self.phrase_view.setPlainText(ks.mnemonic())
            self.pages.setCurrentWidget(self.phrase_page)

    @asyncSlot()
    async def on_import(self) -> None:
        password = self._matching(self.import_password, self.import_password2)
        if password is None:
            return
        phrase = self.import_phrase.toPlainText()
        ks = await self._run(lambda: Keystore.create(self.path, password, mnemonic=phrase))
        if ks is not None:
            self.keystore = ks
            self.error.setText("")
            self.accept()
