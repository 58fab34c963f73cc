"""Security issue 10 §2: replaying private-OTC ciphertexts, as a thief does it, on a real cluster.

The audit's two attacks, against `anomi localnet up` with its real MXE node process:

1. **Price probing.** The thief reads a victim's ``create_deal`` with getTransaction, copies its
   (x25519 key, nonce, ciphertexts) into a replica deal it controls, then would probe it with
   tiny offers at chosen prices. Refused on-chain (``InputNotBound``) before anything is queued;
   re-deriving the nonce for its own deal only makes the node refuse the input (the deal aborts,
   nothing is sealed to anyone), so there is no replica to probe (``DealAborted``).
2. **Amount extraction.** The thief copies a victim's ``submit_offer`` into its own deal (known
   price, huge amount, partial fills) to read the amount from its own DealSettled. Refused
   (``InputNotBound``); the re-derived-nonce variant aborts the thief's offer and leaves its
   deal's encrypted state exactly as it was, so nothing the thief can ever get sealed depends on
   the copied amount.

Variants: the copy submitted *before* the victim's transaction lands (refused, and the victim's
transaction still succeeds); the same deal from another signer; the owner replaying its own tuple
(``InputAlreadyUsed`` / ``InputNotBound``); copying a deal's Enc<Mxe> state into a computation
the thief controls (raw arcium.queue_computation: ``UnauthorizedCaller``; mixing accounts:
``WrongDeal`` / ``EncryptionKeyMismatch``). Every refusal asserts the named error and that
nothing moved: the victim's deal/offer bytes, the victim's lamports, the arcium queue, and the
thief paid only its transaction fee.

The thief's side uses no wallet code: JSON-RPC, the public IDL, raw solders transactions.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from protocol import arcium_codec as ac
from protocol import otc_binding
from protocol import otc_codec as otc
from protocol.program_ids import ARCIUM_PROGRAM_ID, OTC_PROGRAM_ID, SYSTEM_PROGRAM_ID
from tests.integration.otc_rpc_harness import OtcRpc
from tests.unit.otc_bank_harness import Party

P1 = otc.PRICE_ONE
ERR = otc.OTC_IDL.error_code


@pytest.fixture(scope="module")
def h(localnet):
    client = OtcRpc(localnet.rpc_url, localnet.ws_url, localnet.usdc_mint)
    yield client
    client.close()


# -- the thief's tools: JSON-RPC, the IDL, raw transactions --------------------------------------
def custom(err) -> int | None:
    if isinstance(err, dict) and "InstructionError" in err:
        inner = err["InstructionError"][1]
        return inner.get("Custom") if isinstance(inner, dict) else None
    return None


def stolen_instruction(h, account: Pubkey, name: str) -> dict:
    """The arguments of the first ``name`` instruction in ``account``'s history (getTransaction)."""
    sigs = h.rpc.call("getSignaturesForAddress", str(account), {"commitment": "confirmed"})
    for info in reversed(sigs):                       # oldest first
        tx = h.rpc.call("getTransaction", info["signature"],
                        {"encoding": "base64", "commitment": "confirmed", "maxSupportedTransactionVersion": 0})
        msg = VersionedTransaction.from_bytes(base64.b64decode(tx["transaction"][0])).message
        keys = msg.account_keys
        for ix in msg.instructions:
            if keys[ix.program_id_index] == OTC_PROGRAM_ID:
                got, args = otc.OTC_IDL.decode_instruction(bytes(ix.data))
                if got == name:
                    return args
    raise AssertionError(f"no {name} in the history of {account}")


def raw_ix(name: str, args: dict, accounts: dict[str, Pubkey]) -> Instruction:
    return Instruction(OTC_PROGRAM_ID, otc.OTC_IDL.encode_instruction(name, args),
                       otc.OTC_IDL.account_metas(name, accounts))


