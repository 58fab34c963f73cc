"""One private deal: its status and expiry, its offers, what the chain sees beside what I see.

Why the two columns: the point of a private deal is that the chain holds only ciphertexts (the
MXE-encrypted state, a nonce, the party's x25519 key) while this wallet, and only it, opens the
figures sealed to it. Showing both side by side (the chain's bytes abbreviated) makes that
visible. The page only shows a snapshot (DealView) handed to it by DealsView, plus the crank
and close verdicts (wallet.core.deal_permissions) with the reason when a button is disabled.
"""
from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget)

from wallet.core.deal_permissions import Verdict
from wallet.core.deal_sentences import Asset, result_sentences

from .table_widgets import fill_table, make_table


def short(text: str, head: int = 6, tail: int = 4) -> str:
    return text if len(text) <= head + tail + 1 else f"{text[:head]}…{text[-tail:]}"


def _hex(value: Any) -> str:
    if isinstance(value, int):
        value = value.to_bytes(16, "little")
    return short(bytes(value).hex(), 8, 4)


def chain_lines(address: str, fields: dict[str, Any], offers: list[tuple[str, dict[str, Any]]], me: str) -> list[str]:
    """What any RPC reader sees of the deal's secret parts: keys, nonces and ciphertexts."""
    lines = [f"Deal {short(address)}",
             f"  creator's x25519 key  {_hex(fields['encryption_pubkey'])}",
             f"  input nonce           {_hex(fields['nonce'])}",
             f"  state nonce           {_hex(fields['state_nonce'])}",
             "  encrypted state       " + " ".join(_hex(c) for c in fields["encrypted_state"])]
    for key, o in offers:
        mine = " (yours)" if str(o["controller"]) == me else ""
        lines += [f"Offer #{o['offer_index']} {short(key)}{mine}",
                  f"  x25519 key {_hex(o['encryption_pubkey'])}  nonce {_hex(o['nonce'])}",
                  "  encrypted state " + " ".join(_hex(c) for c in o["encrypted_state"])]
    lines.append("Amounts and prices: not on chain in any readable form.")
    return lines


