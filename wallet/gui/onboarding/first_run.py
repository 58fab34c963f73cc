"""The first-run flow: welcome -> create or restore -> password -> (new phrase: backup -> quiz)
-> the wallet file is written.

Why the file is written after the quiz and not before the phrase is shown (the old order): a
wallet that exists on disk is a wallet people fund, and funding a wallet whose phrase was never
seen is how funds get lost. Until the last step nothing is on disk, so quitting half way leaves
no wallet to be confused by, and the phrase the user saw is exactly the one written. Skipping the
check is allowed but never silent: Escape or closing the window on the phrase or quiz screens asks
"Skip the backup for now?"; Yes writes the wallet marked *backup not confirmed* (seed_backup.py):
the main window shows a reminder banner and asks and bids are refused until the check is passed.

All blocking work (phrase generation and derivation, argon2id, the fsync'd write, the keyring)
runs on a worker thread (asyncio.to_thread); Qt objects stay on the GUI thread.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import qasync
from PySide6.QtWidgets import QDialog, QLabel, QMessageBox, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from wallet.core.config import WalletConfig
from wallet.core.keyring_cache import UnlockCache
from wallet.core.keystore import KdfParams, Keystore, KeystoreError
from wallet.core.unlock import enable_keyring_cache
from wallet.core.wallet_setup import WalletSource, check_source, new_phrase, write_wallet

from .password_page import PasswordPage
from .restore_page import RestorePage
from .seed_backup_page import SeedBackupPage
from .seed_quiz import SeedQuiz
from .welcome_page import WelcomePage

SKIP_TITLE = "Skip the backup for now?"
SKIP_QUESTION = "Skip the backup for now? You will be reminded."
SKIP_TEXT = ("Your wallet will be created, but until you pass the word check a reminder stays at the top of the "
             "window and ANOMI refuses to escrow funds (asks and bids). If you have not written the words down, "
             "choose No.")


class FirstRunDialog(QDialog):
    """After `accepted`, `self.keystore` is the new, unlocked wallet."""

    def __init__(self, path: Path, *, config: WalletConfig | None = None, cache: UnlockCache | None = None,
                 words: int = 24, kdf: KdfParams | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.path = Path(path)
        self.config = config
        self.cache = cache
        self.words = words
        self.kdf = kdf
        self.keystore: Keystore | None = None
        self.source: WalletSource | None = None
        self.flow = "create"
        self._password: str | None = None
        self._remember = False
        self._writing = False
        self.keyring_enabled: bool | None = None   # None: not asked
        self.skip_box: QMessageBox | None = None
        self.setWindowTitle("ANOMI: set up your wallet")
        self.setAccessibleName("Set up your wallet")
        self.setMinimumWidth(560)
        self.welcome = WelcomePage()
        self.restore = RestorePage()
        self.password_page = PasswordPage()
        self.backup = SeedBackupPage()
        self.quiz = SeedQuiz()
        self.pages = QStackedWidget()
        for page in (self.welcome, self.restore, self.password_page, self.backup, self.quiz):
            self.pages.addWidget(page)
        self.status = QLabel("")
        self.status.setObjectName("error")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        layout.addWidget(self.status)
        self.welcome.chosen.connect(self.on_chosen)
        self.restore.submitted.connect(self.on_source)
        self.restore.back.connect(lambda: self.show_page(self.welcome))
        self.password_page.chosen.connect(self.on_password)
        self.password_page.back.connect(self.on_password_back)
        self.backup.written.connect(self.on_written)
        self.quiz.passed.connect(self.on_quiz_passed)
        self.quiz.show_again.connect(lambda: self.show_page(self.backup))
        self.password_page.set_keyring_available(False)
        self.show_page(self.welcome)

    # ------------------------------------------------------------------ navigation
    def show_page(self, page: QWidget) -> None:
        """Show `page`; its primary button answers Enter."""
        for other in self.findChildren(QPushButton):
            other.setDefault(False)
        primary = getattr(page, "primary", None)
        if primary is not None:
            primary.setDefault(True)
        self.pages.setCurrentWidget(page)
        self.status.setText("")
        if page is self.backup:
            self.backup.continue_button.setFocus()
        elif page is self.password_page:
            self.password_page.password.setFocus()
        elif page is self.welcome:
            self.welcome.create_button.setFocus()

    def on_chosen(self, mode: str) -> None:
        self.flow = mode
        self.source = None
        if mode == "create":
            self._ask_password("<h3>Choose a password for your new wallet</h3>",
                               "It encrypts the wallet file on this computer. Next you will see your recovery "
                               "phrase: the password cannot recover the wallet, the phrase can.")
            return
        self.restore.set_mode(mode)
        self.show_page(self.restore)
        self.restore.field().setFocus()

    def _ask_password(self, title: str, subtitle: str) -> None:
        self.password_page.title.setText(title)
        self.password_page.subtitle.setText(subtitle)
        self.show_page(self.password_page)
        if self.cache is not None:
            self._check_keyring()

    @qasync.asyncSlot()
    async def _check_keyring(self) -> None:
        assert self.cache is not None
        available = await asyncio.to_thread(self.cache.available)   # a keyring (D-Bus) call
        self.password_page.set_keyring_available(available)

    def on_password_back(self) -> None:
        self.password_page.clear()
        self.show_page(self.welcome if self.flow == "create" else self.restore)

    # ------------------------------------------------------------------ steps
    @qasync.asyncSlot(str, str)
    async def on_source(self, mode: str, value: str) -> None:
        self.restore.setEnabled(False)
        try:
            source = await asyncio.to_thread(check_source, mode, value)
        except KeystoreError as exc:
            self.restore.message.setText(str(exc))
            self.restore.field().setFocus()
            return
        finally:
            self.restore.setEnabled(True)
        self.restore.message.setText("")
        self.source = source
        what = {"phrase": "Restoring the wallet of", "keypair": "Importing the key of",
                "watch": "Watching"}[mode]
        self._ask_password("<h3>Choose a password for this wallet</h3>",
                           f"{what} {source.address}.\nThe password encrypts the wallet file on this computer.")

    @qasync.asyncSlot(str, bool)
    async def on_password(self, password: str, remember: bool) -> None:
        self._password, self._remember = password, remember
        if self.flow != "create":
            await self._write(backup_confirmed=True)
            return
        self.password_page.setEnabled(False)
        try:
            self.source = await asyncio.to_thread(new_phrase, self.words)
        finally:
            self.password_page.setEnabled(True)
        self.backup.show_words(self.source.words)
        self.show_page(self.backup)

    def on_written(self) -> None:
        assert self.source is not None
        self.quiz.start(self.source.words)
        self.show_page(self.quiz)
        self.quiz.fields[0].setFocus()

    @qasync.asyncSlot()
    async def on_quiz_passed(self) -> None:
        await self._write(backup_confirmed=True)

    async def _write(self, *, backup_confirmed: bool) -> None:
        """The one write of the new wallet file (then the keyring, if the user opted in)."""
        assert self.source is not None and self._password is not None
        self._writing = True
        self.pages.setEnabled(False)
        self.status.setText("creating the wallet file...")
        try:
            ks = await asyncio.to_thread(write_wallet, self.path, self._password, self.source,
                                         backup_confirmed=backup_confirmed, kdf=self.kdf)
            if self._remember and self.cache is not None:
                self.keyring_enabled = await asyncio.to_thread(enable_keyring_cache, self.cache, self.config, ks)
        except KeystoreError as exc:
            self.status.setText(f"the wallet was not created: {exc}")
            return
        except OSError as exc:
            self.status.setText(f"the wallet was not created: cannot write {self.path} ({exc.strerror})")
            return
        finally:
            self._writing = False
            self.pages.setEnabled(True)
        self._password = None
        self.password_page.clear()
        self.keystore = ks
        self.status.setText("")
        self.accept()

    # ------------------------------------------------------------------ leaving
    def backup_pending_here(self) -> bool:
        """True on the phrase or quiz screen of a new wallet not yet written."""
        return self.keystore is None and self.pages.currentWidget() in (self.backup, self.quiz)

    def reject(self) -> None:  # Escape and the window's close button both come here
        if self._writing:
            return
        if self.backup_pending_here():
            self.ask_skip()
            return
        super().reject()

    def ask_skip(self) -> None:
        if self.skip_box is not None and self.skip_box.isVisible():
            return
        box = QMessageBox(QMessageBox.Icon.Question, SKIP_TITLE, SKIP_QUESTION,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setInformativeText(SKIP_TEXT)   # the title bar is not shown everywhere: the question is the text
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAccessibleName(SKIP_TITLE)
        box.finished.connect(lambda _r: self.on_skip_answer(box.clickedButton() is box.button(
            QMessageBox.StandardButton.Yes)))
        self.skip_box = box
        box.open()

    @qasync.asyncSlot(bool)
    async def on_skip_answer(self, skip: bool) -> None:
        if not skip:
            return
        await self._write(backup_confirmed=False)
