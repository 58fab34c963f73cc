"""The first screen a new user sees: what ANOMI is, what runs on this computer, and the four ways in."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

WELCOME = ("ANOMI lets you sell or buy USDC for Pakistani rupees with another person, and settle private "
           "OTC deals, where zero-knowledge proofs show the chain that you paid or can pay without revealing "
           "your bank account or balance. Your keys, your proofs and (unless you point it elsewhere) a complete "
           "local Solana test cluster with its payment rail run on this computer; your recovery phrase and "
           "password never leave it.")

MODES = ("create", "phrase", "keypair", "watch")


class WelcomePage(QWidget):
    """Emits `chosen(mode)`: "create", "phrase" (Phantom / BIP39 recovery phrase), "keypair"
    (Solana CLI keypair file) or "watch" (an address, no keys)."""
    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        title = QLabel("<h2>Welcome to ANOMI</h2>")
        self.intro = QLabel(WELCOME)
        self.intro.setWordWrap(True)
        self.intro.setObjectName("welcomeText")
        self.create_button = QPushButton("Create a new wallet")
        self.phrase_button = QPushButton("Restore from a recovery phrase (Phantom, Solflare, ...)")
        self.keypair_button = QPushButton("Import a Solana CLI keypair file")
        self.watch_button = QPushButton("Watch an address (view only, no keys)")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.intro)
        layout.addSpacing(12)
        for mode, button, name in ((MODES[0], self.create_button, "Create a new wallet"),
                                   (MODES[1], self.phrase_button, "Restore from a recovery phrase"),
                                   (MODES[2], self.keypair_button, "Import a Solana CLI keypair file"),
                                   (MODES[3], self.watch_button, "Watch an address")):
            button.setAccessibleName(name)
            button.clicked.connect(lambda _=False, m=mode: self.chosen.emit(m))
            layout.addWidget(button)
        layout.addStretch(1)
        self.primary = self.create_button
