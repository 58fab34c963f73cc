"""market.init_market through the real executor: it writes exactly what genesis writes, and refuses
a second init and bad parameters without changing anything.

Why: genesis (localnet/programs/market/genesis.py) writes the USDC market directly instead of
running init_market, and claims its bytes are what init_market would write. This runs
init_market for a fresh mint (client-created zeroed books, as on a real cluster, here at the
genesis book PDAs so the addresses agree) and compares every account it creates.
"""
from __future__ import annotations

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from localnet.programs.market.genesis import MAX_ATTESTATION_AGE, MIN_SIZE, TICK_SIZE, market_accounts
from protocol import market_codec as mc
from protocol.program_ids import MARKET_PROGRAM_ID, ORDER_STORE_PROGRAM_ID, SYSTEM_PROGRAM_ID, TOKEN_PROGRAM_ID
from tests.unit.test_market_programs import E, PAYEE, PRICE, SIZE, bid, pay, refused, vault
from tests.unit.zkp2p_harness import MARKET, RENT, Ledger, mint_bytes

CAPACITY = 8
CREATED = ("market", "bids", "asks", "vault", "settlement_queue")
PARAMS = {"tick_size": TICK_SIZE, "min_size": MIN_SIZE, "max_attestation_age": MAX_ATTESTATION_AGE}


def fresh_market(L: Ledger) -> tuple[Pubkey, dict]:
    """A new USDC-like mint and two zeroed Market-owned book accounts for its market."""
    mint = Pubkey.new_unique()
    L.put(mint, TOKEN_PROGRAM_ID, mint_bytes(L.mint_authority.pubkey()))
    a = mc.market_addresses(mint)
    book_len = len(mc.new_book(a["market"], mc.SIDE_BID, CAPACITY))
    for side in ("bids", "asks"):
        L.put(a[side], MARKET_PROGRAM_ID, bytes(book_len))
    return mint, a


def init_ix(admin: Keypair, a: dict, params: dict | None = None, **override: Pubkey):
    accounts = {**a, "admin": admin.pubkey(), "order_store_program": ORDER_STORE_PROGRAM_ID,
                "token_program": TOKEN_PROGRAM_ID, "system_program": SYSTEM_PROGRAM_ID, **override}
    return MARKET.instruction("init_market", params or PARAMS, accounts)


@pytest.fixture()
def L() -> Ledger:
    return Ledger(book_capacity=CAPACITY)


def test_init_market_writes_exactly_what_genesis_writes(L: Ledger) -> None:
    mint, a = fresh_market(L)
    admin, _ = L.new_user()
    for name in ("market", "vault", "settlement_queue"):
        assert a[name] not in L.accounts
    r = L.send([init_ix(admin, a)], [admin])
    assert r.err is None, r.logs
    genesis = {key: (owner, data) for key, owner, data in market_accounts(mint, L.notary_keys, CAPACITY,
                                                                          admin=admin.pubkey())}
    for name in CREATED:
        got = L.accounts[a[name]]
        assert (got.owner, got.data) == genesis[a[name]], name
        assert got.lamports == RENT.minimum_balance(len(got.data)), name
    # the genesis market itself differs only in having no admin
    default = {key: data for key, _o, data in market_accounts(L.mint, L.notary_keys, CAPACITY)}
    assert default[L.addr["market"]] == L.data(L.addr["market"])
    assert MARKET.decode_account("Market", L.data(a["market"]))["admin"] == admin.pubkey()


def test_a_market_made_by_init_market_trades(L: Ledger) -> None:
    """The seed flow on the new market: ask escrowed, bid matched, payment finalized."""
    mint, a = fresh_market(L)
    admin, _ = L.new_user()
    assert L.send([init_ix(admin, a)], [admin]).err is None
    L.mint, L.addr = mint, {**L.addr, **a}
    seller, stok = L.new_user(SIZE)
    buyer, btok = L.new_user()
    assert L.send([L.ask(seller, stok, PRICE, SIZE, PAYEE)], [seller]).err is None and vault(L) == SIZE
    assert bid(L, buyer).err is None
    assert L.send([L.finalize(buyer, 0, (9).to_bytes(32, "big"), pay(L, 0, 9), btok)], [buyer]).err is None
    assert L.token_balance(btok) == SIZE and vault(L) == 0 and L.queue()["records"][0]["status"] == "Settled"


def test_second_init_is_refused(L: Ledger) -> None:
    mint, a = fresh_market(L)
    admin, _ = L.new_user()
    assert L.send([init_ix(admin, a)], [admin]).err is None
    other, _ = L.new_user()
    refused(L, [init_ix(other, a, {**PARAMS, "tick_size": 5})], [other], E["MarketAlreadyInitialized"])
    # the genesis market cannot be re-initialized either
    g = {**L.addr, "base_mint": L.mint}
    refused(L, [init_ix(other, g)], [other], E["MarketAlreadyInitialized"])


@pytest.mark.parametrize("params", [
    {**PARAMS, "tick_size": 0}, {**PARAMS, "min_size": 0}, {**PARAMS, "max_attestation_age": 0},
    {**PARAMS, "max_attestation_age": -1},
])
def test_bad_parameters_are_refused(L: Ledger, params: dict) -> None:
    _mint, a = fresh_market(L)
    admin, _ = L.new_user()
    refused(L, [init_ix(admin, a, params)], [admin], E["InvalidConfig"])


def test_bad_accounts_are_refused(L: Ledger) -> None:
    mint, a = fresh_market(L)
    admin, _ = L.new_user()
    not_a_mint = Pubkey.new_unique()
    L.put(not_a_mint, SYSTEM_PROGRAM_ID, b"")
    refused(L, [init_ix(admin, {**a, **mc.market_addresses(not_a_mint)}, base_mint=not_a_mint)], [admin],
            E["InvalidConfig"])
    refused(L, [init_ix(admin, a, market=Pubkey.new_unique())], [admin], E["AccountMismatch"])
    refused(L, [init_ix(admin, a, asks=a["bids"])], [admin], E["InvalidBookAccount"])      # one book for both sides
    dirty = bytearray(L.data(a["asks"]))
    dirty[0] = 1
    L.put(a["asks"], MARKET_PROGRAM_ID, bytes(dirty))
    refused(L, [init_ix(admin, a)], [admin], E["InvalidBookAccount"])                        # not zeroed
    L.put(a["asks"], SYSTEM_PROGRAM_ID, bytes(len(dirty)))
    refused(L, [init_ix(admin, a)], [admin], E["InvalidBookAccount"])                        # not Market-owned
    L.put(a["asks"], MARKET_PROGRAM_ID, bytes(len(dirty)))
    refused(L, [init_ix(admin, a, solvency_vk=L.addr["payment_vk"])], [admin], E["InvalidVerifyingKey"])
    assert L.send([init_ix(admin, a)], [admin]).err is None                                 # now it is fine