def send_raw(h, ixs: list[Instruction], signers: list[Keypair]) -> tuple[object, int]:
    """Send unsimulated, wait for it; (error, fee charged)."""
    bh = Hash.from_string(h.rpc.call("getLatestBlockhash", {"commitment": "confirmed"})["value"]["blockhash"])
    tx = VersionedTransaction(MessageV0.try_compile(signers[0].pubkey(), ixs, [], bh), signers)
    sig = h.rpc.call("sendTransaction", base64.b64encode(bytes(tx)).decode(), {"encoding": "base64",
                                                                                "skipPreflight": True})
    err, _ = h.rpc.confirm(sig)
    meta = h.rpc.call("getTransaction", sig, {"encoding": "json", "commitment": "confirmed",
                                              "maxSupportedTransactionVersion": 0})["meta"]
    return err, meta["fee"]


def create_deal_accounts(payer: Pubkey, create_key: Pubkey, mint: Pubkey, key: bytes, nonce: int,
                         offset: int) -> dict[str, Pubkey]:
    return {"payer": payer, "create_key": create_key, "deal": otc.deal_pda(create_key)[0],
            "input_record": otc.input_record_pda(key, nonce)[0], "base_mint": mint, "quote_mint": mint,
            **otc.OTC_ARCIUM.queue_accounts("create_deal", offset)}


def submit_offer_accounts(payer: Pubkey, create_key: Pubkey, deal: Pubkey, key: bytes, nonce: int,
                          offset: int) -> dict[str, Pubkey]:
    return {"payer": payer, "create_key": create_key, "deal": deal, "offer": otc.offer_pda(deal, create_key)[0],
            "input_record": otc.input_record_pda(key, nonce)[0],
            **otc.OTC_ARCIUM.queue_accounts("submit_offer", offset)}


# -- what must not move ---------------------------------------------------------------------------
@dataclass
class Snapshot:
    accounts: dict[str, bytes | None]
    lamports: dict[str, int]
    queued_total: int


def lamports(h, key: Pubkey) -> int:
    return h.rpc.call("getBalance", str(key), {"commitment": "confirmed"})["value"]


def snapshot(h, accounts: list[Pubkey], wallets: list[Pubkey]) -> Snapshot:
    mempool = ac.ARCIUM_IDL.decode_account("Mempool", h.rpc.account_data(otc.OTC_ARCIUM.queue_accounts(
        "create_deal", 0)["mempool"]))
    return Snapshot({str(k): h.rpc.account_data(k) for k in accounts}, {str(w): lamports(h, w) for w in wallets},
                    mempool["queued_total"])


def assert_refused(h, err, fee: int, name: str, before: Snapshot, thief: Party, *, idl=otc.OTC_IDL) -> None:
    """The named error, and nothing moved: watched accounts, watched wallets, the queue; the thief
    paid its fee and nothing else."""
    assert custom(err) == idl.error_code(name), err
    after = snapshot(h, [Pubkey.from_string(k) for k in before.accounts],
                     [Pubkey.from_string(k) for k in before.lamports])
    assert after.accounts == before.accounts
    assert after.queued_total == before.queued_total, "a computation was queued"
    thief_key = str(thief.wallet.pubkey())
    for wallet, amount in before.lamports.items():
        assert after.lamports[wallet] == amount - (fee if wallet == thief_key else 0), wallet


def funded(h) -> Party:
    p = Party()
    h.fund(p)
    return p


def open_deal(h, creator: Party, amount: int, price: int, allow_partial: bool = False) -> Pubkey:
    deal, err = h.create_deal(creator, amount, price, allow_partial=allow_partial)
    assert err is None
    _, ev = h.events.wait("DealCreated", lambda f: f["deal"] == deal)
    assert h.open_sealed(ev, 2, creator, otc.DEAL_CREATED_BLOB) == [amount, price]
    return deal


def now(h) -> int:
    slot = h.rpc.call("getSlot", {"commitment": "confirmed"})
    return h.rpc.call("getBlockTime", slot)


