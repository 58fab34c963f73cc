"""Runtime parity with Agave, attacked where the old runtime was kinder than Solana.

1. A failed CPI is final. On Solana the invoke syscall's error aborts the caller's VM (Agave
   ``cpi_common`` -> ``EbpfError::SyscallError`` -> ``process_executable_chain``): the caller
   cannot catch it, and the transaction fails with the callee's InstructionError at the
   top-level index. A test-only program (registered only in an in-process Bank, never on the
   cluster) catches the failure every way Python allows and tries to carry on.
2. Growth limits. Only SBF programs and CPI returns are capped at +10 KiB (Agave's
   ``update_caller_account``: "Account data size realloc limited to 10240 in inner
   instructions"); a top-level System ``create_account`` may allocate up to 10 MiB
   (MAX_PERMITTED_DATA_LENGTH), beyond that SystemError::InvalidAccountDataLength.
3. Attribution on a real cluster: an error raised inside a CPI is reported as
   InstructionError(top-level index, Custom(code)) and the *callee* logs
   ``Program <callee> failed: custom program error: 0x..`` before its caller does; the
   OrderProcessor's own refusals carry the OrderProcessor's codes, never the Market's.
"""
from __future__ import annotations

import asyncio

import pytest
from solana.rpc.async_api import AsyncClient
from solders.compute_budget import set_compute_unit_limit
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders import system_program as sp
from solders.transaction import VersionedTransaction
from solders.transaction_status import TransactionErrorInstructionError, InstructionErrorCustom
from spl.token.instructions import create_associated_token_account, get_associated_token_address

from localnet.bank import Bank
from localnet.runtime.program_api import ProgramError
from protocol import market_codec as mc
from protocol.idl import load_idl
from protocol.market_pdas import bond as bond_pda, nullifier as nullifier_pda, reservation as reservation_pda
from protocol.program_ids import (ASSOCIATED_TOKEN_PROGRAM_ID, MARKET_PROGRAM_ID, ORDER_PROCESSOR_PROGRAM_ID,
                                  ORDER_STORE_PROGRAM_ID, TOKEN_PROGRAM_ID)
from tests.integration.localnet_client import b64, blockhash, fund, raw_rpc, sign
from tests.unit.zkp2p_harness import Ledger
from wallet.core.tx_errors import explain, raising_program

CATCHER = Pubkey.from_string("Catcher111111111111111111111111111111111111")
SYSTEM = sp.ID
MARKET, PROCESSOR = load_idl("market"), load_idl("order_processor")
KIB = 1024


def _transfer(frm: Pubkey, to: Pubkey, lamports: int) -> Instruction:
    return sp.transfer(sp.TransferParams(from_pubkey=frm, to_pubkey=to, lamports=lamports))


class Catcher:
    """A program written to survive a failing CPI; data[0] picks how it tries.

    accounts: [0] a funded System account (signer), [1] a destination, [2] an account this
    program owns (8 bytes), [3] the System program. The failing CPI asks System to move more
    lamports than account 0 holds (SystemError::ResultWithNegativeLamports = Custom(1)).
    """

    program_id = CATCHER

    def process_instruction(self, ctx, accounts, data: bytes) -> None:
        op = data[0]
        src, dst, own = accounts[0], accounts[1], accounts[2]
        if op == 5:                      # CPI create_account of data[1] KiB for accounts[1]
            space = data[1] * KIB
            ctx.invoke(sp.create_account(sp.CreateAccountParams(
                from_pubkey=src.key, to_pubkey=dst.key, lamports=10**9, space=space, owner=SYSTEM)), accounts)
            return
        try:
            ctx.invoke(_transfer(src.key, dst.key, src.lamports + 1), accounts)
        except BaseException:            # noqa: B036 - the point: swallow *everything*
            if op == 0:                  # carry on as if nothing happened, changing state
                own.data[0] = 0xAA
                return
            if op == 1:                  # replace the callee's error by our own
                raise ProgramError.custom(6099) from None
            if op == 2:                  # try a smaller transfer instead
                ctx.invoke(_transfer(src.key, dst.key, 1), accounts)
                return
            if op == 3:                  # log that we recovered
                ctx.log("recovered")
                return
            if op == 4:                  # blow up with a plain Python error
                raise ZeroDivisionError("after the failed CPI") from None
        raise AssertionError("the failing CPI succeeded")


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    b = Bank(tmp_path_factory.mktemp("parity") / "ledger", extra_programs=[Catcher()])
    yield b
    b.close()


