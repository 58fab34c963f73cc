"""The Bank end to end, in-process: real solders transactions, real signatures, real SQLite."""
from __future__ import annotations

import json
import os
import stat

import pytest
from solders.compute_budget import set_compute_unit_limit
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders import system_program as sp
from solders.transaction import VersionedTransaction
from spl.token import instructions as ti
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.models import (
    ApproveParams, BurnParams, CloseAccountParams, InitializeAccount3Params, InitializeMint2Params, MintToParams,
    RevokeParams, TransferCheckedParams, TransferParams,
)

from localnet.bank import AccountEvent, Bank, SlotEvent, TransactionEvent
from localnet.programs.token_state import Mint, TokenAccount

MEMO_ID = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")


@pytest.fixture
def bank(tmp_path):
    b = Bank(tmp_path / "ledger")
    yield b
    b.close()


def send(bank: Bank, ixs, payer: Keypair, *signers: Keypair, blockhash: Hash | None = None):
    bh = blockhash or bank.latest_blockhash()[0]
    msg = Message.new_with_blockhash(ixs, payer.pubkey(), bh)
    return bank.process_transaction(VersionedTransaction(msg, [payer, *signers]))


def funded(bank: Bank, lamports: int = 10**10) -> Keypair:
    kp = Keypair()
    assert bank.airdrop(kp.pubkey(), lamports).err is None
    return kp


def token_amount(bank: Bank, acct: Pubkey) -> int:
    return TokenAccount.unpack_unchecked(bank.get_account(acct).data).amount


def test_genesis_faucet_key_file_and_usdc_mint(bank, tmp_path):
    path = tmp_path / "ledger" / "faucet.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert Keypair.from_bytes(bytes(json.loads(path.read_text()))).pubkey() == bank.faucet.pubkey()
    mint = Mint.unpack_unchecked(bank.get_account(bank.usdc_mint).data)
    assert (mint.decimals, mint.mint_authority, mint.is_initialized) == (6, bank.faucet.pubkey(), True)
    token_prog = bank.get_account(TOKEN_PROGRAM_ID)
    assert token_prog.executable and str(token_prog.owner).startswith("BPFLoader2")
    assert bank.get_account(sp.ID).owner == Pubkey.from_string("NativeLoader1111111111111111111111111111111")


def test_sol_transfer_charges_fee_and_moves_lamports(bank):
    alice, bob = funded(bank), Keypair()
    r = send(bank, [sp.transfer(sp.TransferParams(from_pubkey=alice.pubkey(), to_pubkey=bob.pubkey(),
                                                  lamports=5_000_000))], alice)
    assert r.err is None and r.recorded and r.fee == 5000
    assert r.logs == ["Program 11111111111111111111111111111111 invoke [1]",
                      "Program 11111111111111111111111111111111 success"]
    assert r.compute_units_consumed == 150
    assert bank.get_account(bob.pubkey()).lamports == 5_000_000
    assert bank.get_account(alice.pubkey()).lamports == 10**10 - 5_000_000 - 5000
    assert r.pre_balances[0] - r.post_balances[0] == 5_005_000
    status = bank.get_signature_statuses([r.signature, Signature.default()])
    assert status[0].err is None and status[0].slot == bank.slot and status[1] is None
    stored = bank.get_transaction(r.signature)
    assert stored.meta["fee"] == 5000 and stored.meta["logMessages"] == r.logs and stored.version == "legacy"
    assert VersionedTransaction.from_bytes(stored.tx_bytes).signatures[0] == r.signature