# -- attack 1: replica deal to probe the victim's secret price -----------------------------------
def test_replayed_create_deal_cannot_build_a_probe_replica(h):
    victim, thief = funded(h), funded(h)
    victim_deal = open_deal(h, victim, 1000, 2 * P1 + 12345)
    stolen = stolen_instruction(h, victim_deal, "create_deal")
    watched = [victim_deal, otc.input_record_pda(stolen["encryption_pubkey"], stolen["nonce"])[0]]
    wallets = [victim.wallet.pubkey(), thief.wallet.pubkey()]

    # the replica: the victim's tuple verbatim, in a deal the thief creates, controls and pays for
    ck, offset = Keypair(), otc.random_computation_offset()
    replica = otc.deal_pda(ck.pubkey())[0]
    args = {**stolen, "computation_offset": offset, "controller": thief.wallet.pubkey(), "allow_partial": True,
            "expires_at": now(h) + 3600}
    before = snapshot(h, watched + [replica], wallets)
    err, fee = send_raw(h, [raw_ix("create_deal", args, create_deal_accounts(
        thief.wallet.pubkey(), ck.pubkey(), h.usdc, stolen["encryption_pubkey"], stolen["nonce"], offset))],
        [thief.wallet, ck])
    assert_refused(h, err, fee, "InputNotBound", before, thief)
    assert h.rpc.account_data(replica) is None

    # the thief re-derives the nonce for its own replica and keeps the victim's ciphertexts: the
    # program cannot see plaintext so it queues it; the node decrypts noise and refuses it
    ck, offset, salt = Keypair(), otc.random_computation_offset(), 424242
    replica = otc.deal_pda(ck.pubkey())[0]
    nonce = otc_binding.input_nonce("create_deal", thief.wallet.pubkey(), replica, stolen["encryption_pubkey"], salt)
    before = snapshot(h, watched, [victim.wallet.pubkey()])
    err, _ = send_raw(h, [raw_ix("create_deal", {**args, "computation_offset": offset, "nonce": nonce,
                                                  "nonce_salt": salt}, create_deal_accounts(
        thief.wallet.pubkey(), ck.pubkey(), h.usdc, stolen["encryption_pubkey"], nonce, offset))], [thief.wallet, ck])
    assert err is None
    _, aborted = h.events.wait("ComputationAborted", lambda f: f["account"] == replica)
    assert aborted["reason"] == ac.FAILURE_REJECTED
    assert not [e for e in h.events.events if e[2] == "DealCreated" and e[3]["deal"] == replica]
    assert otc.decode_deal(h.rpc.account_data(replica))["status"] == otc.DEAL_ABORTED
    after = snapshot(h, watched, [victim.wallet.pubkey()])      # (this one was queued, by design)
    assert (after.accounts, after.lamports) == (before.accounts, before.lamports)

    # no replica, no probe: the thief's first probe offer is refused before anything is queued
    probe_ck, offset = Keypair(), otc.random_computation_offset()
    probe = otc.offer_input(thief.secret, h.mxe_pub, thief.wallet.pubkey(),
                            otc.offer_pda(replica, probe_ck.pubkey())[0], 2 * P1, 1)
    before = snapshot(h, watched + [replica], wallets)
    err, fee = send_raw(h, [raw_ix("submit_offer", {
        "computation_offset": offset, "controller": thief.wallet.pubkey(), "encryption_pubkey": probe.encryption_pubkey,
        "nonce": probe.nonce, "nonce_salt": probe.nonce_salt, "encrypted_price": probe.ciphertexts[0],
        "encrypted_amount": probe.ciphertexts[1]}, submit_offer_accounts(
        thief.wallet.pubkey(), probe_ck.pubkey(), replica, probe.encryption_pubkey, probe.nonce, offset))],
        [thief.wallet, probe_ck])
    assert_refused(h, err, fee, "DealAborted", before, thief)