_n = [0]


def _send(bank: Bank, payer: Keypair, ixs: list[Instruction], *signers: Keypair):
    _n[0] += 1
    msg = Message.new_with_blockhash([set_compute_unit_limit(400_000 + _n[0]), *ixs], payer.pubkey(),
                                     bank.latest_blockhash()[0])
    return bank.process_transaction(VersionedTransaction(msg, [payer, *signers]))


def _state(bank: Bank, *keys: Pubkey) -> list:
    return [(a.lamports, bytes(a.data), a.owner) if (a := bank.get_account(k)) else None for k in keys]


@pytest.fixture(scope="module")
def actors(bank):
    payer, src, dst = Keypair(), Keypair(), Keypair()
    for who, lamports in ((payer, 10**12), (src, 10**10), (dst, 10**10)):   # 10 MiB needs ~73 SOL of rent
        assert bank.airdrop(who.pubkey(), lamports).err is None
    own = Keypair()
    r = _send(bank, payer, [sp.create_account(sp.CreateAccountParams(
        from_pubkey=payer.pubkey(), to_pubkey=own.pubkey(), lamports=bank.minimum_balance(8), space=8,
        owner=CATCHER))], own)
    assert r.err is None, r.logs
    return payer, src, dst, own.pubkey()


@pytest.mark.parametrize("op", [0, 1, 2, 3, 4])
def test_a_caught_cpi_failure_still_fails_the_transaction_with_the_callees_error(bank, actors, op):
    payer, src, dst, own = actors
    metas = [AccountMeta(src.pubkey(), True, True), AccountMeta(dst.pubkey(), False, True),
             AccountMeta(own, False, True), AccountMeta(SYSTEM, False, False)]
    before = _state(bank, src.pubkey(), dst.pubkey(), own)
    r = _send(bank, payer, [Instruction(CATCHER, bytes([op]), metas)], src)
    # the System program's error at the top-level index (1: after the compute-budget ix)
    assert r.err == {"InstructionError": [1, {"Custom": 1}]}, (r.err, r.logs)
    assert r.recorded                                    # a failed transaction, fee charged
    assert _state(bank, src.pubkey(), dst.pubkey(), own) == before
    # the callee fails first, then the caller with the very same error, as Agave logs it
    failed = [line for line in r.logs if " failed: " in line]
    assert failed == [f"Program {SYSTEM} failed: custom program error: 0x1",
                      f"Program {CATCHER} failed: custom program error: 0x1"], r.logs
    # nothing the program did after catching took effect: no log, no second transfer
    assert "Program log: recovered" not in r.logs
    assert sum(line == f"Program {SYSTEM} invoke [2]" for line in r.logs) == 1
    assert not any("panicked" in line for line in r.logs)
    assert raising_program(r.logs, 1) == str(SYSTEM)