def test_usdc_mint_ata_mint_to_transfer_with_spl_client(bank):
    alice, bob = funded(bank), Keypair()
    mint = Keypair()
    rent = bank.minimum_balance(82)
    r = send(bank, [
        sp.create_account(sp.CreateAccountParams(from_pubkey=alice.pubkey(), to_pubkey=mint.pubkey(),
                                                 lamports=rent, space=82, owner=TOKEN_PROGRAM_ID)),
        ti.initialize_mint2(InitializeMint2Params(program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), decimals=6,
                                                  mint_authority=alice.pubkey(), freeze_authority=None)),
    ], alice, mint)
    assert r.err is None, r.logs
    ata_a = ti.get_associated_token_address(alice.pubkey(), mint.pubkey())
    ata_b = ti.get_associated_token_address(bob.pubkey(), mint.pubkey())
    r = send(bank, [ti.create_associated_token_account(alice.pubkey(), alice.pubkey(), mint.pubkey()),
                    ti.create_idempotent_associated_token_account(alice.pubkey(), bob.pubkey(), mint.pubkey()),
                    ti.mint_to(MintToParams(program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), dest=ata_a,
                                            mint_authority=alice.pubkey(), amount=5_000_000))], alice)
    assert r.err is None, r.logs
    assert "Program log: Create" in r.logs and "Program log: Instruction: MintTo" in r.logs
    assert bank.get_account(ata_a).lamports == 2_039_280
    r = send(bank, [ti.transfer(TransferParams(program_id=TOKEN_PROGRAM_ID, source=ata_a, dest=ata_b,
                                               owner=alice.pubkey(), amount=1_250_000))], alice)
    assert r.err is None
    assert r.logs[1] == "Program log: Instruction: Transfer"
    assert r.logs[2] == "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA consumed 4645 of 200000 compute units"
    assert r.compute_units_consumed == 4645
    assert (token_amount(bank, ata_a), token_amount(bank, ata_b)) == (3_750_000, 1_250_000)
    post = {b["owner"]: b for b in r.post_token_balances}
    assert post[str(bob.pubkey())]["uiTokenAmount"] == {"amount": "1250000", "decimals": 6, "uiAmount": 1.25,
                                                         "uiAmountString": "1.25"}
    assert post[str(bob.pubkey())]["mint"] == str(mint.pubkey())
    # transfer_checked with wrong decimals, then approve/burn/revoke/close
    r = send(bank, [ti.transfer_checked(TransferCheckedParams(program_id=TOKEN_PROGRAM_ID, source=ata_a,
                                                              mint=mint.pubkey(), dest=ata_b, owner=alice.pubkey(),
                                                              amount=1, decimals=2))], alice)
    assert r.err == {"InstructionError": [0, {"Custom": 18}]}
    assert "Program log: Error: decimals different from the Mint decimals" in r.logs
    r = send(bank, [ti.approve(ApproveParams(program_id=TOKEN_PROGRAM_ID, source=ata_b, delegate=alice.pubkey(),
                                             owner=bob.pubkey(), amount=10)),
                    ti.burn(BurnParams(program_id=TOKEN_PROGRAM_ID, account=ata_b, mint=mint.pubkey(),
                                       owner=bob.pubkey(), amount=1_250_000)),
                    ti.revoke(RevokeParams(program_id=TOKEN_PROGRAM_ID, account=ata_b, owner=bob.pubkey())),
                    ti.close_account(CloseAccountParams(program_id=TOKEN_PROGRAM_ID, account=ata_b,
                                                        dest=bob.pubkey(), owner=bob.pubkey()))], alice, bob)
    assert r.err is None, r.logs
    assert bank.get_account(ata_b) is None
    assert bank.get_account(bob.pubkey()).lamports == 2_039_280
    assert Mint.unpack_unchecked(bank.get_account(mint.pubkey()).data).supply == 3_750_000


