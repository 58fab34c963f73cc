"""Genesis state of the zk-p2p programs: the USDC market, its books, vault and queue, the
attester registry and the two verifying keys.

Why written at genesis (seed 000's initial state: "Market Program deployed, its order book is
empty; OrderStore's PDA for the market is empty"): a newcomer's cluster must be ready to trade
with no admin step. The Market, books, vault and queue bytes are exactly what ``init_market``
writes for the same mint, books and parameters, with the default key as admin (checked by
tests/unit/test_market_init.py, which runs init_market through the executor). Books larger than
a CPI may allocate are client-created zeroed accounts on a real cluster; here genesis creates
them at PDAs under the Market. The notary key is the fiat rail's: ``<ledger>/rails/notary.key``, created
by whichever of genesis and the rail runs first (localnet.rails.notary.notary_public_key).
Verifying keys come from resources/circuits/<circuit>/verification_key.json; if an artifact is
missing its account is not written and bids/finalize fail with InvalidVerifyingKey.
"""
from __future__ import annotations

from pathlib import Path

from solders.pubkey import Pubkey

from localnet.programs.groth16.keys import load_verifying_key
from protocol import market_codec as mc
from protocol import market_pdas as pdas
from protocol.attestation import notary_key_hash
from protocol.idl import load_idl
from protocol.program_ids import MARKET_PROGRAM_ID, ORDER_PROCESSOR_PROGRAM_ID, ORDER_STORE_PROGRAM_ID, TOKEN_PROGRAM_ID
from protocol.units import SETTLEMENT_WINDOW_SECONDS

MARKET_IDL = load_idl("market")
STORE_IDL = load_idl("order_store")
PROCESSOR_IDL = load_idl("order_processor")
TICK_SIZE = 1                   # one paisa per USDC
MIN_SIZE = 1_000_000            # 1 USDC (with the program's 100 PKR minimum value: each order slot costs its owner)
MAX_ATTESTATION_AGE = 24 * 60 * 60
QUEUE_INITIAL_RECORDS = 16


def notary_dir(ledger_dir: Path) -> Path:
    return Path(ledger_dir) / "rails"


def registry_bytes(notary_keys: list[tuple[int, int]]) -> bytes:
    attesters = [{"key_hash": notary_key_hash(k).to_bytes(32, "big"), "ax": k[0].to_bytes(32, "big"),
                  "ay": k[1].to_bytes(32, "big")} for k in notary_keys]
    return MARKET_IDL.encode_account("AttesterRegistry", {"admin": Pubkey.default(), "attesters": attesters})


def vault_bytes(mint: Pubkey, owner: Pubkey) -> bytes:
    """An initialized SPL token account (165 bytes) holding 0."""
    data = bytearray(165)
    data[0:32] = bytes(mint)
    data[32:64] = bytes(owner)
    data[108] = 1  # AccountState::Initialized
    return bytes(data)


def market_accounts(base_mint: Pubkey, notary_keys: list[tuple[int, int]],
                    book_capacity: int = mc.GENESIS_BOOK_CAPACITY,
                    circuits_dir: Path | None = None, *,
                    admin: Pubkey = Pubkey.default()) -> list[tuple[Pubkey, Pubkey, bytes]]:
    """(address, owner, data) of every zk-p2p genesis account. ``admin`` is the key init_market
    records as the payer; the genesis market has none (the default key)."""
    a = mc.market_addresses(base_mint)
    market_key = a["market"]
    market = {"admin": admin, "base_mint": base_mint, "vault": a["vault"], "bids": a["bids"],
              "asks": a["asks"], "settlement_queue": a["settlement_queue"],
              "attester_registry": a["attester_registry"], "solvency_vk": a["solvency_vk"],
              "tick_size": TICK_SIZE, "min_size": MIN_SIZE, "max_attestation_age": MAX_ATTESTATION_AGE,
              "settlement_window": SETTLEMENT_WINDOW_SECONDS, "next_seq": 1,
              "bump": pdas.market(base_mint)[1], "authority_bump": pdas.market_authority(market_key)[1],
              "vault_bump": pdas.vault(market_key)[1]}
    queue = bytearray(mc.queue_len(QUEUE_INITIAL_RECORDS))
    header = STORE_IDL.encode_account("SettlementQueue", {
        "market": market_key, "authority": a["market_authority"],
        "bump": pdas.settlement_queue(market_key)[1], "base_order_id": 0, "records": []})
    queue[:len(header)] = header
    out = [
        (market_key, MARKET_PROGRAM_ID, MARKET_IDL.encode_account("Market", market)),
        (a["bids"], MARKET_PROGRAM_ID, bytes(mc.new_book(market_key, mc.SIDE_BID, book_capacity))),
        (a["asks"], MARKET_PROGRAM_ID, bytes(mc.new_book(market_key, mc.SIDE_ASK, book_capacity))),
        (a["vault"], TOKEN_PROGRAM_ID, vault_bytes(base_mint, a["market_authority"])),
        (a["settlement_queue"], ORDER_STORE_PROGRAM_ID, bytes(queue)),
        (a["attester_registry"], MARKET_PROGRAM_ID, registry_bytes(notary_keys)),
    ]
    kwargs = {} if circuits_dir is None else {"circuits_dir": circuits_dir}
    for circuit, key, owner, idl in (("solvency", a["solvency_vk"], MARKET_PROGRAM_ID, MARKET_IDL),
                                     ("payment", a["payment_vk"], ORDER_PROCESSOR_PROGRAM_ID, PROCESSOR_IDL)):
        try:
            vk = load_verifying_key(circuit, **kwargs)
        except FileNotFoundError:
            continue
        out.append((key, owner, idl.encode_account("VerifyingKey", vk)))
    return out


def genesis_hook(builder, ledger_dir: Path) -> None:
    """GENESIS_HOOKS entry: the zk-p2p market for the cluster's USDC mint."""
    from localnet.rails.notary import notary_public_key

    keys = [notary_public_key(notary_dir(ledger_dir))]
    for address, owner, data in market_accounts(builder.usdc_mint, keys):
        builder.add_account(address, owner=owner, data=data)


__all__ = ["genesis_hook", "market_accounts"]
