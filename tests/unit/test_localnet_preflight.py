"""Preflight in one execution: ``process_transactions(..., preflight=...)`` commits a transaction
only if it succeeds; a failure is returned with its logs and units and changes nothing (no fee,
no status, no history), exactly what simulate-then-execute gave, at half the execution cost.
"""
from __future__ import annotations

import pytest
from solders import system_program as sp
from solders.keypair import Keypair
from solders.message import Message
from solders.transaction import VersionedTransaction

from localnet.bank import Bank

SOL = 10 ** 9
FEE = 5000


@pytest.fixture
def bank(tmp_path):
    b = Bank(tmp_path / "ledger")
    yield b
    b.close()


def transfer_tx(bank: Bank, src: Keypair, dst, lamports: int) -> VersionedTransaction:
    ix = sp.transfer(sp.TransferParams(from_pubkey=src.pubkey(), to_pubkey=dst, lamports=lamports))
    return VersionedTransaction(Message.new_with_blockhash([ix], src.pubkey(), bank.latest_blockhash()[0]), [src])


def balance(bank: Bank, key) -> int:
    acc = bank.get_account(key)
    return 0 if acc is None else acc.lamports


def test_failing_preflighted_tx_changes_nothing_and_reports_like_a_simulation(bank: Bank) -> None:
    alice, bob = Keypair(), Keypair().pubkey()
    bank.airdrop(alice.pubkey(), SOL)
    tx = transfer_tx(bank, alice, bob, 5 * SOL)
    simulated = bank.simulate_transaction(tx)
    result = bank.process_transaction(tx, preflight=True)
    assert result.err == simulated.err == {"InstructionError": [0, {"Custom": 1}]}
    assert result.logs == simulated.logs and any("insufficient lamports" in line for line in result.logs)
    assert result.compute_units_consumed == simulated.compute_units_consumed > 0
    assert not result.recorded
    assert balance(bank, alice.pubkey()) == SOL   # no fee charged
    assert bank.get_signature_statuses([tx.signatures[0]]) == [None]
    assert bank.get_transaction(tx.signatures[0]) is None
    assert [e.signature for e in bank.get_signatures_for_address(alice.pubkey())][0] != tx.signatures[0]
    # without preflight the same failure is recorded and the fee charged (skipPreflight semantics)
    recorded = bank.process_transaction(tx)
    assert recorded.recorded and recorded.err == result.err
    assert balance(bank, alice.pubkey()) == SOL - FEE


def test_successful_preflighted_tx_commits(bank: Bank) -> None:
    alice, bob = Keypair(), Keypair().pubkey()
    bank.airdrop(alice.pubkey(), SOL)
    r = bank.process_transaction(transfer_tx(bank, alice, bob, SOL // 2), preflight=True)
    assert r.err is None and r.recorded
    assert balance(bank, bob) == SOL // 2
    assert bank.get_signature_statuses([r.signature])[0].err is None


def test_batch_runs_in_order_and_refuses_only_the_failures(bank: Bank) -> None:
    alice, carol = Keypair(), Keypair()
    bob = Keypair().pubkey()
    bank.airdrop(alice.pubkey(), SOL)
    fund_carol = transfer_tx(bank, alice, carol.pubkey(), SOL // 2)
    carol_pays = transfer_tx(bank, carol, bob, SOL // 4)               # needs the first one's lamports
    overdraw = transfer_tx(bank, alice, bob, SOL)                      # alice no longer has 1 SOL
    dup = fund_carol                                                   # already in this batch
    results = bank.process_transactions([fund_carol, carol_pays, overdraw, dup], preflight=[True, True, True, True])
    assert [r.recorded for r in results] == [True, True, False, False]
    assert results[2].err == {"InstructionError": [0, {"Custom": 1}]}
    assert results[3].err == "AlreadyProcessed"
    assert balance(bank, alice.pubkey()) == SOL - SOL // 2 - FEE
    assert balance(bank, carol.pubkey()) == SOL // 2 - SOL // 4 - FEE
    assert balance(bank, bob) == SOL // 4
    with pytest.raises(ValueError):
        bank.process_transactions([overdraw], preflight=[True, False])