def test_initialize_account3_on_fresh_account_and_owner_mismatch(bank):
    alice, eve = funded(bank), funded(bank)
    acct = Keypair()
    r = send(bank, [sp.create_account(sp.CreateAccountParams(from_pubkey=alice.pubkey(), to_pubkey=acct.pubkey(),
                                                             lamports=bank.minimum_balance(165), space=165,
                                                             owner=TOKEN_PROGRAM_ID)),
                    ti.initialize_account3(InitializeAccount3Params(program_id=TOKEN_PROGRAM_ID,
                                                                    account=acct.pubkey(), mint=bank.usdc_mint,
                                                                    owner=alice.pubkey()))], alice, acct)
    assert r.err is None, r.logs
    assert bank.faucet_token(alice.pubkey(), 100).err is None
    ata = ti.get_associated_token_address(alice.pubkey(), bank.usdc_mint)
    r = send(bank, [ti.transfer(TransferParams(program_id=TOKEN_PROGRAM_ID, source=ata, dest=acct.pubkey(),
                                               owner=eve.pubkey(), amount=1))], eve)
    assert r.err == {"InstructionError": [0, {"Custom": 4}]}
    assert "Program log: Error: owner does not match" in r.logs


def test_failing_transaction_changes_nothing_but_the_fee(bank):
    alice, bob = funded(bank), Keypair()
    before = bank.get_account(alice.pubkey()).lamports
    r = send(bank, [sp.transfer(sp.TransferParams(from_pubkey=alice.pubkey(), to_pubkey=bob.pubkey(), lamports=10**6)),
                    sp.transfer(sp.TransferParams(from_pubkey=alice.pubkey(), to_pubkey=bob.pubkey(),
                                                  lamports=10**16))], alice)
    assert r.err == {"InstructionError": [1, {"Custom": 1}]}
    assert f"Transfer: insufficient lamports {before - 5000 - 10**6}, need {10**16}" in r.logs
    assert r.logs[-1] == "Program 11111111111111111111111111111111 failed: custom program error: 0x1"
    assert bank.get_account(bob.pubkey()) is None
    assert bank.get_account(alice.pubkey()).lamports == before - 5000
    assert r.recorded and bank.get_signature_statuses([r.signature])[0].err == r.err


def test_rent_exempt_minimum_for_new_accounts(bank):
    alice = funded(bank)
    r = send(bank, [sp.transfer(sp.TransferParams(from_pubkey=alice.pubkey(), to_pubkey=Keypair().pubkey(),
                                                  lamports=100))], alice)
    assert r.err == {"InsufficientFundsForRent": {"account_index": 1}}


def test_refusals_before_execution_are_not_recorded(bank):
    alice, bob = funded(bank), Keypair()
    ix = sp.transfer(sp.TransferParams(from_pubkey=alice.pubkey(), to_pubkey=bob.pubkey(), lamports=10**6))
    bh = bank.latest_blockhash()[0]
    msg = Message.new_with_blockhash([ix], alice.pubkey(), bh)
    good = VersionedTransaction(msg, [alice])
    forged = VersionedTransaction.populate(msg, [Keypair().sign_message(bytes(msg))])
    r = bank.process_transaction(forged)
    assert (r.err, r.recorded) == ("SignatureFailure", False)
    r = bank.process_transaction(VersionedTransaction(Message.new_with_blockhash([ix], alice.pubkey(), Hash.new_unique()), [alice]))
    assert r.err == "BlockhashNotFound"
    assert bank.process_transaction(good).err is None
    assert bank.process_transaction(good).err == "AlreadyProcessed"
    big = Instruction(MEMO_ID, b"x" * 1200, [])
    r = bank.process_transaction(VersionedTransaction(Message.new_with_blockhash([big], alice.pubkey(), bh), [alice]))
    assert r.err == "SanitizeFailure" and "too large" in r.detail
    poor = Keypair()
    r = send(bank, [sp.transfer(sp.TransferParams(from_pubkey=poor.pubkey(), to_pubkey=bob.pubkey(), lamports=1))], poor)
    assert r.err == "AccountNotFound"
    assert bank.get_account(alice.pubkey()).lamports == 10**10 - 10**6 - 5000
    assert bank.get_signature_statuses([forged.signatures[0]]) == [None]


