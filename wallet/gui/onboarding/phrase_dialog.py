"""Show the recovery phrase again (after the password), and take the backup check from there.

Why the password even when the wallet was opened from the OS keyring: whoever sits at an unlocked
computer must not be able to read the phrase off the screen. The password check (argon2id) and
the write that records a passed check (seal + fsync) run on a worker thread.
"""
from __future__ import annotations

import asyncio

import qasync
from PySide6.QtWidgets import (
    QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QStackedWidget, QVBoxLayout,
    QWidget)

from wallet.core import offthread
from wallet.core.keystore import Keystore, KeystoreError

from .seed_backup_page import WARNING
from .seed_quiz import SeedQuiz
from .words_grid import WordsGrid


class PhraseDialog(QDialog):
    """`check=True` (the banner's "Back up now"): after the phrase comes the word check, and a
    passed check is recorded in the wallet. Otherwise (Settings) the phrase is shown and the check
    is offered while the backup is not confirmed."""

    def __init__(self, keystore: Keystore, *, check: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.keystore = keystore
        self.check = check
        self.confirmed = False
        self.setWindowTitle("Back up your recovery phrase" if check else "Recovery phrase")
        self.setAccessibleName(self.windowTitle())
        self.setMinimumWidth(520)
        self.pages = QStackedWidget()
        # ---- 1. the password
        ask = QWidget()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Wallet password")
        self.show_button = QPushButton("Show the phrase")
        self.show_button.setDefault(True)
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Password problem")
        intro = QLabel("Type the wallet password to show the recovery phrase. Make sure nobody can see your "
                       "screen (or a camera pointed at it).")
        intro.setWordWrap(True)
        form = QFormLayout(ask)
        form.addRow(intro)
        form.addRow("Password", self.password)
        form.addRow("", self.show_button)
        form.addRow(self.message)
        # ---- 2. the words
        shown = QWidget()
        self.seed_box = QComboBox()
        self.seed_box.setAccessibleName("Which recovery phrase")
        seeds = keystore.seed_ids()
        for n, seed_id in enumerate(seeds):
            self.seed_box.addItem(f"Recovery phrase {n + 1}", seed_id)
        self.seed_box.setVisible(len(seeds) > 1)
        warning = QLabel(WARNING.replace(" Next, ANOMI asks you for three of them.", ""))
        warning.setWordWrap(True)
        self.grid = WordsGrid()
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.check_button = QPushButton("Check my backup")
        self.check_button.setAccessibleName("Check my backup")
        self.close_button = QPushButton("Close")
        sl = QVBoxLayout(shown)
        sl.addWidget(self.seed_box)
        sl.addWidget(warning)
        sl.addWidget(self.grid, 1)
        sl.addWidget(self.status_label)
        row = QHBoxLayout()
        row.addWidget(self.close_button)
        row.addStretch(1)
        row.addWidget(self.check_button)
        sl.addLayout(row)
        # ---- 3. the check
        self.quiz = SeedQuiz()
        for page in (ask, shown, self.quiz):
            self.pages.addWidget(page)
        self.ask_page, self.shown_page = ask, shown
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.show_button.clicked.connect(self.on_show)
        self.check_button.clicked.connect(self.on_check)
        self.close_button.clicked.connect(self.accept)
        self.seed_box.currentIndexChanged.connect(lambda _i: self._show_words())
        self.quiz.passed.connect(self.on_passed)
        self.quiz.show_again.connect(lambda: self.pages.setCurrentWidget(self.shown_page))
        if not seeds:
            self.message.setText("This wallet has no recovery phrase: its accounts are imported keys or watched "
                                 "addresses. Keep a copy of the keypair files instead.")
            self.password.setEnabled(False)
            self.show_button.setEnabled(False)
        self.password.setFocus()

    def seed_id(self) -> str | None:
        return self.seed_box.currentData()

    @qasync.asyncSlot()
    async def on_show(self) -> None:
        self.show_button.setEnabled(False)
        self.message.setText("checking the password...")
        problem = "wrong password: the phrase stays hidden"
        try:
            right = await asyncio.to_thread(self.keystore.verify_password, self.password.text())
        except KeystoreError as exc:
            right, problem = False, str(exc)
        finally:
            self.show_button.setEnabled(True)
        self.password.clear()
        if not right:
            self.message.setText(problem)
            self.password.setFocus()
            return
        self.message.setText("")
        if self.check:   # start on the first phrase still to be checked
            pending = self.keystore.backup_pending()
            if pending:
                self.seed_box.setCurrentIndex(self.seed_box.findData(pending[0]))
        self._show_words()
        self.pages.setCurrentWidget(self.shown_page)
        (self.check_button if self.check_button.isEnabled() else self.close_button).setFocus()

    def _show_words(self) -> None:
        seed_id = self.seed_id()
        if seed_id is None:
            return
        self.grid.set_words(self.keystore.mnemonic(seed_id).split())
        done = seed_id not in self.keystore.backup_pending()
        self.status_label.setText("Backup confirmed." if done else
                                  "Backup not confirmed yet: asks and bids stay refused until you pass the check.")
        self.check_button.setEnabled(not done)
        self.check_button.setDefault(not done)
        self.close_button.setDefault(done)

    def on_check(self) -> None:
        self.quiz.start(self.grid.words())
        self.pages.setCurrentWidget(self.quiz)
        self.quiz.check_button.setDefault(True)

    @qasync.asyncSlot()
    async def on_passed(self) -> None:
        seed_id = self.seed_id()
        self.quiz.setEnabled(False)
        try:
            await offthread.keystore_write(self.keystore, self.keystore.confirm_backup, seed_id)
        except KeystoreError as exc:
            self.quiz.message.setText(f"the check passed but could not be recorded: {exc}")
            return
        finally:
            self.quiz.setEnabled(True)
        self.confirmed = True
        parent = self.parentWidget()
        if parent is not None:   # the window's reminder, wherever the check was started from
            from .backup_banner import refresh_banners   # backup_banner imports this module
            refresh_banners(parent)
        if self.keystore.backup_pending():   # another phrase of this wallet to check
            self.seed_box.setCurrentIndex(self.seed_box.findData(self.keystore.backup_pending()[0]))
            self.pages.setCurrentWidget(self.shown_page)
            return
        self.accept()
