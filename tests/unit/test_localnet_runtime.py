"""Runtime rules exercised through small test-only programs registered in an in-process Bank:
account-change rules, CPI with PDA signers, privilege escalation, depth and reentrancy,
compute exhaustion, return data, events and error/log shapes."""
from __future__ import annotations

import base64

import pytest
from solders.compute_budget import set_compute_unit_limit
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders import system_program as sp
from solders.transaction import VersionedTransaction

from localnet.bank import Bank
from localnet.runtime.program_api import ProgramError

PROG_A = Pubkey.from_string("TestProgA1111111111111111111111111111111111")
PROG_B = Pubkey.from_string("TestProgB1111111111111111111111111111111111")
SYSTEM = sp.ID


def _transfer_ix(frm: Pubkey, to: Pubkey, lamports: int) -> Instruction:
    return Instruction(SYSTEM, (2).to_bytes(4, "little") + lamports.to_bytes(8, "little"),
                       [AccountMeta(frm, True, True), AccountMeta(to, False, True)])


class ProgA:
    """data[0] selects a behaviour; see each branch."""

    program_id = PROG_A

    def process_instruction(self, ctx, accounts, data: bytes) -> None:
        op = data[0]
        if op == 0:      # change the first data byte of accounts[0]
            accounts[0].data[0] = (accounts[0].data[0] + 1) % 256 if accounts[0].data else 1
        elif op == 1:    # move 1 lamport from accounts[0] to accounts[1]
            accounts[0].lamports -= 1
            accounts[1].lamports += 1
        elif op == 2:    # mint a lamport out of thin air
            accounts[0].lamports += 1
        elif op == 3:    # hand an account with data to another owner
            accounts[0].owner = PROG_B
        elif op == 4:    # transfer from a PDA by invoke_signed; data[1] = bump, data[2:] = seed
            seed, bump = bytes(data[2:]), data[1]
            ctx.invoke_signed(_transfer_ix(accounts[0].key, accounts[1].key, 1000), accounts,
                              [[seed, bytes([bump])]])
        elif op == 5:    # CPI that marks a read-only account writable
            ctx.invoke(_transfer_ix(accounts[0].key, accounts[1].key, 1), accounts)
        elif op == 6:    # recurse into itself data[1] more times
            if data[1]:
                ctx.invoke(Instruction(PROG_A, bytes([6, data[1] - 1]), []), accounts)
        elif op == 7:    # burn compute in own work
            ctx.consume(10**7)
        elif op == 8:    # burn compute in syscalls, swallowing the error
            try:
                while True:
                    ctx.sha256(b"x" * 64)
            except ProgramError:
                pass
        elif op == 9:    # events, return data, custom error when data[1] == 1
            ctx.log("hello")
            ctx.log_data(b"\x01\x02", b"abc")
            ctx.set_return_data(b"ret")
            if len(data) > 1 and data[1] == 1:
                raise ProgramError.custom(6001)
        elif op == 10:   # call B, which checks its caller and may call back into A
            ctx.invoke(Instruction(PROG_B, bytes(data[1:]), []), accounts)
            pid, rd = ctx.get_return_data()
            assert pid == PROG_B and rd == bytes(PROG_A)
        elif op == 11:   # a bug
            raise ZeroDivisionError("oops")
        elif op == 12:   # CPI to a program that is not in the transaction
            ctx.invoke(Instruction(PROG_B, b"\x00", []), accounts)
        elif op == 13:   # syscalls: return poseidon(1, 2) ‖ keccak("") ‖ 2·G1 via addition ‖ clock slot
            h = ctx.poseidon([(1).to_bytes(32, "big"), (2).to_bytes(32, "big")])
            k = ctx.keccak256(b"")
            g = (1).to_bytes(32, "big") + (2).to_bytes(32, "big")
            two_g = ctx.alt_bn128_addition(g + g)
            pda, _bump = ctx.find_program_address([b"x"], PROG_A)
            ctx.set_return_data(h + k + two_g + ctx.clock().slot.to_bytes(8, "little") + bytes(pda))


class ProgB:
    program_id = PROG_B

    def process_instruction(self, ctx, accounts, data: bytes) -> None:
        caller = ctx.caller_program_id()
        ctx.set_return_data(bytes(caller))
        if data and data[0] == 1:   # A -> B -> A: A is on the stack but not the immediate caller
            ctx.invoke(Instruction(PROG_A, bytes([6, 0]), []), accounts)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    bank = Bank(tmp_path_factory.mktemp("rt") / "ledger", extra_programs=[ProgA(), ProgB()])
    payer = Keypair()
    assert bank.airdrop(payer.pubkey(), 10**11).err is None
    owned = Keypair()       # account owned by PROG_A with 8 bytes of data
    r = send(bank, payer, [sp.create_account(sp.CreateAccountParams(
        from_pubkey=payer.pubkey(), to_pubkey=owned.pubkey(), lamports=bank.minimum_balance(8) + 10_000, space=8,
        owner=PROG_A))], owned)
    assert r.err is None, r.logs
    yield bank, payer, owned.pubkey()
    bank.close()


