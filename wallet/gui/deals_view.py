"""Private OTC deals (seed 003): the deals on the cluster, one deal's page, and the wizards.

Why "what I see" is separate from the deal's status: amounts and prices are encrypted for the
MXE; the chain shows only statuses and ciphertexts. Each figure meant for this wallet (a deal's
confirmation and settlement, an offer's fill and refund) is sealed to one of its x25519
identities and opened by DealService when the MXE's callback arrives (or recovered from the
deal's chain history); the page shows what the wallet has opened, as sentences with the asset
named, and refreshes on DealResultStored. Every action waits for an MXE round trip, so its
button stays disabled until the callback is in. Creating and offering go through wizards
(deal_wizards.py); the deal page is deal_page.py.
"""
from __future__ import annotations

import time
from typing import Any, Awaitable, Callable

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget, QWizard
from solders.pubkey import Pubkey

from wallet.core.deal_permissions import close_verdict, crank_verdict, offer_verdict
from wallet.core.deal_sentences import Asset, asset_for, result_sentences

from .bridge import CoreBridge
from .confirm import CANCELLED, Confirmation
from .deal_page import DealPage, short
from .deal_wizards import CreateDealWizard, DealTerms, OfferTerms, OfferWizard
from .session import USER_ERRORS, GuiSession, action_slot
from .table_widgets import MessageLabel, fill_table, make_table, select_key, selected_key

ROLE_WORDS = {"creator": "creator", "offeror": "offered", "-": ""}


