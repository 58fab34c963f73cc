"""The create-deal and offer wizards: terms -> review in human units -> confirm.

Why a wizard: a private deal is sent once and cannot be edited (its amount and price are
encrypted for the MXE and only the MXE can read them back), so the terms are typed on one page,
checked as they are typed (a message under the field, Next stays disabled), then read back as a
sentence with the asset named ("You sell 1,000 USDC for at least 1.5 USDC each") before the
Finish button, which names the action, sends it. The wizards only collect and check: DealsView
sends, so a wizard never talks to the chain.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget, QWizard, QWizardPage)

from protocol import otc_codec as otc
from wallet.core.amounts import AmountError
from wallet.core.deal_sentences import Asset
from wallet.core.otc_client import DealError, format_price, parse_price

from .field_notes import FieldNote

EXPIRY_CHOICES = ((15 * 60, "15 minutes"), (3600, "1 hour"), (6 * 3600, "6 hours"), (24 * 3600, "1 day"),
                  (7 * 24 * 3600, "7 days"))


@dataclass(frozen=True)
class DealTerms:
    amount: int          # base units of the asset sold
    price: int           # X64.64, quote per base
    expires_in: int      # seconds
    allow_partial: bool


@dataclass(frozen=True)
class OfferTerms:
    amount: int
    price: int


def _total(amount: int, price: int, quote: Asset) -> str:
    return quote.amount((amount * price + (1 << 63)) >> 64)   # to the nearest unit: 1.6 is not exact in X64.64


def _when(seconds: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(time.time() + seconds))


class _TermsPage(QWizardPage):
    """Amount + price fields with notes under them; complete only when both parse."""

    def __init__(self, title: str, subtitle: str, base: Asset, quote: Asset):
        super().__init__()
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.base, self.quote = base, quote
        self.amount_edit = QLineEdit()
        self.amount_edit.setAccessibleName(f"Amount in {base.symbol}")
        self.amount_edit.setPlaceholderText(f"{base.symbol}, e.g. 1000")
        self.amount_note = FieldNote()
        self.price_edit = QLineEdit()
        self.price_edit.setAccessibleName(f"Price in {quote.symbol} per {base.symbol}")
        self.price_edit.setPlaceholderText(f"{quote.symbol} per {base.symbol}, e.g. 1.5")
        self.price_note = FieldNote()
        self.form = QFormLayout(self)
        self.amount_edit.textChanged.connect(self._changed)
        self.price_edit.textChanged.connect(self._changed)

    def add_amount_and_price(self, amount_label: str, price_label: str) -> None:
        self.form.addRow(amount_label, self.amount_edit)
        self.form.addRow("", self.amount_note)
        self.form.addRow(price_label, self.price_edit)
        self.form.addRow("", self.price_note)

    def amount(self) -> int:
        return self.base.parse(self.amount_edit.text(), "amount")

    def price(self) -> int:
        return parse_price(self.price_edit.text())

    def _check(self, edit: QLineEdit, note: FieldNote, read) -> bool:
        if not edit.text().strip():
            note.say(None)
            return False
        try:
            read()
        except (AmountError, DealError, ValueError) as exc:
            note.say(str(exc))
            return False
        note.say(None)
        return True

    def _changed(self) -> None:
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 (Qt naming)
        ok_amount = self._check(self.amount_edit, self.amount_note, self.amount)
        ok_price = self._check(self.price_edit, self.price_note, self.price)
        return ok_amount and ok_price


class _ReviewPage(QWizardPage):
    def __init__(self, title: str):
        super().__init__()
        self.setTitle(title)
        self.setSubTitle("Nothing has been sent yet. Check the terms, then confirm.")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Review")
        self.privacy = QLabel()
        self.privacy.setWordWrap(True)
        self.privacy.setObjectName("muted")
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addSpacing(8)
        layout.addWidget(self.privacy)
        layout.addStretch(1)


class CreateDealWizard(QWizard):
    """Amount, asset, price, expiry -> review -> "Create deal"."""

    def __init__(self, base: Asset, quote: Asset, base_mint: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("New private deal")
        self.setObjectName("createDealWizard")
        self.base, self.quote = base, quote
        self.terms = _TermsPage("Terms", "What you sell, the least you accept per unit, and until when "
                                "offers are taken. Only you and the MXE will ever read these figures.", base, quote)
        self.asset_box = QComboBox()
        self.asset_box.setAccessibleName("Asset you sell")
        self.asset_box.addItem(f"{base.symbol}  ({base_mint[:6]}…{base_mint[-4:]})", base_mint)
        self.expiry_box = QComboBox()
        self.expiry_box.setAccessibleName("Offers are taken for")
        for seconds, label in EXPIRY_CHOICES:
            self.expiry_box.addItem(label, seconds)
        self.expiry_box.setCurrentIndex(1)
        self.partial_box = QCheckBox("accept a partial fill at expiry")
        self.partial_box.setAccessibleName("Accept a partial fill at expiry")
        self.terms.form.addRow("Asset you sell", self.asset_box)
        self.terms.add_amount_and_price("Amount", f"Least price ({quote.symbol} each)")
        self.terms.form.addRow("Offers taken for", self.expiry_box)
        self.terms.form.addRow("", self.partial_box)
        self.review = _ReviewPage("Review your deal")
        self.addPage(self.terms)
        self.addPage(self.review)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Create deal")
        self.currentIdChanged.connect(self._on_page)
        # field aliases the tests and callers use
        self.amount_edit, self.price_edit = self.terms.amount_edit, self.terms.price_edit

    def result_terms(self) -> DealTerms:
        return DealTerms(self.terms.amount(), self.terms.price(), int(self.expiry_box.currentData()),
                         self.partial_box.isChecked())

    def _on_page(self, _id: int) -> None:
        if self.currentPage() is not self.review:
            return
        t = self.result_terms()
        partial = ("If it is not fully filled by then, what was filled is sold." if t.allow_partial
                   else "If it is not fully filled by then, nothing is sold.")
        self.review.summary.setText(
            f"You sell {self.base.amount(t.amount)} for at least {format_price(t.price)} {self.quote.symbol} "
            f"each: at least {_total(t.amount, t.price, self.quote)} in all.\n\n"
            f"Offers are taken until {_when(t.expires_in)} ({self.expiry_box.currentText()}). {partial} "
            "As the creator you may settle it early once it is fully filled.")
        self.review.privacy.setText(
            "The amount and price are encrypted for the MXE cluster before they leave this computer: the chain "
            "and every other party see only ciphertexts. The MXE confirms them back to you, sealed to your key.")


class OfferWizard(QWizard):
    """Amount and price for one deal -> review -> "Submit offer"."""

    def __init__(self, deal: str, deal_fields: dict, base: Asset, quote: Asset, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Make an offer")
        self.setObjectName("offerWizard")
        self.deal, self.base, self.quote = deal, base, quote
        expires = int(deal_fields["expires_at"])
        self.terms = _TermsPage(
            "Your offer", f"Deal {deal[:6]}…{deal[-4:]} sells {base.symbol} for {quote.symbol}; offers are taken "
            f"until {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(expires))}. Its size and least price are "
            "secret: your offer fills, first come first served, if your price is at least the creator's.",
            base, quote)
        self.terms.add_amount_and_price(f"Amount ({base.symbol})", f"Your price ({quote.symbol} each)")
        self.status = otc.DEAL_STATUS_NAMES.get(deal_fields["status"], "?")
        self.review = _ReviewPage("Review your offer")
        self.addPage(self.terms)
        self.addPage(self.review)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Submit offer")
        self.currentIdChanged.connect(self._on_page)
        self.amount_edit, self.price_edit = self.terms.amount_edit, self.terms.price_edit

    def result_terms(self) -> OfferTerms:
        return OfferTerms(self.terms.amount(), self.terms.price())

    def _on_page(self, _id: int) -> None:
        if self.currentPage() is not self.review:
            return
        t = self.result_terms()
        self.review.summary.setText(
            f"You offer to buy {self.base.amount(t.amount)} at up to {format_price(t.price)} {self.quote.symbol} "
            f"each (at most {_total(t.amount, t.price, self.quote)}) on deal {self.deal[:6]}…{self.deal[-4:]}.\n\n"
            "How much of it fills is computed under encryption when you submit; you learn your fill when the "
            "deal is settled.")
        self.review.privacy.setText(
            "Your amount and price are encrypted for the MXE cluster: the creator and the chain never see them.")