def test_copy_front_running_the_victim_is_refused_and_does_not_block_it(h):
    """The thief sees the victim's signed create_deal before it lands (a mempool, a relayer) and
    submits its copy first: refused all the same, and the victim's own transaction still works
    (a first-come input record alone would have let the thief burn the victim's input)."""
    victim, thief = funded(h), funded(h)
    ck = Keypair()
    victim_deal = otc.deal_pda(ck.pubkey())[0]
    bound = otc.deal_input(victim.secret, h.mxe_pub, victim.wallet.pubkey(), victim_deal, 4321, 3 * P1 + 99)
    offset = otc.random_computation_offset()
    args = {"computation_offset": offset, "controller": victim.wallet.pubkey(),
            "encryption_pubkey": bound.encryption_pubkey, "nonce": bound.nonce, "nonce_salt": bound.nonce_salt,
            "expires_at": now(h) + 3600, "allow_partial": False, "encrypted_amount": bound.ciphertexts[0],
            "encrypted_price": bound.ciphertexts[1]}
    bh = Hash.from_string(h.rpc.call("getLatestBlockhash", {"commitment": "confirmed"})["value"]["blockhash"])
    victim_tx = VersionedTransaction(MessageV0.try_compile(victim.wallet.pubkey(), [raw_ix(
        "create_deal", args, create_deal_accounts(victim.wallet.pubkey(), ck.pubkey(), h.usdc,
                                                  bound.encryption_pubkey, bound.nonce, offset))], [], bh),
        [victim.wallet, ck])
    # what the thief sees: the signed bytes
    msg = VersionedTransaction.from_bytes(bytes(victim_tx)).message
    _, seen = otc.OTC_IDL.decode_instruction(bytes(msg.instructions[0].data))
    thief_ck, thief_offset = Keypair(), otc.random_computation_offset()
    record = otc.input_record_pda(seen["encryption_pubkey"], seen["nonce"])[0]
    before = snapshot(h, [victim_deal, record], [victim.wallet.pubkey(), thief.wallet.pubkey()])
    err, fee = send_raw(h, [raw_ix("create_deal", {**seen, "computation_offset": thief_offset,
                                                   "controller": thief.wallet.pubkey()}, create_deal_accounts(
        thief.wallet.pubkey(), thief_ck.pubkey(), h.usdc, seen["encryption_pubkey"], seen["nonce"], thief_offset))],
        [thief.wallet, thief_ck])
    assert_refused(h, err, fee, "InputNotBound", before, thief)
    assert before.accounts[str(record)] is None             # the victim's input is still unused
    sig = h.rpc.call("sendTransaction", base64.b64encode(bytes(victim_tx)).decode(), {"encoding": "base64"})
    assert h.rpc.confirm(sig)[0] is None
    _, ev = h.events.wait("DealCreated", lambda f: f["deal"] == victim_deal)
    assert h.open_sealed(ev, 2, victim, otc.DEAL_CREATED_BLOB) == [4321, 3 * P1 + 99]


