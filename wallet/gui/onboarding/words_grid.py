"""The recovery phrase as a numbered grid (1..12 or 1..24), read top to bottom per column.

Why numbered and in columns: users copy the words onto a paper card that is numbered the same
way, and a word written in the wrong place fails the quiz (and a restore) just like a wrong word.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QWidget


class WordsGrid(QFrame):
    def __init__(self, parent: QWidget | None = None, columns: int = 3):
        super().__init__(parent)
        self.setObjectName("wordsGrid")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Recovery phrase words")
        self.columns = columns
        self.grid = QGridLayout(self)
        self.labels: list[QLabel] = []

    def set_words(self, words: list[str]) -> None:
        for label in self.labels:
            self.grid.removeWidget(label)
            label.hide()          # deleteLater waits for the event loop: never show two words in one cell
            label.deleteLater()
        self.labels = []
        rows = -(-len(words) // self.columns)
        for i, word in enumerate(words):
            label = QLabel(f"{i + 1:>2}.  {word}")
            label.setObjectName("seedWord")
            label.setAccessibleName(f"Word {i + 1}: {word}")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.grid.addWidget(label, i % rows, i // rows)
            self.labels.append(label)

    def words(self) -> list[str]:
        return [label.text().split(".", 1)[1].strip() for label in self.labels]

    def clear(self) -> None:
        self.set_words([])
