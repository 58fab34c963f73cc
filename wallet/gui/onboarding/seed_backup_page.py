"""The new recovery phrase, numbered, with the warning that says why it matters."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .words_grid import WordsGrid

WARNING = ("<b>Write these words on paper, in this order, and keep the paper somewhere safe and offline.</b> "
           "They are the only way to get this wallet back if you forget the password or lose this computer, "
           "and anyone who reads them can take everything in it: never type them into a website, a chat or a "
           "photo. Next, ANOMI asks you for three of them.")


class SeedBackupPage(QWidget):
    """Emits `written()` when the user says the words are written down."""
    written = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel("<h3>Your recovery phrase</h3>")
        self.warning = QLabel(WARNING)
        self.warning.setWordWrap(True)
        self.warning.setObjectName("warning")
        self.grid = WordsGrid()
        self.continue_button = QPushButton("I have written them down")
        self.continue_button.setAccessibleName("I have written the words down")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.warning)
        layout.addWidget(self.grid, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.continue_button)
        layout.addLayout(row)
        self.continue_button.clicked.connect(self.written.emit)
        self.primary = self.continue_button

    def show_words(self, words: list[str]) -> None:
        self.grid.set_words(words)