# -- attack 2: the victim's offer in the thief's own deal, to read its amount -------------------------
def test_replayed_submit_offer_cannot_fill_the_thiefs_deal(h):
    creator, victim, thief = funded(h), funded(h), funded(h)
    deal = open_deal(h, creator, 1000, P1)
    victim_offer, err, _ = h.submit_offer(victim, deal, 2 * P1, 314)
    assert err is None
    _, ev = h.events.wait("OfferCreated", lambda f: f["offer"] == victim_offer)
    assert h.open_sealed(ev, 2, victim, otc.OFFER_CREATED_BLOB) == [2 * P1, 314]
    # the thief's own deal: known price, a huge amount, partial fills allowed
    thief_deal = open_deal(h, thief, 10**15, 1, allow_partial=True)
    stolen = stolen_instruction(h, victim_offer, "submit_offer")
    watched = [deal, victim_offer, thief_deal, otc.input_record_pda(stolen["encryption_pubkey"], stolen["nonce"])[0]]
    wallets = [victim.wallet.pubkey(), creator.wallet.pubkey(), thief.wallet.pubkey()]

    # verbatim into the thief's deal, and into the victim's own deal from the thief's signer
    for target in (thief_deal, deal):
        ck, offset = Keypair(), otc.random_computation_offset()
        before = snapshot(h, watched + [otc.offer_pda(target, ck.pubkey())[0]], wallets)
        err, fee = send_raw(h, [raw_ix("submit_offer", {
            **stolen, "computation_offset": offset, "controller": thief.wallet.pubkey()}, submit_offer_accounts(
            thief.wallet.pubkey(), ck.pubkey(), target, stolen["encryption_pubkey"], stolen["nonce"], offset))],
            [thief.wallet, ck])
        assert_refused(h, err, fee, "InputNotBound", before, thief)

    # nonce re-derived for the thief's offer: queued, refused by the node; the thief's offer aborts
    # and its deal's encrypted state is byte for byte what it was (no fill from the copied amount)
    ck, offset, salt = Keypair(), otc.random_computation_offset(), 7
    offer = otc.offer_pda(thief_deal, ck.pubkey())[0]
    nonce = otc_binding.input_nonce("submit_offer", thief.wallet.pubkey(), offer, stolen["encryption_pubkey"], salt)
    state_before = otc.decode_deal(h.rpc.account_data(thief_deal))
    victim_before = snapshot(h, [deal, victim_offer], [victim.wallet.pubkey(), creator.wallet.pubkey()])
    err, _ = send_raw(h, [raw_ix("submit_offer", {
        **stolen, "computation_offset": offset, "controller": thief.wallet.pubkey(), "nonce": nonce,
        "nonce_salt": salt}, submit_offer_accounts(thief.wallet.pubkey(), ck.pubkey(), thief_deal,
                                                   stolen["encryption_pubkey"], nonce, offset))], [thief.wallet, ck])
    assert err is None
    _, aborted = h.events.wait("ComputationAborted", lambda f: f["account"] == offer)
    assert aborted["reason"] == ac.FAILURE_REJECTED
    assert not [e for e in h.events.events if e[2] == "OfferCreated" and e[3]["offer"] == offer]
    state_after = otc.decode_deal(h.rpc.account_data(thief_deal))
    assert (state_after["state_nonce"], state_after["encrypted_state"]) == \
        (state_before["state_nonce"], state_before["encrypted_state"])
    assert otc.decode_offer(h.rpc.account_data(offer))["status"] == otc.OFFER_ABORTED
    after = snapshot(h, [deal, victim_offer], [victim.wallet.pubkey(), creator.wallet.pubkey()])
    assert (after.accounts, after.lamports) == (victim_before.accounts, victim_before.lamports)


# -- the owner replaying its own tuple -----------------------------------------------------------
def test_owner_cannot_use_an_input_twice(h):
    owner = funded(h)
    ck = Keypair()
    deal = otc.deal_pda(ck.pubkey())[0]
    bound = otc.deal_input(owner.secret, h.mxe_pub, owner.wallet.pubkey(), deal, 60, P1)
    args = {"computation_offset": otc.random_computation_offset(), "controller": owner.wallet.pubkey(),
            "encryption_pubkey": bound.encryption_pubkey, "nonce": bound.nonce, "nonce_salt": bound.nonce_salt,
            "expires_at": now(h) + 3600, "allow_partial": False, "encrypted_amount": bound.ciphertexts[0],
            "encrypted_price": bound.ciphertexts[1]}

    def accounts(a: dict, key: Keypair) -> dict[str, Pubkey]:
        return create_deal_accounts(owner.wallet.pubkey(), key.pubkey(), h.usdc, a["encryption_pubkey"], a["nonce"],
                                    a["computation_offset"])
    err, _ = send_raw(h, [raw_ix("create_deal", args, accounts(args, ck))], [owner.wallet, ck])
    assert err is None
    h.events.wait("DealCreated", lambda f: f["deal"] == deal)
    watched = [deal, otc.input_record_pda(bound.encryption_pubkey, bound.nonce)[0]]
    # the same tuple again into the same deal (a new transaction): InputAlreadyUsed
    again = {**args, "computation_offset": otc.random_computation_offset()}
    before = snapshot(h, watched, [owner.wallet.pubkey()])
    err, fee = send_raw(h, [raw_ix("create_deal", again, accounts(again, ck))], [owner.wallet, ck])
    assert_refused(h, err, fee, "InputAlreadyUsed", before, owner)
    # the same tuple into a fresh deal of the owner's: InputNotBound
    fresh = Keypair()
    again = {**args, "computation_offset": otc.random_computation_offset()}
    before = snapshot(h, watched + [otc.deal_pda(fresh.pubkey())[0]], [owner.wallet.pubkey()])
    err, fee = send_raw(h, [raw_ix("create_deal", again, accounts(again, fresh))], [owner.wallet, fresh])
    assert_refused(h, err, fee, "InputNotBound", before, owner)


