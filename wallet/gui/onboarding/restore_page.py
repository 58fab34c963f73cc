"""Restore or import: a recovery phrase (Phantom's derivation), a Solana CLI keypair file, or an
address to watch. The page only collects the input; the coordinator checks it off the GUI thread
(checksum, file parse, address) and shows the reason here when it is refused.
"""
from __future__ import annotations

from typing import Awaitable, Callable

import qasync
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QStackedWidget, QVBoxLayout, QWidget)

from ..file_choosers import choose_open_path

TITLES = {
    "phrase": ("<h3>Restore from a recovery phrase</h3>",
               "Type the 12 or 24 words of your Phantom (or any BIP39 Solana) wallet, in order, separated by "
               "spaces. ANOMI derives the same accounts as Phantom (m/44'/501'/N'/0')."),
    "keypair": ("<h3>Import a Solana CLI keypair file</h3>",
                "The JSON file `solana-keygen new` writes (an array of 64 numbers), e.g. ~/.config/solana/id.json. "
                "Its secret key is copied into the encrypted wallet; the file itself is not changed."),
    "watch": ("<h3>Watch an address</h3>",
              "A Solana address whose balances, orders and settlement records you want to follow. No key is "
              "stored, so this wallet cannot sign or trade."),
}


class RestorePage(QWidget):
    """Emits `submitted(mode, value)`: the phrase, the keypair file path or the address."""
    submitted = Signal(str, str)
    back = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.mode = "phrase"
        self.title = QLabel()
        self.explain = QLabel()
        self.explain.setWordWrap(True)
        self.phrase_edit = QPlainTextEdit()
        self.phrase_edit.setAccessibleName("Recovery phrase")
        self.phrase_edit.setPlaceholderText("word1 word2 word3 ...")
        self.phrase_edit.setTabChangesFocus(True)
        self.keypair_edit = QLineEdit()
        self.keypair_edit.setAccessibleName("Keypair file")
        self.keypair_edit.setPlaceholderText("path to the keypair JSON file")
        self.browse_button = QPushButton("Browse...")
        self.browse_button.setAccessibleName("Choose the keypair file")
        self.watch_edit = QLineEdit()
        self.watch_edit.setAccessibleName("Address to watch")
        self.watch_edit.setPlaceholderText("base58 address")
        keypair_row = QWidget()
        kr = QHBoxLayout(keypair_row)
        kr.setContentsMargins(0, 0, 0, 0)
        kr.addWidget(self.keypair_edit, 1)
        kr.addWidget(self.browse_button)
        self.inputs = QStackedWidget()
        self._index = {"phrase": self.inputs.addWidget(self.phrase_edit),
                       "keypair": self.inputs.addWidget(keypair_row),
                       "watch": self.inputs.addWidget(self.watch_edit)}
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Restore problem")
        self.back_button = QPushButton("Back")
        self.continue_button = QPushButton("Continue")
        self.continue_button.setAccessibleName("Continue")
        row = QHBoxLayout()
        row.addWidget(self.back_button)
        row.addStretch(1)
        row.addWidget(self.continue_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.explain)
        layout.addWidget(self.inputs)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addLayout(row)
        self.setTabOrder(self.phrase_edit, self.keypair_edit)
        self.setTabOrder(self.keypair_edit, self.browse_button)
        self.setTabOrder(self.browse_button, self.watch_edit)
        self.setTabOrder(self.watch_edit, self.continue_button)
        self.setTabOrder(self.continue_button, self.back_button)
        # a file dialog, awaitable; tests give a path instead
        self.choose_file: Callable[[QWidget, str], Awaitable[str | None]] = choose_open_path
        self.continue_button.clicked.connect(self.on_continue)
        self.back_button.clicked.connect(self.back.emit)
        self.browse_button.clicked.connect(self.on_browse)
        self.primary = self.continue_button

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        title, text = TITLES[mode]
        self.title.setText(title)
        self.explain.setText(text)
        self.inputs.setCurrentIndex(self._index[mode])
        self.message.setText("")
        self.field().setFocus()

    def field(self) -> QWidget:
        return {"phrase": self.phrase_edit, "keypair": self.keypair_edit, "watch": self.watch_edit}[self.mode]

    def value(self) -> str:
        if self.mode == "phrase":
            return self.phrase_edit.toPlainText()
        return (self.keypair_edit if self.mode == "keypair" else self.watch_edit).text().strip()

    @qasync.asyncSlot()
    async def on_browse(self) -> None:
        path = await self.choose_file(self, "Solana CLI keypair file")
        if path:
            self.keypair_edit.setText(path)

    def on_continue(self) -> None:
        if not self.value().strip():
            self.message.setText({"phrase": "type your recovery phrase", "keypair": "choose the keypair file",
                                  "watch": "type the address to watch"}[self.mode])
            return
        self.message.setText("checking...")
        self.submitted.emit(self.mode, self.value())
