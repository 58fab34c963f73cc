"""Security issue 10 §5: payee commitments linked a seller's asks; handle reveals were unlimited.

1. Linkability: every ask of one rail account used to carry the same payee commitment, so anyone
   reading the book could group a seller's asks. Now the seller's wallet (``anomi ask``, the code
   under test) commits with a fresh salt per ask: two asks of one seller carry different
   commitments, neither is the rail account's own commitment, and the directory holds an
   opening for each.
2. Reveal rate limit: a thief matched with many asks of one seller (raw transactions on a market
   of his own, one real solvency proof) asks the cluster's payee directory for the handle of every
   order, signing the requests himself. Past the per-seller limit the directory refuses with
   ``rate_limited`` (HTTP 429) and reveals nothing; an order already revealed stays revealable.
"""
from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Iterator

import aiohttp
import pytest
from nacl.public import PrivateKey

from localnet.directory.server import REVEALS_PER_SELLER
from protocol import market_codec as mc
from protocol.attestation import account_commitment
from protocol.payee_directory import (
    DEPOSIT_DOMAIN, REVEAL_DOMAIN, deposit_fields, open_details, reveal_fields, sign)
from protocol.units import fiat_due
from tests.adversarial.market_kit import Kit, ThiefMarket, solvency_proof
from tests.integration.cli_wallets import CliWallet
from tests.integration.localnet_process import LocalnetProcess

PRICE, UNIT, PER_BID = 28_500, 1_000_000, 7
HANDLE = "0345-7000111"


@pytest.fixture(scope="module")
def kit(localnet: LocalnetProcess) -> Iterator[Kit]:
    k = Kit(localnet)
    try:
        yield k
    finally:
        k.close()


def test_two_asks_of_one_seller_carry_unlinkable_commitments(localnet: LocalnetProcess, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANOMI_PASSWORD", "linkability pw")
    monkeypatch.setenv("ANOMI_RPC_URL", localnet.rpc_url)
    monkeypatch.delenv("ANOMI_DIRECTORY_URL", raising=False)
    seller = CliWallet("link-seller", tmp_path)
    address = seller.ok("wallet", "create", "--words", "12")["address"]
    seller.ok("faucet", "--sol", "1", "--usdc", "20")
    opened = seller.ok("rail", "open", "--handle", "0345-7000222", "--name", "Rabia")
    first = seller.ok("ask", "--size", "5", "--price", "900")
    second = seller.ok("ask", "--size", "5", "--price", "901")
    ids = {int(first["order_id"]), int(second["order_id"])}
    kit = Kit(localnet)
    try:
        asks = [o for o in mc.iter_book(kit.data(mc.market_addresses(kit_mint(kit))["asks"])) if o.order_id in ids]
    finally:
        kit.close()
    assert len(asks) == 2 and {str(o.owner) for o in asks} == {address}
    a, b = (int.from_bytes(o.payee_commitment, "big") for o in asks)
    assert a != b, "two asks of one seller carry the same payee commitment: linkable"
    assert int(opened["commitment"]) not in (a, b), "an ask reuses the rail account's own commitment"
    # write-ahead: the wallet kept each ask's opening (handle, salt) in its encrypted keystore
    from protocol.attestation import account_commitment as opens
    from wallet.core.keystore import Keystore
    salts = Keystore.unlock(tmp_path / "link-seller" / "wallets" / "default.keystore", "linkability pw").notes("ask_salts")
    for commitment in (a, b):
        note = salts[str(commitment)]
        assert opens(note["handle"], int(note["salt"])) == commitment and note["handle"] == "0345-7000222"


def kit_mint(kit: Kit):
    from solders.pubkey import Pubkey
    return Pubkey.from_string(kit.node.usdc_mint)


async def post(url: str, body: dict) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=body) as resp:
            return resp.status, await resp.json(content_type=None)


def test_handle_reveals_are_rate_limited_per_seller(kit: Kit) -> None:
    directory = kit.rpc("anomi_clusterInfo")["result"]["directoryUrl"]
    m = ThiefMarket.open(kit, 40)
    matches = REVEALS_PER_SELLER + 1
    seller = m.new_trader(usdc=matches * UNIT)
    salt = 4242
    commitment = account_commitment(HANDLE, salt)
    status, _ = asyncio.run(post(directory + "/v1/payees", sign(
        DEPOSIT_DOMAIN, deposit_fields(seller.pubkey(), HANDLE, salt, "Seller", int(time.time())), seller)))
    assert status == 200
    for chunk in range(0, matches, 10):
        kit.ok([m.ask(seller, PRICE, UNIT, commitment.to_bytes(32, "big")) for _ in range(min(10, matches - chunk))],
               [seller])
    thief = m.new_trader()
    # one rail account backs every bid: each bid proves over what the earlier ones reserved
    due, bids = PER_BID * fiat_due(UNIT, PRICE), -(-matches // PER_BID)
    proofs = [solvency_proof(kit, thief, fiat_due(PER_BID * UNIT, PRICE), balance=bids * due)]
    proofs += [solvency_proof(kit, thief, fiat_due(PER_BID * UNIT, PRICE), login=proofs[0].login, reserved=k * due)
               for k in range(1, bids)]
    for proof in proofs:
        kit.ok([m.bid(thief, PRICE, PER_BID * UNIT, proof)], [thief])
    assert mc.queue_count(m.queue()) == matches
    x25519 = PrivateKey.generate()

    def reveal(order_id: int) -> tuple[int, dict]:
        fields = reveal_fields(m.addr["market"], order_id, thief.pubkey(), bytes(x25519.public_key), int(time.time()))
        return asyncio.run(post(directory + "/v1/reveal", sign(REVEAL_DOMAIN, fields, thief)))

    for order_id in range(REVEALS_PER_SELLER):
        status, body = reveal(order_id)
        assert status == 200, body
        assert open_details(bytes.fromhex(body["sealed"]), bytes(x25519), commitment).handle == HANDLE
    status, body = reveal(REVEALS_PER_SELLER)
    assert status == 429 and body["error"]["code"] == "rate_limited", body
    assert "sealed" not in body and HANDLE not in json.dumps(body)
    assert "try again in" in body["error"]["message"]
    status, body = reveal(0)          # an order already revealed is not a new reveal
    assert status == 200
