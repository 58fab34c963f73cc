"""Encrypted OTC inputs, states and sealed outputs are usable only where they were made
(protocol/otc_binding.py), on the in-process Bank with the node's steps inline.

The real-cluster versions of the audit's attacks are in tests/adversarial/test_otc_replay.py;
these cover the same rules quickly plus what only an in-process run can reach (a node result
re-signed with a wrong sealed nonce, a node that reads a copied state).
"""
from __future__ import annotations

import pytest
from solders.keypair import Keypair

from localnet.bank import Bank
from localnet.mxe import worker
from protocol import arcium_codec as ac
from protocol import otc_binding
from protocol import otc_codec as otc
from tests.unit.otc_bank_harness import OtcBank, Party, create_deal_ix, submit_offer_ix

P1 = otc.PRICE_ONE
ERR = otc.OTC_IDL.error_code


@pytest.fixture(scope="module")
def h(tmp_path_factory) -> OtcBank:
    bank = Bank(tmp_path_factory.mktemp("otc-binding-ledger"))
    yield OtcBank(bank)
    bank.close()


def _args(ix) -> dict:
    name, args = otc.OTC_IDL.decode_instruction(bytes(ix.data))
    return args


def _copy_create(h, thief: Party, victim_ix, create_key: Keypair | None = None, **overrides):
    """The victim's create_deal arguments in a deal the thief creates and pays for."""
    a = {**_args(victim_ix), **overrides}
    create_key = create_key or Keypair()
    ix = otc.create_deal_ix(
        payer=thief.wallet.pubkey(), create_key=create_key.pubkey(), base_mint=h.bank.usdc_mint,
        quote_mint=h.bank.usdc_mint, computation_offset=otc.random_computation_offset(),
        controller=thief.wallet.pubkey(), encryption_pubkey=a["encryption_pubkey"], nonce=a["nonce"],
        nonce_salt=a["nonce_salt"], expires_at=a["expires_at"], allow_partial=True,
        encrypted_amount=a["encrypted_amount"], encrypted_price=a["encrypted_price"])
    return ix, create_key, otc.deal_pda(create_key.pubkey())[0]


def _open(h, amount=1000, price=2 * P1, allow_partial=False):
    creator = Party()
    h.fund(creator)
    ix, key, deal = create_deal_ix(creator, h.mxe_pub, h.bank.usdc_mint, amount, price,
                                   h.bank.unix_timestamp + 3600, allow_partial)
    h.ok([ix], [creator.wallet, key])
    (cb,) = h.run_node()
    assert cb.err is None, cb.logs
    return creator, ix, key, deal


def test_copied_create_deal_refused_before_queueing(h):
    victim, victim_ix, victim_key, victim_deal = _open(h)
    before = h.deal(victim_deal)
    thief = Party()
    h.fund(thief)
    ix, key, thief_deal = _copy_create(h, thief, victim_ix)
    res = h.send([ix], [thief.wallet, key])
    assert h.custom_code(res) == ERR("InputNotBound"), res.logs
    assert h.bank.get_account(thief_deal) is None and not h.queued()
    # the owner replaying the tuple: into a new deal (not bound) or into the same deal again (used)
    ix, key, _ = _copy_create(h, victim, victim_ix)
    assert h.custom_code(h.send([ix], [victim.wallet, key])) == ERR("InputNotBound")
    ix, _, same = _copy_create(h, victim, victim_ix, victim_key)   # a new transaction, the same deal
    assert same == victim_deal
    assert h.custom_code(h.send([ix], [victim.wallet, victim_key])) == ERR("InputAlreadyUsed")
    assert not h.queued() and h.deal(victim_deal) == before
    record = h.bank.get_account(otc.input_record_pda(before["encryption_pubkey"], before["nonce"])[0])
    assert otc.OTC_IDL.decode_account("InputRecord", bytes(record.data))["account"] == victim_deal


def test_rebound_nonce_decrypts_nothing_of_the_victims(h):
    """The thief keeps the ciphertexts but binds a new nonce to its own deal: the program queues
    it (it cannot see plaintext), the node refuses it, the thief's deal aborts, nothing is sealed."""
    _, victim_ix, _, _ = _open(h)
    thief = Party()
    h.fund(thief)
    a = _args(victim_ix)
    create_key = Keypair()
    thief_deal = otc.deal_pda(create_key.pubkey())[0]
    salt = 12345
    nonce = otc_binding.input_nonce("create_deal", thief.wallet.pubkey(), thief_deal, a["encryption_pubkey"], salt)
    ix, _, _ = _copy_create(h, thief, victim_ix, create_key, nonce=nonce, nonce_salt=salt)
    h.ok([ix], [thief.wallet, create_key])
    (cb,) = h.run_node()
    names = [n for n, _ in h.events(cb)]
    assert "ComputationAborted" in names and "DealCreated" not in names
    assert h.deal(thief_deal)["status"] == otc.DEAL_ABORTED


