"""The payment card: exactly what the buyer pays, to whom, and the reference, each to copy.

Why a card: paying on the rail is the one step of a trade that leaves the wallet (in production
it is the buyer's Easypaisa app), and a wrong amount or a missing reference is what fails to
settle. The card shows the exact PKR amount (the order's fiat due, never rounded), the payee's
name and handle once the directory revealed them to the matched buyer, and the short reference
the wallet's own rail payment carries; each has a copy button that puts the plain value on the
clipboard (the amount without thousands separators, so it pastes into any amount field).
"""
from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QPushButton, QWidget

from protocol.units import PAISA_PER_PKR, format_pkr


def plain_pkr(paisa: int) -> str:
    """28_500_00 paisa -> "28500"; 142_550 -> "1425.50" (what an amount field accepts)."""
    whole, frac = divmod(int(paisa), PAISA_PER_PKR)
    return f"{whole}.{frac:02d}" if frac else str(whole)


class PaymentCard(QGroupBox):
    def __init__(self, parent: QWidget | None = None):
        super().__init__("Payment", parent)
        self.amount_label = QLabel("-")
        font = self.amount_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.amount_label.setFont(font)
        self.payee_label = QLabel("-")
        self.payee_label.setWordWrap(True)
        self.reference_label = QLabel("-")
        self.copy_amount = QPushButton("Copy amount")
        self.copy_payee = QPushButton("Copy handle")
        self.copy_reference = QPushButton("Copy reference")
        self._values = {"amount": "", "payee": "", "reference": ""}
        self.amount_name, self.payee_name = QLabel("Pay exactly"), QLabel("To")
        grid = QGridLayout(self)
        for row, (name, label, button) in enumerate(((self.amount_name, self.amount_label, self.copy_amount),
                                                     (self.payee_name, self.payee_label, self.copy_payee),
                                                     (QLabel("Reference"), self.reference_label, self.copy_reference))):
            grid.addWidget(name, row, 0)
            grid.addWidget(label, row, 1)
            grid.addWidget(button, row, 2)
            button.setAccessibleName(f"{button.text()} to the clipboard")
        self.copy_amount.clicked.connect(lambda: self.copy("amount"))
        self.copy_payee.clicked.connect(lambda: self.copy("payee"))
        self.copy_reference.clicked.connect(lambda: self.copy("reference"))

    def set_payment(self, amount_paisa: int, reference: str, payee_name: str | None = None,
                    payee_handle: str | None = None, *, pending_text: str = "revealed to you after the match",
                    paying: bool = True) -> None:
        """`paying`: the buyer's card (pay this, to them); else the seller's (expect this, into
        your own rail account: no payee to copy)."""
        self.setTitle("Payment to make" if paying else "Payment to expect on your rail account")
        self.amount_name.setText("Pay exactly" if paying else "Expect exactly")
        self.payee_name.setText("To" if paying else "Into")
        self.copy_payee.setVisible(paying)
        self.amount_label.setText(f"{format_pkr(amount_paisa)} PKR")
        self.reference_label.setText(reference)
        self.payee_label.setText(f"{payee_name}, Easypaisa {payee_handle}" if payee_handle else pending_text)
        self._values = {"amount": plain_pkr(amount_paisa), "payee": payee_handle or "", "reference": reference}
        self.copy_payee.setEnabled(bool(payee_handle))

    def copy(self, what: str) -> str:
        """Put the plain value on the clipboard; returns it."""
        value = self._values[what]
        if value:
            QGuiApplication.clipboard().setText(value)
        return value
