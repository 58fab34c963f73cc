"""A real matched order expires unpaid and the seller reclaims it from the Settlement view.

On a warp-enabled cluster of its own (rail, MXE node, payee directory): the seller's window
trades with its *second* account (picked on the Balances tab) and escrows 10 USDC behind an
ask from the form; the buyer bids with a real solvency proof and is matched. Reclaim is not
offered while the record is live; `anomi_warpClock` moves the cluster clock 24 h + 1 s past the
match, the record shows "expired: reclaimable", the seller's Reclaim button sends
reclaim_expired, the escrow returns to the seller's account and the record is Expired."""
from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.gui.gui_trading import GuiWallet, cell, click_primary, offered, profile_for, until, vault_balance
from wallet.core.cluster import rpc_call
from wallet.core.faucet import airdrop_sol, airdrop_usdc
from wallet.core.keystore import KdfParams, Keystore
from wallet.core.trade_events import Reclaimed

DAY = 24 * 3600


def test_expired_order_is_reclaimed_from_the_settlement_view(qtbot, loop, gui_warp_localnet,
                                                              tmp_path: Path) -> None:
    node = gui_warp_localnet
    profile = profile_for(node)
    keystore = Keystore.create(tmp_path / "ks" / "seller.keystore", "gui test pw", words=12,
                               kdf=KdfParams.fresh(1, 8 << 20), backup_confirmed=True)
    seller_addr = keystore.add_derived_account("Desk").address
    seller = GuiWallet(tmp_path, "seller", profile, qtbot, keystore=keystore)
    buyer = GuiWallet(tmp_path, "buyer", profile, qtbot)
    queue = seller.window.queue

    async def scenario() -> None:
        await airdrop_sol(node.rpc_url, keystore.account(seller_addr).pubkey, 10**9)
        await airdrop_usdc(node.rpc_url, keystore.account(seller_addr).pubkey, 10_000_000)
        await buyer.fund()
        await seller.start()
        await buyer.start()
        seller.window.balances.select_address(seller_addr)
        assert seller.session.owner == seller_addr

        # ---- the seller's ask from the form (its second account), the buyer's matching bid
        entry = seller.window.book.entry
        entry.rail.handle_edit.setText("0345-4040404")
        entry.rail.name_edit.setText("Desk")
        entry.rail.open_button.click()
        await until(lambda: "0345-4040404" in entry.rail.account_label.text(), what="seller's rail account")
        vault = await vault_balance(node)
        entry.ask_size.setText("10")
        entry.ask_price.setText("285")
        entry.ask_button.click()
        await until(lambda: "ask placed" in entry.message.text() or "not placed" in entry.message.text(),
                    what="ask placed")
        assert await vault_balance(node) == vault + 10_000_000
        await buyer.session.ctx.open_rail_account("0300-4040405", "Buyer")
        await (await buyer.session.ctx.rail()).top_up(buyer.session.ctx.rail_login(), 5_000_000)
        bid = await buyer.session.ctx.place_bid(28_500, 10_000_000)   # real solvency proof
        assert bid.filled == 10_000_000 and len(bid.matched_order_ids) == 1
        order = bid.matched_order_ids[0]

        await until(lambda: order in queue.records, what="the record in the seller's queue")
        assert queue.select_order(order)
        rec = queue.records[order]
        assert (rec.seller, rec.status, rec.expires_at - rec.matched_at) == (seller_addr, "Pending", DAY)
        assert cell(queue.table, 0, 1) == "seller" and offered(queue) is None

        # ---- 24 h + 1 s later by the cluster's clock
        now = await seller.session.base.chain.unix_time()
        async with aiohttp.ClientSession() as http:
            warped = await rpc_call(http, node.rpc_url, "anomi_warpClock", [rec.expires_at - now + 1])
        assert warped["unixTimestamp"] >= rec.expires_at + 1
        await seller.session.market.refresh()   # (its slow poll would get there too)
        await until(lambda: cell(queue.table, 0, 6) == "expired: reclaimable", what="expired")
        assert offered(queue) == "reclaim" and queue.stepper.is_red()

        click_primary(queue, "reclaim")
        await until(lambda: "reclaim" in queue.message.text(), what="reclaimed")
        assert queue.message.text() == f"reclaimed 10 USDC for seller {seller_addr}", queue.message.text()
        what = seller.confirmations[-1]   # asked first, in USDC (confirm.py)
        assert (what.title, what.action, what.irreversible) == ("Reclaim escrow", "Return 10 USDC", True)
        assert what.summary == f"Return the 10 USDC escrow of expired matched order #{order} to you."
        await until(lambda: cell(queue.table, 0, 2) == "Expired", what="record Expired")
        assert offered(queue) is None and cell(queue.table, 0, 6) == "-"
        assert queue.stepper.headline.text() == "Expired unpaid: the 10 USDC escrow went back to you"
        reclaimed = [e for e in seller.trades if isinstance(e, Reclaimed)]
        assert [(e.owner, e.order_id, e.amount, e.seller) for e in reclaimed] == [
            (seller_addr, order, 10_000_000, seller_addr)]
        assert await seller.session.ctx.chain.token_balance(
            await seller.session.ctx.market.usdc_account(keystore.account(seller_addr).pubkey)) == 10_000_000
        assert await vault_balance(node) == vault and await buyer.usdc() == 0
        await seller.stop()
        await buyer.stop()

    loop.run_until_complete(scenario())