_nonce = [0]


def send(bank, payer, ixs, *signers, limit: int | None = None):
    _nonce[0] += 1
    pre = [set_compute_unit_limit(limit if limit is not None else 1_000_000 + _nonce[0])]
    msg = Message.new_with_blockhash(pre + ixs, payer.pubkey(), bank.latest_blockhash()[0])
    return bank.process_transaction(VersionedTransaction(msg, [payer, *signers]))


def call(bank, payer, data: bytes, metas, *signers, limit=None):
    return send(bank, payer, [Instruction(PROG_A, data, metas)], *signers, limit=limit)


def ix_err(r):
    assert r.err is not None and "InstructionError" in r.err, (r.err, r.logs)
    return r.err["InstructionError"][1]


def test_owner_may_write_data_but_others_may_not(env):
    bank, payer, owned = env
    assert call(bank, payer, b"\x00", [AccountMeta(owned, False, True)]).err is None
    assert bank.get_account(owned).data[0] == 1
    assert ix_err(call(bank, payer, b"\x00", [AccountMeta(owned, False, False)])) == "ReadonlyDataModified"
    r = call(bank, payer, b"\x00", [AccountMeta(bank.usdc_mint, False, True)])
    assert ix_err(r) == "ExternalAccountDataModified"
    assert r.logs[-1] == f"Program {PROG_A} failed: instruction modified data of an account it does not own"


def test_lamport_rules(env):
    bank, payer, owned = env
    other = Keypair().pubkey()
    bank.airdrop(other, 10**9)
    before = bank.get_account(owned).lamports
    assert call(bank, payer, b"\x01", [AccountMeta(owned, False, True), AccountMeta(other, False, True)]).err is None
    assert bank.get_account(owned).lamports == before - 1
    r = call(bank, payer, b"\x01", [AccountMeta(other, False, True), AccountMeta(owned, False, True)])
    assert ix_err(r) == "ExternalAccountLamportSpend"
    r = call(bank, payer, b"\x01", [AccountMeta(owned, False, True), AccountMeta(other, False, False)])
    assert ix_err(r) == "ReadonlyLamportChange"
    assert ix_err(call(bank, payer, b"\x02", [AccountMeta(owned, False, True)])) == "UnbalancedInstruction"
    assert ix_err(call(bank, payer, b"\x03", [AccountMeta(owned, False, True)])) == "ModifiedProgramId"


def test_invoke_signed_with_pda_and_wrong_seeds(env):
    bank, payer, _ = env
    pda, bump = Pubkey.find_program_address([b"vault"], PROG_A)
    assert bank.airdrop(pda, 10**9).err is None
    dest = Keypair().pubkey()
    bank.airdrop(dest, 10**9)
    metas = [AccountMeta(pda, False, True), AccountMeta(dest, False, True), AccountMeta(SYSTEM, False, False)]
    r = call(bank, payer, bytes([4, bump]) + b"vault", metas)
    assert r.err is None, r.logs
    assert bank.get_account(dest).lamports == 10**9 + 1000
    assert r.logs[2:5] == [f"Program {PROG_A} invoke [1]", f"Program {SYSTEM} invoke [2]", f"Program {SYSTEM} success"]
    assert r.inner_instructions[0]["index"] == 1 and r.inner_instructions[0]["instructions"][0]["stackHeight"] == 2
    _other, other_bump = Pubkey.find_program_address([b"other"], PROG_A)
    r = call(bank, payer, bytes([4, other_bump]) + b"other", metas)
    assert ix_err(r) == "PrivilegeEscalation"
    assert f"{pda}'s signer privilege escalated" in r.logs
    assert bank.get_account(dest).lamports == 10**9 + 1000


def test_cpi_writable_escalation(env):
    bank, payer, _ = env
    src, dst = Keypair(), Keypair().pubkey()
    bank.airdrop(src.pubkey(), 10**9)
    bank.airdrop(dst, 10**9)
    r = call(bank, payer, b"\x05", [AccountMeta(src.pubkey(), True, True), AccountMeta(dst, False, False),
                                    AccountMeta(SYSTEM, False, False)], src)
    assert ix_err(r) == "PrivilegeEscalation" and f"{dst}'s writable privilege escalated" in r.logs