# -- copying Enc<Mxe> state into a computation the thief controls -----------------------------------
def test_deal_state_cannot_be_read_into_the_thiefs_computation(h):
    creator, victim, thief = funded(h), funded(h), funded(h)
    deal = open_deal(h, creator, 900, 3 * P1)
    victim_offer, err, _ = h.submit_offer(victim, deal, 3 * P1, 100)
    assert err is None
    h.events.wait("OfferCreated", lambda f: f["offer"] == victim_offer)
    thief_deal = open_deal(h, thief, 10, P1)
    watched = [deal, victim_offer, thief_deal]
    wallets = [creator.wallet.pubkey(), victim.wallet.pubkey(), thief.wallet.pubkey()]

    # 1. queue directly on arcium: crank_deal over the victim's deal state, result to the thief's deal
    offset = otc.random_computation_offset()
    q = otc.OTC_ARCIUM.queue_accounts("crank_deal", offset)
    data = ac.ARCIUM_IDL.encode_instruction("queue_computation", {
        "computation_offset": offset,
        "arguments": otc.crank_deal_arguments(deal, thief.x25519, 1, True, True),
        "callback_accounts": [{"pubkey": thief_deal, "is_writable": True}]})
    names = ["payer", "sign_pda_account", "mxe", "mempool", "executing_pool", "computation", "comp_def",
             "cluster", "pool", "clock", "system_program"]
    keys = {**q, "payer": thief.wallet.pubkey(), "system_program": SYSTEM_PROGRAM_ID}
    metas = [AccountMeta(keys[n], n == "payer", n in ("payer", "mempool", "computation", "pool")) for n in names]
    before = snapshot(h, watched, wallets)
    err, fee = send_raw(h, [Instruction(ARCIUM_PROGRAM_ID, data, metas)], [thief.wallet])
    assert_refused(h, err, fee, "UnauthorizedCaller", before, thief, idl=ac.ARCIUM_IDL)

    # 2. through the OTC program: the victim's offer state under the thief's deal
    offset = otc.random_computation_offset()
    before = snapshot(h, watched, wallets)
    err, fee = send_raw(h, [raw_ix("crank_offer", {
        "computation_offset": offset, "offeror_encryption_pubkey": thief.x25519, "offeror_nonce": 1},
        {"payer": thief.wallet.pubkey(), "deal": thief_deal, "offer": victim_offer,
         **otc.OTC_ARCIUM.queue_accounts("crank_offer", offset)})], [thief.wallet])
    assert_refused(h, err, fee, "WrongDeal", before, thief)

    # 3. the victim's deal state cranked with the result sealed to the thief (after expiry anyone may
    #    crank, but only to the creator's key; before it, only the controller)
    offset = otc.random_computation_offset()
    before = snapshot(h, watched, wallets)
    err, fee = send_raw(h, [raw_ix("crank_deal", {
        "computation_offset": offset, "creator_encryption_pubkey": thief.x25519, "creator_nonce": 1},
        {"payer": thief.wallet.pubkey(), "deal": deal, **otc.OTC_ARCIUM.queue_accounts("crank_deal", offset)})],
        [thief.wallet])
    assert_refused(h, err, fee, "NotController", before, thief)