class DealsView(QWidget):
    def __init__(self, bridge: CoreBridge, session: GuiSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.bridge = bridge
        self.session = session
        self.rows: dict[str, dict[str, Any]] = {}
        self.snapshot: dict[str, Any] | None = None   # the selected deal as last read (fields, assets)
        self.wizard: QWizard | None = None             # the wizard open now (tests drive it)
        self.last_created: str | None = None
        self.create_button = QPushButton("New deal…")
        self.create_button.setAccessibleName("Create a new private deal")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setAccessibleName("Refresh the deals")
        self.table = make_table(["Deal", "Status", "You", "Offers", "Expires (UTC)"])
        self.table.setAccessibleName("Deals on the cluster")
        self.page = DealPage()
        self.message = MessageLabel()
        # the page's parts, named as the tests and other views use them
        self.offers_table, self.results = self.page.offers_table, self.page.results
        self.offer_button, self.crank_button, self.close_button = (
            self.page.offer_button, self.page.crank_button, self.page.close_button)

        left = QWidget()
        ll = QVBoxLayout(left)
        head = QHBoxLayout()
        head.addWidget(QLabel("Deals on the cluster"), 1)
        head.addWidget(self.refresh_button)
        ll.addLayout(head)
        ll.addWidget(self.table, 1)
        ll.addWidget(self.create_button)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.page)
        split.setStretchFactor(1, 2)
        split.setSizes([460, 820])
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.message)

        self.create_button.clicked.connect(self.on_new_deal)
        self.refresh_button.clicked.connect(self.on_refresh)
        self.table.itemSelectionChanged.connect(self.on_select)
        self.offer_button.clicked.connect(self.on_new_offer)
        self.crank_button.clicked.connect(self.on_crank)
        self.close_button.clicked.connect(self.on_close)
        bridge.dealResultStored.connect(lambda _e: self.on_select())
        bridge.tradingAccountChanged.connect(lambda _e: self.on_refresh())   # "You" follows the account

    def selected_deal(self) -> str | None:
        return selected_key(self.table)

    async def _assets(self, base_mint: str, quote_mint: str) -> tuple[Asset, Asset]:
        usdc = str((await self.session.base.chain.cluster_info()).usdc_mint)
        return asset_for(base_mint, usdc), asset_for(quote_mint, usdc)

    async def _act(self, button: QPushButton, what: str, work: Callable[[], Awaitable[Any]]) -> Any:
        """Run `work()` with its button disabled; refusals (a watch-only account included) become
        the view's message."""
        button.setEnabled(False)
        self.message.info(f"{what}: waiting for the MXE...")
        try:
            return await work()
        except USER_ERRORS as exc:
            self.message.error(f"{what}: {exc}")
            return None
        finally:
            button.setEnabled(True)

    # ------------------------------------------------------------------ list + select
    @action_slot()
    async def on_refresh(self) -> None:
        try:
            rows = await self.session.deals.list()
        except USER_ERRORS as exc:
            self.message.error(f"cannot list deals: {exc}")
            return
        self.rows = {r.deal: r.to_json() for r in rows}
        ordered = rows[::-1]
        fill_table(self.table, [[short(r.deal), r.status, ROLE_WORDS.get(r.role, r.role), r.num_offers,
                                 time.strftime("%Y-%m-%d %H:%M", time.gmtime(r.expires_at))] for r in ordered],
                   [r.deal for r in ordered])
        await self.on_select()

    @action_slot()
    async def on_select(self) -> None:
        deal = self.selected_deal()
        if deal is None:
            self.snapshot = None
            self.page.clear()
            return
        try:
            view = await self.session.deals.show(Pubkey.from_string(deal))
            base, quote = await self._assets(str(view.fields["base_mint"]), str(view.fields["quote_mint"]))
            now = await self.session.base.chain.unix_time()
        except USER_ERRORS as exc:
            self.page.clear(f"Deal {short(deal)}: {exc}")
            return
        if deal != self.selected_deal():
            return  # the selection moved while reading
        me = self.session.owner
        verdicts = {"offer": offer_verdict(view.fields, now),
                    "crank": crank_verdict(view.fields, view.offers, me, now),
                    "close": close_verdict(view.fields, view.offers, me)}
        self.snapshot = {"deal": deal, "fields": view.fields, "base": base, "quote": quote, "mine": view.mine}
        self.page.show_deal(deal, view.to_json(), view.fields, view.offers, me, base, quote, now, verdicts)

    # ------------------------------------------------------------------ wizards
    @action_slot()
    async def on_new_deal(self) -> None:
        try:
            usdc = str((await self.session.base.chain.cluster_info()).usdc_mint)
            if not self.session.can_trade:   # refused before the wizard opens, with the reason
                _ = self.session.deals
        except USER_ERRORS as exc:
            self.message.error(f"cannot create a deal: {exc}")
            return
        base, quote = asset_for(usdc, usdc), asset_for(usdc, usdc)
        wizard = CreateDealWizard(base, quote, usdc, self)
        # the terms are read as the wizard closes (it is deleted soon after), then sent
        wizard.accepted.connect(lambda: self.on_create(wizard.result_terms(), base, quote))
        self._open(wizard)

    def on_new_offer(self) -> None:
        snap = self.snapshot
        if snap is None:
            self.message.error("select a deal to offer on")
            return
        wizard = OfferWizard(snap["deal"], snap["fields"], snap["base"], snap["quote"], self)
        wizard.accepted.connect(lambda: self.on_offer(snap["deal"], wizard.result_terms(), snap["base"], snap["quote"]))
        self._open(wizard)

    def _open(self, wizard: QWizard) -> None:
        if self.wizard is not None:
            self.wizard.close()
        self.wizard = wizard
        wizard.finished.connect(lambda _r: wizard.deleteLater())
        wizard.open()   # window-modal, no nested event loop

    # ------------------------------------------------------------------ actions
    @action_slot(object, object, object)
    async def on_create(self, terms: DealTerms, base: Asset, quote: Asset) -> None:
        out = await self._act(self.create_button, "create deal", lambda: self.session.deals.create(
            terms.amount, terms.price, terms.expires_in, terms.allow_partial))
        if out is None:
            return
        self.last_created = out.deal
        await self.on_refresh()
        self.table.blockSignals(True)   # one read of the new deal, not two
        select_key(self.table, out.deal)
        self.table.blockSignals(False)
        await self.on_select()
        # said last, so that when it is shown the page already shows the new deal
        self.message.info(f"Deal {short(out.deal)} created: you sell {base.amount(out.amount)} for at least "
                          f"{out.price} {quote.symbol} each (confirmed by the MXE, sealed to you)")

    @action_slot(object, object, object, object)
    async def on_offer(self, deal: str, terms: OfferTerms, base: Asset, quote: Asset) -> None:
        out = await self._act(self.offer_button, "offer", lambda: self.session.deals.offer(
            Pubkey.from_string(deal), terms.amount, terms.price))
        if out is not None:
            await self.on_refresh()
            self.message.info(f"Offer {short(out.offer)} submitted: {base.amount(out.amount)} at up to "
                              f"{out.price} {quote.symbol} each (fill computed under encryption)")

    @action_slot()
    async def on_crank(self) -> None:
        deal, snap = self.selected_deal(), self.snapshot
        if deal is None or snap is None:
            self.message.error("select a deal to settle")
            return
        out = await self._act(self.crank_button, "settle",
                              lambda: self.session.deals.crank(Pubkey.from_string(deal)))
        if out is None:
            return
        text = f"Deal {short(deal)}: {out.status}"
        if out.deal_crank is not None and out.deal_crank.result == "rejected":
            text += " (not fully filled yet: settle again after it expires)"
        if out.offers:
            text += f"; settled {len(out.offers)} offer(s) of yours"
        await self.on_refresh()
        sentences = [s for s in result_sentences(self.snapshot["mine"] if self.snapshot else {},
                                                 snap["base"], snap["quote"]) if "receive" in s or "bought" in s
                     or "not filled" in s or "Nothing was sold" in s]
        self.message.info(text + (". " + " ".join(sentences) if sentences else ""))

    @action_slot()
    async def on_close(self) -> None:
        deal = self.selected_deal()
        if deal is None:
            return
        row = self.rows.get(deal, {})
        if not await self.session.confirm(self, Confirmation(
                "Close deal accounts", "Close my accounts",
                f"Close your settled offers on deal {short(deal)}"
                + (" and the deal itself" if row.get("role") in ("creator", "controller") else "") + ".",
                "Their rent returns to you; closed accounts cannot be read on chain or reopened.")):
            self.message.info(CANCELLED)
            return
        out = await self._act(self.close_button, "close",
                              lambda: self.session.deals.close(Pubkey.from_string(deal)))
        if out is not None:
            await self.on_refresh()
            self.message.info("Closed " + ", ".join(short(k) for k in out.closed) + ": the rent is back in your account")