def test_blockhash_expires_after_150_slots(bank):
    alice = funded(bank)
    old, last_valid = bank.latest_blockhash()
    assert last_valid == bank.block_height + 150
    for _ in range(150):
        bank.advance_slot()
    assert bank.is_blockhash_valid(old)
    bank.advance_slot()
    assert not bank.is_blockhash_valid(old)
    r = send(bank, [sp.transfer(sp.TransferParams(from_pubkey=alice.pubkey(), to_pubkey=Keypair().pubkey(),
                                                  lamports=10**6))], alice, blockhash=old)
    assert r.err == "BlockhashNotFound"


def test_v0_message_and_compute_budget_and_memo(bank):
    alice = funded(bank)
    bh = bank.latest_blockhash()[0]
    memo = Instruction(MEMO_ID, "héllo".encode(), [])
    msg = MessageV0.try_compile(alice.pubkey(), [set_compute_unit_limit(50_000), memo], [], bh)
    r = bank.process_transaction(VersionedTransaction(msg, [alice]))
    assert r.err is None, r.logs
    assert 'Program log: Memo (len 6): "héllo"' in r.logs
    assert f"Program {MEMO_ID} consumed" in r.logs[-2] and r.logs[-2].endswith("of 49850 compute units")
    assert bank.get_transaction(r.signature).version == 0
    r = send(bank, [Instruction(MEMO_ID, b"\xff\xfe", [])], alice)
    assert r.err == {"InstructionError": [0, "InvalidInstructionData"]}


def test_restart_keeps_state_and_signatures(tmp_path):
    bank = Bank(tmp_path / "l")
    alice = funded(bank)
    r = bank.faucet_token(alice.pubkey(), 42)
    bank.advance_slot()
    slot, mint, bh = bank.slot, bank.usdc_mint, bank.latest_blockhash()
    bank.close()
    bank = Bank(tmp_path / "l")
    try:
        assert (bank.slot, bank.usdc_mint, bank.latest_blockhash()) == (slot, mint, bh)
        ata = ti.get_associated_token_address(alice.pubkey(), mint)
        assert token_amount(bank, ata) == 42
        assert bank.get_signature_statuses([r.signature])[0].err is None
        assert bank.get_transaction(r.signature).slot == slot - 1
        assert [k for k, _ in bank.get_program_accounts(TOKEN_PROGRAM_ID, data_size=165,
                                                         memcmp=[(32, bytes(alice.pubkey()))])] == [ata]
    finally:
        bank.close()
    fresh = Bank(tmp_path / "l", reset=True)
    try:
        assert fresh.usdc_mint != mint and fresh.get_account(alice.pubkey()) is None
    finally:
        fresh.close()


def test_batch_listeners_and_simulation(bank):
    alice, bob = funded(bank), Keypair()
    events = []
    bank.add_listener(events.append)
    bh = bank.latest_blockhash()[0]
    txs = [VersionedTransaction(Message.new_with_blockhash(
        [sp.transfer(sp.TransferParams(from_pubkey=alice.pubkey(), to_pubkey=bob.pubkey(), lamports=10**6 + i))],
        alice.pubkey(), bh), [alice]) for i in range(5)]
    sim = bank.simulate_transaction(txs[0], accounts=[bob.pubkey()])
    assert sim.err is None and not sim.recorded and sim.accounts[0].lamports == 10**6
    assert bank.get_account(bob.pubkey()) is None
    results = bank.process_transactions(txs)
    assert [r.err for r in results] == [None] * 5
    assert bank.get_account(bob.pubkey()).lamports == 5 * 10**6 + 10
    kinds = {type(e) for e in events}
    assert {AccountEvent, TransactionEvent} <= kinds
    tx_events = [e for e in events if isinstance(e, TransactionEvent)]
    assert len(tx_events) == 5 and bob.pubkey() in tx_events[0].mentioned
    bank.advance_slot()
    assert isinstance(events[-1], SlotEvent) and events[-1].slot == bank.slot
    before = bank.unix_timestamp
    bank.warp_clock(86_400)
    assert bank.unix_timestamp >= before + 86_400


