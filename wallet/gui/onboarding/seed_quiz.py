"""The backup check: the user types the words at three random positions.

Why the positions are random each time: a fixed set would teach people to write down only those.
The comparison (case and surrounding spaces ignored) is core/seed_backup.check_quiz.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from wallet.core.seed_backup import QUIZ_SIZE, check_quiz, quiz_positions


class SeedQuiz(QWidget):
    """`start(words)` picks the positions; emits `passed()` on right answers, `show_again()` to go back."""
    passed = Signal()
    show_again = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.words: list[str] = []
        self.positions: list[int] = []
        self.title = QLabel("<h3>Check your backup</h3>")
        self.intro = QLabel("Type the words from your paper at these positions.")
        self.intro.setWordWrap(True)
        self.fields = [QLineEdit() for _ in range(QUIZ_SIZE)]
        self.labels = [QLabel() for _ in range(QUIZ_SIZE)]
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Backup check result")
        self.again_button = QPushButton("Show the words again")
        self.check_button = QPushButton("Check")
        self.check_button.setAccessibleName("Check the words")
        form = QFormLayout()
        for label, field in zip(self.labels, self.fields):
            form.addRow(label, field)
            label.setBuddy(field)
        row = QHBoxLayout()
        row.addWidget(self.again_button)
        row.addStretch(1)
        row.addWidget(self.check_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addLayout(row)
        for a, b in zip(self.fields, self.fields[1:] + [self.check_button]):
            self.setTabOrder(a, b)
        self.setTabOrder(self.check_button, self.again_button)
        self.check_button.clicked.connect(self.on_check)
        self.again_button.clicked.connect(self.show_again.emit)
        self.primary = self.check_button

    def start(self, words: list[str], positions: list[int] | None = None) -> None:
        self.words = list(words)
        self.positions = positions or quiz_positions(len(words))
        for n, label, field in zip(self.positions, self.labels, self.fields):
            label.setText(f"Word #{n}")
            field.setAccessibleName(f"Word number {n}")
            field.clear()
        self.message.setText("")
        self.fields[0].setFocus()

    def on_check(self) -> None:
        result = check_quiz(self.words, {n: f.text() for n, f in zip(self.positions, self.fields)})
        self.message.setText(result.message())
        if not result.passed:
            first_wrong = self.positions.index(result.wrong[0])
            self.fields[first_wrong].selectAll()
            self.fields[first_wrong].setFocus()
            return
        self.passed.emit()