def test_cpi_growth_is_capped_at_10_kib_but_top_level_create_is_not(bank, actors):
    payer, src, _, own = actors
    # through a CPI: System itself succeeds, the caller's realloc room is what refuses
    for kib, ok in ((10, True), (20, False)):
        new = Keypair()
        metas = [AccountMeta(src.pubkey(), True, True), AccountMeta(new.pubkey(), True, True),
                 AccountMeta(own, False, True), AccountMeta(SYSTEM, False, False)]
        before = _state(bank, src.pubkey())
        r = _send(bank, payer, [Instruction(CATCHER, bytes([5, kib]), metas)], src, new)
        if ok:
            assert r.err is None, r.logs
            assert len(bank.get_account(new.pubkey()).data) == 10 * KIB
            continue
        assert r.err == {"InstructionError": [1, "InvalidRealloc"]}, (r.err, r.logs)
        i = r.logs.index("Account data size realloc limited to 10240 in inner instructions")
        assert r.logs[i - 1] == f"Program {SYSTEM} success"
        assert r.logs[-1] == f"Program {CATCHER} failed: Failed to reallocate account data"
        assert bank.get_account(new.pubkey()) is None and _state(bank, src.pubkey()) == before
    # top level: 20 KiB and the full 10 MiB are fine; one byte more is SystemError 3
    for space, err in ((20 * KIB, None), (10 * KIB * KIB, None),
                       (10 * KIB * KIB + 1, {"InstructionError": [1, {"Custom": 3}]})):
        new = Keypair()
        r = _send(bank, payer, [sp.create_account(sp.CreateAccountParams(
            from_pubkey=payer.pubkey(), to_pubkey=new.pubkey(), lamports=bank.minimum_balance(min(space, 10 * KIB * KIB)),
            space=space, owner=SYSTEM))], new)
        assert r.err == err, (space, r.err, r.logs[-3:])
        created = bank.get_account(new.pubkey())
        assert (len(created.data) if created else None) == (space if err is None else None)
    assert f"Allocate: requested {10 * KIB * KIB + 1}, max allowed {10 * KIB * KIB}" in r.logs


def test_two_10_mib_creates_fit_a_transaction_but_three_exceed_its_20_mib(bank, actors):
    payer = actors[0]
    news = [Keypair() for _ in range(3)]
    lam = bank.minimum_balance(10 * KIB * KIB)
    ixs = [sp.create_account(sp.CreateAccountParams(from_pubkey=payer.pubkey(), to_pubkey=n.pubkey(), lamports=lam,
                                                    space=10 * KIB * KIB, owner=SYSTEM)) for n in news]
    r = _send(bank, payer, ixs, *news)
    assert r.err == {"InstructionError": [3, "MaxAccountsDataAllocationsExceeded"]}, (r.err, r.logs[-3:])
    assert all(bank.get_account(n.pubkey()) is None for n in news)


# ------------------------------------------------------------------ a real Market 6016 inside a CPI
def test_market_error_inside_the_order_processors_cpi_is_the_markets():
    """finalize_trade with the thief's token account as the market vault: the proof is valid, the
    OrderProcessor CPIs the release, and the Market refuses (AccountMismatch, 6016). The error
    is the top-level instruction's, the logs name the Market as the program that failed."""
    L = Ledger(book_capacity=8)
    seller, stok = L.new_user(100_000_000)
    buyer, btok = L.new_user()
    assert L.send([L.ask(seller, stok, 28_500, 100_000_000, (7).to_bytes(32, "big"))], [seller]).err is None
    mt = L.now - 60
    proof = L.solvency_proof(L.solvency_inputs(buyer.pubkey(), 28_500, 100_000_000, mt))
    assert L.send([L.bid(buyer, 28_500, 100_000_000, proof, mt)], [buyer]).err is None
    thief, thief_token = L.new_user()
    nullifier = (99).to_bytes(32, "big")
    ix = L.ix(PROCESSOR, "finalize_trade", {"order_id": 0, "attester_index": 0, "nullifier": nullifier,
                                            "proof": L.pay_proof(0, 99)},
              payer=buyer.pubkey(), nullifier_record=nullifier_pda(nullifier)[0], buyer_token=btok,
              vault=thief_token, **L.bond_accounts(0))
    before = {k: (a.lamports, a.data) for k, a in L.accounts.items()}
    r = L.send([ix], [buyer], cu_limit=600_000)
    code = MARKET.error_code("AccountMismatch")
    assert code == 6016 and r.err == {"InstructionError": [1, {"Custom": code}]}, (r.err, r.logs[-6:])
    failed = [line for line in r.logs if " failed: " in line]
    assert failed == [f"Program {MARKET_PROGRAM_ID} failed: custom program error: 0x1780",
                      f"Program {ORDER_PROCESSOR_PROGRAM_ID} failed: custom program error: 0x1780"]
    assert f"Program {MARKET_PROGRAM_ID} invoke [2]" in r.logs
    changed = {k for k, a in L.accounts.items() if before.get(k) != (a.lamports, a.data)}
    assert changed == {buyer.pubkey()}               # the fee, nothing else
    assert L.queue()["records"][0]["status"] == "Pending"
    text, perr = explain(TransactionErrorInstructionError(1, InstructionErrorCustom(code)), None, r.logs)
    assert perr.program == "market" and perr.name == "AccountMismatch", text