def test_token_authorities_freeze_and_legacy_initializers(bank):
    from spl.token.instructions import AuthorityType, freeze_account, initialize_account, initialize_mint, \
        set_authority, thaw_account
    from spl.token.models import (FreezeAccountParams, InitializeAccountParams, InitializeMintParams,
                                  SetAuthorityParams, ThawAccountParams)

    alice, bob = funded(bank), funded(bank)
    mint, acct = Keypair(), Keypair()
    r = send(bank, [
        sp.create_account(sp.CreateAccountParams(from_pubkey=alice.pubkey(), to_pubkey=mint.pubkey(),
                                                 lamports=bank.minimum_balance(82), space=82, owner=TOKEN_PROGRAM_ID)),
        initialize_mint(InitializeMintParams(program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), decimals=2,
                                             mint_authority=alice.pubkey(), freeze_authority=alice.pubkey())),
        sp.create_account(sp.CreateAccountParams(from_pubkey=alice.pubkey(), to_pubkey=acct.pubkey(),
                                                 lamports=bank.minimum_balance(165), space=165,
                                                 owner=TOKEN_PROGRAM_ID)),
        initialize_account(InitializeAccountParams(program_id=TOKEN_PROGRAM_ID, account=acct.pubkey(),
                                                   mint=mint.pubkey(), owner=alice.pubkey())),
        ti.mint_to(MintToParams(program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), dest=acct.pubkey(),
                                mint_authority=alice.pubkey(), amount=500)),
    ], alice, mint, acct)
    assert r.err is None, r.logs
    r = send(bank, [freeze_account(FreezeAccountParams(program_id=TOKEN_PROGRAM_ID, account=acct.pubkey(),
                                                       mint=mint.pubkey(), authority=alice.pubkey()))], alice)
    assert r.err is None, r.logs
    assert TokenAccount.unpack_unchecked(bank.get_account(acct.pubkey()).data).state == 2
    r = send(bank, [ti.burn(BurnParams(program_id=TOKEN_PROGRAM_ID, account=acct.pubkey(), mint=mint.pubkey(),
                                       owner=alice.pubkey(), amount=1))], alice)
    assert r.err == {"InstructionError": [0, {"Custom": 17}]} and "Program log: Error: Account is frozen" in r.logs
    r = send(bank, [thaw_account(ThawAccountParams(program_id=TOKEN_PROGRAM_ID, account=acct.pubkey(),
                                                   mint=mint.pubkey(), authority=alice.pubkey())),
                    set_authority(SetAuthorityParams(program_id=TOKEN_PROGRAM_ID, account=acct.pubkey(),
                                                     authority=AuthorityType.ACCOUNT_OWNER,
                                                     current_authority=alice.pubkey(), new_authority=bob.pubkey())),
                    set_authority(SetAuthorityParams(program_id=TOKEN_PROGRAM_ID, account=mint.pubkey(),
                                                     authority=AuthorityType.MINT_TOKENS,
                                                     current_authority=alice.pubkey(), new_authority=None))], alice)
    assert r.err is None, r.logs
    assert TokenAccount.unpack_unchecked(bank.get_account(acct.pubkey()).data).owner == bob.pubkey()
    r = send(bank, [ti.mint_to(MintToParams(program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), dest=acct.pubkey(),
                                            mint_authority=alice.pubkey(), amount=1))], alice)
    assert r.err == {"InstructionError": [0, {"Custom": 5}]}
    r = send(bank, [Instruction(TOKEN_PROGRAM_ID, bytes([99]), [])], alice)
    assert r.err == {"InstructionError": [0, {"Custom": 12}]} and "Program log: Error: Invalid instruction" in r.logs
    r = send(bank, [ti.create_associated_token_account(alice.pubkey(), alice.pubkey(), mint.pubkey()),
                    ti.create_associated_token_account(alice.pubkey(), alice.pubkey(), mint.pubkey())], alice)
    assert r.err == {"InstructionError": [1, "IllegalOwner"]}