def test_copied_submit_offer_refused(h):
    creator, _, _, deal = _open(h)
    victim = Party()
    h.fund(victim)
    ix, key, offer = submit_offer_ix(victim, h.mxe_pub, deal, 3 * P1, 400)
    h.ok([ix], [victim.wallet, key])
    (cb,) = h.run_node()
    assert cb.err is None
    _, _, _, thief_deal = _open(h, 10**12, P1, allow_partial=True)
    thief = Party()
    h.fund(thief)
    a = _args(ix)
    for target in (thief_deal, deal):    # the thief's own deal, and the victim's deal from another signer
        ck = Keypair()
        copy = otc.submit_offer_ix(payer=thief.wallet.pubkey(), create_key=ck.pubkey(), deal=target,
                                   computation_offset=otc.random_computation_offset(),
                                   controller=thief.wallet.pubkey(), encryption_pubkey=a["encryption_pubkey"],
                                   nonce=a["nonce"], nonce_salt=a["nonce_salt"], encrypted_price=a["encrypted_price"],
                                   encrypted_amount=a["encrypted_amount"])
        res = h.send([copy], [thief.wallet, ck])
        assert h.custom_code(res) == ERR("InputNotBound"), res.logs
    assert not h.queued()
    again = otc.submit_offer_ix(payer=victim.wallet.pubkey(), create_key=key.pubkey(), deal=deal,
                                computation_offset=otc.random_computation_offset(),
                                controller=victim.wallet.pubkey(), encryption_pubkey=a["encryption_pubkey"],
                                nonce=a["nonce"], nonce_salt=a["nonce_salt"], encrypted_price=a["encrypted_price"],
                                encrypted_amount=a["encrypted_amount"])
    assert h.custom_code(h.send([again], [victim.wallet, key])) == ERR("InputAlreadyUsed")


def test_sealed_output_with_unbound_nonce_refused(h):
    """Even a result the node signed is refused if its sealed nonce is not bound to the deal and
    the computation; the deal then aborts through the node's Failure fallback."""
    creator = Party()
    h.fund(creator)
    ix, key, deal = create_deal_ix(creator, h.mxe_pub, h.bank.usdc_mint, 10, P1, h.bank.unix_timestamp + 3600, False)
    h.ok([ix], [creator.wallet, key])
    ((comp_key, comp),) = h.queued()
    result = worker.compute(comp_key, comp, h.read, h.keys)
    out = bytearray(result.outputs["Success"]["output"])
    at = otc.MXE_STATE_LEN + 32            # the sealed blob's nonce
    out[at:at + 16] = bytes(16)
    forged = worker.Result(comp_key, "create_deal", ac.success(bytes(out)), None)
    bh, _ = h.bank.latest_blockhash()
    res = h.bank.process_transaction(worker.callback_transaction(h.cluster, forged, comp, bh))
    assert h.custom_code(res) == ERR("MalformedOutput"), res.logs
    assert h.deal(deal)["state_ready"] is False
    # the node's fallback after a refused callback: a Failure, which aborts the deal
    failed = worker.Result(comp_key, "create_deal", ac.failure(ac.FAILURE_REJECTED), "callback refused")
    bh, _ = h.bank.latest_blockhash()
    assert h.bank.process_transaction(worker.callback_transaction(h.cluster, failed, comp, bh)).err is None
    assert h.deal(deal)["status"] == otc.DEAL_ABORTED and not h.queued()


def test_node_refuses_state_copied_from_another_deal(h):
    """A node that would read the victim's deal state for the thief's deal (copied bytes) fails
    the crank instead of sealing the victim's figures to the thief."""
    _, _, _, victim_deal = _open(h, 777, P1, allow_partial=True)
    thief, _, _, thief_deal = _open(h, 5, P1, allow_partial=True)
    h.bank.warp_clock(3601)
    h.ok([otc.crank_deal_ix(payer=thief.wallet.pubkey(), deal=thief_deal,
                            computation_offset=otc.random_computation_offset(),
                            creator_encryption_pubkey=thief.x25519)], [thief.wallet])
    ((comp_key, comp),) = h.queued()
    victim_data = h.read(victim_deal)
    result = worker.compute(comp_key, comp, lambda k: victim_data if k == thief_deal else h.read(k), h.keys)
    assert "Failure" in result.outputs and "not bound" in result.rejected_reason
    bh, _ = h.bank.latest_blockhash()
    res = h.bank.process_transaction(worker.callback_transaction(h.cluster, result, comp, bh))
    names = [n for n, _ in h.events(res)]
    assert "ComputationAborted" in names and "DealSettled" not in names
    assert h.deal(thief_deal)["status"] == otc.DEAL_OPEN
