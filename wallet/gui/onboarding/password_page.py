"""Choose the wallet password: strength as you type, the two entries compared, and the OS-keyring
opt-in explained in words.

Why the strength is only advice: the keystore enforces one rule (8 characters); argon2id makes
every guess slow, but a short common password is still guessed. zxcvbn is not installed, so the
estimate is core/password_strength.py's.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QVBoxLayout, QWidget)

from wallet.core.keystore import MIN_PASSWORD_LEN
from wallet.core.password_strength import estimate

KEYRING_TEXT = ("If you tick this, the key that opens this wallet (not your password) is kept in this computer's "
                "keyring (GNOME Keyring / KWallet, macOS Keychain, Windows Credential Manager) and ANOMI opens "
                "without asking. Anyone who can log in to your computer account can then open the wallet. "
                "The password is still needed on any other computer and to show the recovery phrase.")
NO_KEYRING_TEXT = ("No keyring service was found on this computer, so ANOMI will ask for the password "
                   "at every start.")


def _password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    return field


class PasswordPage(QWidget):
    """Emits `chosen(password, remember_in_keyring)` once the two entries match and are long enough."""
    chosen = Signal(str, bool)
    back = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel("<h3>Choose a password for this wallet</h3>")
        self.subtitle = QLabel("It encrypts the wallet file on this computer. ANOMI cannot recover it: "
                               "if you forget it, restore the wallet from its recovery phrase.")
        self.subtitle.setWordWrap(True)
        self.password = _password_field("Password")
        self.password.setPlaceholderText(f"at least {MIN_PASSWORD_LEN} characters")
        self.repeat = _password_field("Repeat password")
        self.repeat.setPlaceholderText("repeat")
        self.strength_bar = QProgressBar()
        self.strength_bar.setRange(0, 4)
        self.strength_bar.setTextVisible(False)
        self.strength_bar.setAccessibleName("Password strength")
        self.strength_label = QLabel("")
        self.strength_label.setWordWrap(True)
        self.strength_label.setAccessibleName("Password strength")
        self.match_label = QLabel("")
        self.keyring_box = QCheckBox("Remember the unlock key in this computer's keyring")
        self.keyring_box.setAccessibleName("Remember the unlock key in the keyring")
        self.keyring_text = QLabel(KEYRING_TEXT)
        self.keyring_text.setWordWrap(True)
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.back_button = QPushButton("Back")
        self.continue_button = QPushButton("Continue")
        self.continue_button.setAccessibleName("Continue")
        form = QFormLayout()
        form.addRow("Password", self.password)
        form.addRow("", self.strength_bar)
        form.addRow("", self.strength_label)
        form.addRow("Repeat", self.repeat)
        form.addRow("", self.match_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.continue_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addLayout(form)
        layout.addWidget(self.keyring_box)
        layout.addWidget(self.keyring_text)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.setTabOrder(self.password, self.repeat)
        self.setTabOrder(self.repeat, self.keyring_box)
        self.setTabOrder(self.keyring_box, self.continue_button)
        self.setTabOrder(self.continue_button, self.back_button)
        self.password.textChanged.connect(self.on_typed)
        self.repeat.textChanged.connect(self.on_typed)
        self.continue_button.clicked.connect(self.on_continue)
        self.back_button.clicked.connect(self.back.emit)
        self.primary = self.continue_button
        self.on_typed()

    def set_keyring_available(self, available: bool) -> None:
        self.keyring_box.setEnabled(available)
        if not available:
            self.keyring_box.setChecked(False)
            self.keyring_text.setText(NO_KEYRING_TEXT)

    def on_typed(self) -> None:
        text = self.password.text()
        strength = estimate(text)
        self.strength_bar.setValue(strength.score if text else 0)
        if not text:
            self.strength_label.setText("")
        else:
            short = f"too short: at least {MIN_PASSWORD_LEN} characters. " if len(text) < MIN_PASSWORD_LEN else ""
            self.strength_label.setText(f"strength: {strength.label}. {short}{strength.hint}".strip())
        repeat = self.repeat.text()
        self.match_label.setText("" if not repeat else ("the passwords match" if repeat == text
                                                         else "the passwords differ"))

    def on_continue(self) -> None:
        text = self.password.text()
        if len(text) < MIN_PASSWORD_LEN:
            self.message.setText(f"the password must be at least {MIN_PASSWORD_LEN} characters")
            self.password.setFocus()
            return
        if self.repeat.text() != text:
            self.message.setText("the two passwords differ")
            self.repeat.selectAll()
            self.repeat.setFocus()
            return
        self.message.setText("")
        self.chosen.emit(text, self.keyring_box.isChecked())

    def clear(self) -> None:
        """Forget the typed password (after the wallet is written, or on Back)."""
        self.password.clear()
        self.repeat.clear()