def test_call_depth_limit(env):
    bank, payer, _ = env
    assert call(bank, payer, bytes([6, 3]), []).err is None          # depth 4
    r = call(bank, payer, bytes([6, 4]), [])                          # depth 5 is the maximum
    assert r.err is None and f"Program {PROG_A} invoke [5]" in r.logs
    assert ix_err(call(bank, payer, bytes([6, 5]), [])) == "CallDepth"


def test_caller_program_id_return_data_and_reentrancy(env):
    bank, payer, _ = env
    metas = [AccountMeta(PROG_B, False, False)]
    r = call(bank, payer, bytes([10, 0]), metas)
    assert r.err is None, r.logs
    # B set the data; A returns without touching it: A's line carries B's data under A's id
    data = base64.b64encode(bytes(PROG_A)).decode()
    assert [line for line in r.logs if line.startswith("Program return:")] == [
        f"Program return: {PROG_B} {data}", f"Program return: {PROG_A} {data}"]
    assert r.return_data == (PROG_B, bytes(PROG_A))
    r = call(bank, payer, bytes([10, 1]), metas)
    assert ix_err(r) == "ReentrancyNotAllowed"
    r = call(bank, payer, bytes([12]), [])
    assert ix_err(r) == "MissingAccount" and f"Unknown program {PROG_B}" in r.logs


def test_logs_events_return_data_and_custom_error(env):
    bank, payer, _ = env
    r = call(bank, payer, b"\x09", [])
    assert r.err is None
    assert "Program log: hello" in r.logs
    chunks = " ".join(base64.b64encode(c).decode() for c in (b"\x01\x02", b"abc"))
    assert f"Program data: {chunks}" in r.logs
    assert f"Program return: {PROG_A} {base64.b64encode(b'ret').decode()}" in r.logs
    assert r.return_data == (PROG_A, b"ret")
    r = call(bank, payer, b"\x09\x01", [])
    assert r.err == {"InstructionError": [1, {"Custom": 6001}]}
    assert r.logs[-1] == f"Program {PROG_A} failed: custom program error: 0x1771"
    # Agave logs the return data after the consumed line even when the instruction fails
    assert r.logs[-2] == f"Program return: {PROG_A} {base64.b64encode(b'ret').decode()}"
    assert r.logs[-3].startswith(f"Program {PROG_A} consumed ")
    r = call(bank, payer, b"\x0b", [])
    assert ix_err(r) == "ProgramFailedToComplete"
    assert any("panicked" in line and "ZeroDivisionError" in line for line in r.logs)


def test_compute_budget_exhaustion(env):
    bank, payer, _ = env
    r = call(bank, payer, b"\x07", [], limit=200_000)
    assert ix_err(r) == "ProgramFailedToComplete"
    assert r.compute_units_consumed == 200_000
    assert r.logs[-2] == f"Program {PROG_A} consumed 199850 of 199850 compute units"
    assert r.logs[-1] == f"Program {PROG_A} failed: exceeded CUs meter at BPF instruction"
    r = call(bank, payer, b"\x08", [], limit=50_000)
    assert ix_err(r) == "ComputationalBudgetExceeded"
    # default budget without a ComputeBudget instruction: 200k for one non-builtin instruction
    msg = Message.new_with_blockhash([Instruction(PROG_A, b"\x07", [])], payer.pubkey(), bank.latest_blockhash()[0])
    r = bank.process_transaction(VersionedTransaction(msg, [payer]))
    assert r.compute_units_consumed == 200_000 and ix_err(r) == "ProgramFailedToComplete"
    # duplicate compute budget instruction
    r = send(bank, payer, [set_compute_unit_limit(1000)], limit=2000)
    assert r.err == {"DuplicateInstruction": 1} and not r.recorded


def test_syscalls_through_the_invoke_context(env):
    from protocol.poseidon import poseidon
    from py_ecc import optimized_bn128 as ob

    from localnet.runtime.keccak import keccak256

    bank, payer, _ = env
    r = call(bank, payer, b"\x0d", [])
    assert r.err is None, r.logs
    rd = r.return_data[1]
    assert int.from_bytes(rd[:32], "big") == poseidon([1, 2])
    assert rd[32:64] == keccak256(b"")
    x, y = ob.normalize(ob.double(ob.G1))
    assert rd[64:128] == int(x).to_bytes(32, "big") + int(y).to_bytes(32, "big")
    assert int.from_bytes(rd[128:136], "little") == bank.slot
    assert rd[136:] == bytes(Pubkey.find_program_address([b"x"], PROG_A)[0])
