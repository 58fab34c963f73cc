"""The arcium program on the in-process Bank: comp-def registration, expiry, once-only callbacks."""
from __future__ import annotations

import pytest
from solders.instruction import AccountMeta, Instruction

from localnet import genesis
from localnet.bank import Bank
from localnet.mxe import worker
from localnet.programs.arcium.genesis import add_arcium_accounts, arcium_genesis, comp_def_record
from protocol import arcium_codec as ac
from protocol import otc_codec as otc
from protocol.program_ids import ARCIUM_PROGRAM_ID, OTC_PROGRAM_ID
from tests.unit.otc_bank_harness import OtcBank, Party

AERR = ac.ARCIUM_IDL.error_code
P1 = otc.PRICE_ONE


@pytest.fixture(scope="module")
def h(tmp_path_factory):
    bank = Bank(tmp_path_factory.mktemp("arcium"))
    yield OtcBank(bank)
    bank.close()


def test_init_comp_defs_register_exactly_what_genesis_writes(tmp_path, monkeypatch):
    def without_comp_defs(builder, ledger_dir):
        add_arcium_accounts(builder, ledger_dir, with_comp_defs=False)

    hooks = [without_comp_defs if hook is arcium_genesis else hook for hook in genesis.GENESIS_HOOKS]
    monkeypatch.setattr(genesis, "GENESIS_HOOKS", hooks)
    bank = Bank(tmp_path / "ledger")
    try:
        h = OtcBank(bank)
        payer = Party()
        h.fund(payer)
        creator = Party()
        h.fund(creator)
        _, res = h.create_deal(creator, 10, P1)
        assert h.custom_code(res) is not None  # no computation definition yet: queueing fails
        for name in otc.CIRCUITS:
            h.ok([otc.init_comp_def_ix(name, payer.wallet.pubkey())], [payer.wallet])
            address, want = comp_def_record(OTC_PROGRAM_ID, name)
            assert bytes(bank.get_account(address).data) == want
        bank.advance_slot()  # a new blockhash, so the repeat is a new transaction
        res = h.send([otc.init_comp_def_ix("crank_deal", payer.wallet.pubkey())], [payer.wallet])
        assert h.custom_code(res) == AERR("CompDefAlreadyInitialized")
        mxe = ac.decode_mxe(bytes(bank.get_account(otc.OTC_ARCIUM.mxe).data))
        assert mxe["computation_definitions"] == [c.offset for c in otc.CIRCUITS.values()]
        deal, res = h.create_deal(creator, 10, P1)
        assert res.err is None
        (cb,) = h.run_node()
        assert cb.err is None and h.deal(deal)["state_ready"]
    finally:
        bank.close()


def test_queue_only_by_cpi_from_the_mxe_program(h):
    intruder = Party()
    h.fund(intruder)
    comp_offset = 77
    accounts = otc.OTC_ARCIUM.queue_accounts("create_deal", comp_offset)
    data = ac.ARCIUM_IDL.encode_instruction("queue_computation", {
        "computation_offset": comp_offset, "arguments": otc.create_deal_arguments(bytes(32), 1, bytes(32), bytes(32), 0),
        "callback_accounts": []})
    metas = ac.ARCIUM_IDL.account_metas("queue_computation", {"payer": intruder.wallet.pubkey(), **accounts})
    # the MXE's signer PDA cannot sign a top-level transaction, so it arrives unsigned
    metas = [AccountMeta(m.pubkey, m.is_signer and m.pubkey == intruder.wallet.pubkey(), m.is_writable) for m in metas]
    res = h.send([Instruction(ARCIUM_PROGRAM_ID, data, metas)], [intruder.wallet])
    assert h.custom_code(res) == AERR("UnauthorizedCaller")
    assert h.bank.get_account(accounts["computation"]) is None


def test_expiry_delivers_failure_callback_and_blocks_late_results(h):
    creator = Party()
    h.fund(creator)
    deal, res = h.create_deal(creator, 10, P1)
    assert res.err is None
    [(key, comp)] = h.queued()
    assert comp["expires_slot"] == comp["queued_slot"] + ac.COMPUTATION_EXPIRY_SLOTS
    caller = Party()
    h.fund(caller)
    early = h.send([ac.expire_instruction(caller.wallet.pubkey(), key, comp)], [caller.wallet])
    assert h.custom_code(early) == AERR("ComputationNotExpired")
    result = worker.compute(key, comp, h.read, h.keys)  # computed in time, delivered too late
    for _ in range(ac.COMPUTATION_EXPIRY_SLOTS + 1):
        h.bank.advance_slot()
    bh, _ = h.bank.latest_blockhash()
    late = h.bank.process_transaction(worker.callback_transaction(h.cluster, result, comp, bh))
    assert h.custom_code(late) == AERR("ComputationExpired")
    res = h.send([ac.expire_instruction(caller.wallet.pubkey(), key, comp)], [caller.wallet])
    assert res.err is None, res.logs
    assert any(n == "ComputationAborted" and f["reason"] == ac.FAILURE_EXPIRED for n, f in h.events(res))
    assert h.deal(deal)["status"] == otc.DEAL_ABORTED
    data = bytes(h.bank.get_account(key).data)
    assert ac.decode_computation(data)["status"] == "Expired" and not worker.is_queued(data)
    h.bank.advance_slot()
    again = h.send([ac.expire_instruction(caller.wallet.pubkey(), key, comp)], [caller.wallet])
    assert h.custom_code(again) == AERR("ComputationNotQueued")


def test_callback_accounts_must_match_the_queued_ones(h):
    creator = Party()
    h.fund(creator)
    deal, _ = h.create_deal(creator, 10, P1)
    [(key, comp)] = h.queued()
    other_deal, _ = h.create_deal(creator, 11, P1)
    result = worker.compute(key, comp, h.read, h.keys)
    forged = dict(comp, callback_accounts=[{"pubkey": other_deal, "is_writable": True}])
    bh, _ = h.bank.latest_blockhash()
    res = h.bank.process_transaction(worker.callback_transaction(h.cluster, result, forged, bh))
    assert h.custom_code(res) == AERR("CallbackAccountsMismatch")
    assert len(h.run_node()) == 2 and h.deal(deal)["state_ready"] and h.deal(other_deal)["state_ready"]
    assert h.bank.get_account(ARCIUM_PROGRAM_ID).executable