# ------------------------------------------------------------------ the real cluster
async def _send_raw(node, client: AsyncClient, ixs: list[Instruction], signers: list[Keypair]) -> dict:
    """skipPreflight, so the failure lands on-chain; returns the confirmed meta."""
    tx = sign([set_compute_unit_limit(300_000), *ixs], signers, await blockhash(client))
    sig = (await raw_rpc(node.rpc_url, "sendTransaction",
                         [b64(tx), {"encoding": "base64", "skipPreflight": True}]))["result"]
    for _ in range(200):
        got = await raw_rpc(node.rpc_url, "getTransaction",
                            [sig, {"encoding": "json", "commitment": "confirmed", "maxSupportedTransactionVersion": 0}])
        if got.get("result"):
            return got["result"]["meta"]
        await asyncio.sleep(0.05)
    raise AssertionError(f"{sig} never confirmed")


async def _lamports(node, key: Pubkey) -> int:
    return (await raw_rpc(node.rpc_url, "getBalance", [str(key), {"commitment": "confirmed"}]))["result"]["value"]


def test_real_cluster_top_level_create_account_of_20_kib(localnet):
    async def run():
        async with AsyncClient(localnet.rpc_url) as client:
            payer, new, too_big = Keypair(), Keypair(), Keypair()
            await fund(client, payer.pubkey(), 2 * 10**9)
            lam = (await raw_rpc(localnet.rpc_url, "getMinimumBalanceForRentExemption", [20 * KIB]))["result"]
            meta = await _send_raw(localnet, client, [sp.create_account(sp.CreateAccountParams(
                from_pubkey=payer.pubkey(), to_pubkey=new.pubkey(), lamports=lam, space=20 * KIB,
                owner=SYSTEM))], [payer, new])
            assert meta["err"] is None, meta["logMessages"]
            info = (await raw_rpc(localnet.rpc_url, "getAccountInfo",
                                  [str(new.pubkey()), {"encoding": "base64", "commitment": "confirmed",
                                                       "dataSlice": {"offset": 0, "length": 0}}]))["result"]["value"]
            assert info["space"] == 20 * KIB and info["lamports"] == lam
            # over MAX_PERMITTED_DATA_LENGTH: SystemError::InvalidAccountDataLength, nothing moves
            before = await _lamports(localnet, payer.pubkey())
            meta = await _send_raw(localnet, client, [sp.create_account(sp.CreateAccountParams(
                from_pubkey=payer.pubkey(), to_pubkey=too_big.pubkey(), lamports=lam, space=10 * KIB * KIB + 1,
                owner=SYSTEM))], [payer, too_big])
            assert meta["err"] == {"InstructionError": [1, {"Custom": 3}]}, meta["logMessages"]
            assert meta["logMessages"][-1] == f"Program {SYSTEM} failed: custom program error: 0x3"
            assert await _lamports(localnet, payer.pubkey()) == before - meta["fee"]
            assert await _lamports(localnet, too_big.pubkey()) == 0
    asyncio.run(run())


