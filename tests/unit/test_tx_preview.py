"""tx_preview against a real `anomi localnet up`: the review's figures are the cluster's.

Hypothesis draws ask sizes and prices, on and off the market's rules. For each, the preview of
the very place_ask transaction the wallet would send must not raise; when it fails, its error is
the program's own *named* error, the one the market's rules predict (InvalidPrice, InvalidSize,
OrderValueTooSmall, or the token program's InsufficientFunds), and nothing changed on-chain; when
it succeeds, the simulated changes are the ask's exact effect: USDC -size, SOL -fee. A last test
sends one previewed transaction and compares the preview with the balances after it landed.
"""
from __future__ import annotations

import asyncio
from typing import Iterator

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from solders.keypair import Keypair

from protocol.units import fiat_due
from tests.integration.conftest import localnet  # noqa: F401  (re-exported fixture)
from tests.integration.localnet_process import LocalnetProcess
from wallet.core.chain import Chain
from wallet.core.config import ClusterProfile
from wallet.core.faucet import airdrop_sol, airdrop_usdc
from wallet.core.market_client import MARKET, MIN_ORDER_VALUE_PAISA, MarketClient
from wallet.core.tx import TxSender
from wallet.core.tx_preview import TxPreview, Watched, preview_transaction

HELD_USDC = 50_000_000
COMMITMENT = 0x1234_5678_9ABC   # any non-zero field element: a payee commitment


class Seller:
    def __init__(self, node: LocalnetProcess, loop: asyncio.AbstractEventLoop):
        self.node, self.loop = node, loop
        self.keypair = Keypair()
        self.chain = Chain(ClusterProfile("preview", node.rpc_url, node.ws_url).validated())
        self.market = MarketClient(self.chain)

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    async def setup(self) -> None:
        await airdrop_sol(self.node.rpc_url, self.keypair.pubkey(), 2_000_000_000)
        await airdrop_usdc(self.node.rpc_url, self.keypair.pubkey(), HELD_USDC)
        self.config = await self.market.market_config()
        self.market_constants = {name: c["value"] for name, c in MARKET.constants.items()}
        self.token = await self.market.usdc_account(self.keypair.pubkey())

    async def balances(self) -> tuple[int, int]:
        sol = (await self.chain.client.get_balance(self.keypair.pubkey())).value
        return sol, await self.chain.token_balance(self.token)

    async def ask(self, price: int, size: int) -> tuple[list, TxPreview]:
        ix = await self.market.ask_ix(self.keypair.pubkey(), price, size, COMMITMENT)
        watch = [Watched("SOL", self.keypair.pubkey(), 9), Watched("USDC", self.token, 6, token=True)]
        return [ix], await preview_transaction(self.chain.client, self.node.rpc_url, [ix], [self.keypair], watch)


@pytest.fixture(scope="module")
def seller(localnet: LocalnetProcess) -> Iterator[Seller]:  # noqa: F811
    loop = asyncio.new_event_loop()
    s = Seller(localnet, loop)
    s.run(s.setup())
    yield s
    s.run(s.chain.close())
    loop.close()


def expected_error(config: dict, price: int, size: int) -> str | None:
    """The market program's verdict, in the order it checks (localnet/programs/market/program.py)."""
    if price <= 0 or price % int(config["tick_size"]):
        return "InvalidPrice"
    if size < int(config["min_size"]):
        return "InvalidSize"
    if fiat_due(size, price) < MIN_ORDER_VALUE_PAISA:
        return "OrderValueTooSmall"
    if size > HELD_USDC:
        return "InsufficientFunds"
    return None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.one_of(st.integers(1, 2 * HELD_USDC), st.sampled_from([1, 999, 100_000, 350_000, HELD_USDC])),
       price=st.one_of(st.integers(1, 1_000_000), st.sampled_from([0, 1, 99, 100, 28_500, 28_501])))
def test_preview_never_raises_and_names_the_error(seller: Seller, size: int, price: int) -> None:
    before = seller.run(seller.balances())
    _ixs, preview = seller.run(seller.ask(price, size))
    want = expected_error(seller.config, price, size)
    event(want or "ok")
    if want is None:
        assert preview.error is None, preview.error
        assert preview.delta("USDC") == -size
        assert preview.delta("SOL") == -preview.fee_lamports == -5_000
        assert [c.asset for c in preview.changes] == ["SOL", "USDC"]
        assert preview.changes[1].words().startswith("USDC: -")
    else:
        assert preview.error is not None and preview.changes == []
        assert preview.program_error is not None and preview.program_error.name == want, preview.error
        assert want in preview.error   # in words: the IDL name with its message
    assert seller.run(seller.balances()) == before   # a preview changes nothing


def test_preview_equals_the_landed_change(seller: Seller) -> None:
    price, size = 28_500, 1_000_000
    ixs, preview = seller.run(seller.ask(price, size))
    assert preview.ok, preview.error
    sol0, usdc0 = seller.run(seller.balances())
    seller.run(TxSender(seller.chain.client).send(ixs, [seller.keypair]))
    sol1, usdc1 = seller.run(seller.balances())
    assert (preview.delta("SOL"), preview.delta("USDC")) == (sol1 - sol0, usdc1 - usdc0) == (-5_000, -size)


def test_too_many_open_orders_is_named(localnet: LocalnetProcess) -> None:  # noqa: F811
    """A wallet at the market's per-owner limit of resting asks: the next ask's preview names
    TooManyOpenOrders (a rule the wallet does not pre-check) and nothing moves."""
    loop = asyncio.new_event_loop()
    s = Seller(localnet, loop)
    try:
        s.run(s.setup())
        limit = int(s.market_constants["MAX_ORDERS_PER_OWNER"])
        sender = TxSender(s.chain.client)
        for i in range(limit):   # distinct prices: 32 resting asks of 1 USDC
            ixs, preview = s.run(s.ask(30_000 + 100 * i, 1_000_000))
            assert preview.ok, preview.error
            s.run(sender.send(ixs, [s.keypair]))
        before = s.run(s.balances())
        _ixs, preview = s.run(s.ask(40_000, 1_000_000))
        assert preview.program_error is not None and preview.program_error.name == "TooManyOpenOrders"
        assert "TooManyOpenOrders: This wallet already has the maximum number of resting orders" in preview.error
        assert s.run(s.balances()) == before
    finally:
        s.run(s.chain.close())
        loop.close()


def test_unreachable_cluster_is_said_not_raised(seller: Seller) -> None:
    async def go() -> TxPreview:
        from solana.rpc.async_api import AsyncClient
        async with AsyncClient("http://127.0.0.1:9") as dead:
            return await preview_transaction(dead, "http://127.0.0.1:9", [], [seller.keypair], [])
    preview = seller.run(go())
    assert preview.error is not None and "unreachable" in preview.error and preview.changes == []