class DealPage(QWidget):
    """The selected deal (empty until ``show_deal``)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel("Select a deal, or create one")
        self.title.setObjectName("pageTitle")
        self.title.setWordWrap(True)
        self.status_label = QLabel("-")
        self.expiry_label = QLabel("-")
        self.assets_label = QLabel("-")
        self.partial_label = QLabel("-")
        self.offers_table = make_table(["#", "Offer", "Status", "Mine"])
        self.offers_table.setAccessibleName("Offers on this deal")
        self.chain_view = QPlainTextEdit()
        self.chain_view.setObjectName("cipher")
        self.chain_view.setReadOnly(True)
        self.chain_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.chain_view.setAccessibleName("What the chain sees")
        self.results = QPlainTextEdit()
        self.results.setReadOnly(True)
        self.results.setAccessibleName("What I see")
        self.offer_button = QPushButton("Make an offer…")
        self.crank_button = QPushButton("Settle (crank)")
        self.close_button = QPushButton("Close my accounts")
        self.crank_reason = QLabel("")
        self.close_reason = QLabel("")
        self.offer_reason = QLabel("")
        for label in (self.crank_reason, self.close_reason, self.offer_reason):
            label.setObjectName("muted")
            label.setWordWrap(True)
        self.offer_button.setAccessibleName("Make an offer on this deal")
        self.crank_button.setAccessibleName("Settle this deal")
        self.close_button.setAccessibleName("Close my accounts of this deal")
        self._expires_at: int | None = None
        self._clock_offset = 0.0   # chain time - local time, at the last snapshot

        facts = QFormLayout()
        facts.addRow("Status", self.status_label)
        facts.addRow("Expires", self.expiry_label)
        facts.addRow("Assets", self.assets_label)
        facts.addRow("Partial fill", self.partial_label)
        chain = QGroupBox("What the chain sees")
        QVBoxLayout(chain).addWidget(self.chain_view)
        mine = QGroupBox("What I see")
        QVBoxLayout(mine).addWidget(self.results)
        sides = QHBoxLayout()
        sides.addWidget(chain, 1)
        sides.addWidget(mine, 1)
        actions = QHBoxLayout()
        for button, reason in ((self.offer_button, self.offer_reason), (self.crank_button, self.crank_reason),
                               (self.close_button, self.close_reason)):
            col = QVBoxLayout()
            col.addWidget(button)
            col.addWidget(reason)
            col.addStretch(1)
            actions.addLayout(col, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(facts)
        layout.addWidget(QLabel("Offers"))
        layout.addWidget(self.offers_table, 1)
        layout.addLayout(sides, 2)
        layout.addLayout(actions)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._show_expiry)
        self.clear()

    def clear(self, text: str = "Select a deal, or create one") -> None:
        self.title.setText(text)
        for label in (self.status_label, self.expiry_label, self.assets_label, self.partial_label):
            label.setText("-")
        fill_table(self.offers_table, [])
        self.chain_view.setPlainText("")
        self.results.setPlainText("")
        self._expires_at = None
        self._tick.stop()
        for button, reason in ((self.offer_button, self.offer_reason), (self.crank_button, self.crank_reason),
                               (self.close_button, self.close_reason)):
            button.setEnabled(False)
            reason.setText("")

    def show_deal(self, address: str, data: dict[str, Any], fields: dict[str, Any],
                  offers: list[tuple[str, dict[str, Any]]], me: str, base: Asset, quote: Asset,
                  chain_now: int, verdicts: dict[str, Verdict]) -> None:
        """``data``: DealView.to_json(); ``fields``/``offers``: the decoded accounts."""
        role = "you created it" if data["controller"] == me else (
            "you made an offer" if any(str(o["controller"]) == me for _k, o in offers) else "")
        self.title.setText(f"Deal {short(address)}" + (f" · {role}" if role else ""))
        status = data["status"]
        self.status_label.setText(f"{status}, {data['num_offers']} offer(s), {data['resolved_offers']} settled")
        self.assets_label.setText(f"sells {base.symbol}, paid in {quote.symbol}")
        self.partial_label.setText("accepted at expiry" if data["allow_partial"] else "not accepted: all or nothing")
        self._expires_at = int(data["expires_at"]) if status == "OPEN" else None
        self._clock_offset = chain_now - time.time()
        if self._expires_at is None:
            settled = data.get("settled_at") or 0
            self.expiry_label.setText(time.strftime("settled %Y-%m-%d %H:%M UTC", time.gmtime(settled))
                                      if settled else "closed to offers")
            self._tick.stop()
        else:
            self._show_expiry()
            self._tick.start()
        fill_table(self.offers_table, [[o["index"], short(o["offer"]), o["status"], "yes" if o["controller"] == me else ""]
                                       for o in data["offers"]], [o["offer"] for o in data["offers"]])
        self.chain_view.setPlainText("\n".join(chain_lines(address, fields, offers, me)))
        lines = result_sentences(data["mine"], base, quote)
        if data.get("history_error"):
            lines.append(f"(the chain history could not be read, so this may be incomplete: {data['history_error']})")
        self.results.setPlainText("\n".join(lines))
        for key, button, reason in (("offer", self.offer_button, self.offer_reason),
                                    ("crank", self.crank_button, self.crank_reason),
                                    ("close", self.close_button, self.close_reason)):
            verdict = verdicts[key]
            button.setEnabled(verdict.allowed)
            button.setToolTip(verdict.reason)
            reason.setText(verdict.reason)

    def _show_expiry(self) -> None:
        if self._expires_at is None:
            return
        left = int(self._expires_at - (time.time() + self._clock_offset))
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self._expires_at))
        if left <= 0:
            self.expiry_label.setText(f"{when} (expired: anyone may settle it now)")
        elif left < 3600:
            self.expiry_label.setText(f"{when} (in {left // 60} min {left % 60:02d} s)")
        else:
            self.expiry_label.setText(f"{when} (in {left // 3600} h {left % 3600 // 60} min)")