def test_real_cluster_cpi_failure_is_the_callees_and_order_processor_uses_its_own_codes(localnet):
    async def run():
        async with AsyncClient(localnet.rpc_url) as client:
            payer, funder, owner = Keypair(), Keypair(), Keypair()
            await fund(client, payer.pubkey(), 10**9)
            await fund(client, funder.pubkey(), 1_000_000)     # rent-exempt, but not enough for an ATA
            mint = Pubkey.from_string(localnet.usdc_mint)
            ata = get_associated_token_address(owner.pubkey(), mint)
            ix = create_associated_token_account(funder.pubkey(), owner.pubkey(), mint)
            before = [await _lamports(localnet, k) for k in (funder.pubkey(), ata)]
            meta = await _send_raw(localnet, client, [ix], [payer, funder])
            # System's ResultWithNegativeLamports, reported at the ATA instruction's index
            assert meta["err"] == {"InstructionError": [1, {"Custom": 1}]}, meta["logMessages"]
            failed = [line for line in meta["logMessages"] if " failed: " in line]
            assert failed == [f"Program {SYSTEM} failed: custom program error: 0x1",
                              f"Program {ASSOCIATED_TOKEN_PROGRAM_ID} failed: custom program error: 0x1"]
            assert raising_program(meta["logMessages"], 1) == str(SYSTEM)
            assert [await _lamports(localnet, k) for k in (funder.pubkey(), ata)] == before

            # the OrderProcessor refusing a non-Market "market" account: its own AccountMismatch
            addr = mc.market_addresses(mint)
            thief = Keypair()
            await fund(client, thief.pubkey(), 10**9)
            nullifier = bytes(32)
            accounts = {**addr, "payer": thief.pubkey(), "market": thief.pubkey(),
                        "nullifier_record": nullifier_pda(nullifier)[0], "buyer_token": thief.pubkey(),
                        "market_program": MARKET_PROGRAM_ID, "order_store_program": ORDER_STORE_PROGRAM_ID,
                        "token_program": TOKEN_PROGRAM_ID, "system_program": SYSTEM,
                        "bond": bond_pda(thief.pubkey(), 0)[0], "reservation": reservation_pda(bytes(32))[0],
                        "buyer": thief.pubkey()}
            ix = PROCESSOR.instruction("finalize_trade", {
                "order_id": 0, "attester_index": 0, "nullifier": nullifier,
                "proof": {"a": bytes(64), "b": bytes(128), "c": bytes(64)}},
                {n: accounts[n] for n in PROCESSOR.account_names("finalize_trade")})
            vault_before = (await raw_rpc(localnet.rpc_url, "getAccountInfo",
                                          [str(addr["vault"]), {"encoding": "base64", "commitment": "confirmed"}]))
            meta = await _send_raw(localnet, client, [ix], [thief])
            own = PROCESSOR.error_code("AccountMismatch")
            assert own == 6008 and meta["err"] == {"InstructionError": [1, {"Custom": own}]}, meta["logMessages"]
            assert f"Program {ORDER_PROCESSOR_PROGRAM_ID} failed: custom program error: {own:#x}" in meta["logMessages"]
            assert not any("Error Number: 6016" in line for line in meta["logMessages"])
            text, perr = explain(TransactionErrorInstructionError(1, InstructionErrorCustom(own)), None,
                                 meta["logMessages"])
            assert perr.program == "order_processor" and perr.name == "AccountMismatch", text
            vault_after = (await raw_rpc(localnet.rpc_url, "getAccountInfo",
                                         [str(addr["vault"]), {"encoding": "base64", "commitment": "confirmed"}]))
            assert vault_after["result"]["value"] == vault_before["result"]["value"]
    asyncio.run(run())
