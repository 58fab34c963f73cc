"""Drive the OTC + arcium programs on an in-process Bank, with the MXE node's steps run inline.

Used by tests/unit/test_otc_program.py and test_arcium_program.py: the same worker functions as
the real node process (localnet/mxe/worker.py), only the transport differs (Bank calls instead
of JSON-RPC).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from localnet.bank import Bank
from localnet.mxe import cluster as mxe_cluster
from localnet.mxe import keys as node_keys
from localnet.mxe import worker
from protocol import arcium_codec as ac
from protocol import arcium_encoding as enc
from protocol import otc_codec as otc
from protocol.program_ids import ARCIUM_PROGRAM_ID
from protocol.x25519 import x25519_public_key


def _tamper(ct: bytes) -> bytes:
    """Flip a bit high in the element: the value no longer fits a u64 (Rescue-CTR has no MAC, so a
    low-bit flip would pass as a different amount; only out-of-range values are detectable)."""
    return ct[:20] + bytes([ct[20] ^ 0x10]) + ct[21:]


@dataclass
class Party:
    wallet: Keypair = field(default_factory=Keypair)
    secret: bytes = field(default_factory=lambda: os.urandom(32))

    @property
    def x25519(self) -> bytes:
        return x25519_public_key(self.secret)


# -- instructions both harnesses send (in-process Bank here, JSON-RPC in otc_rpc_harness.py) --
def create_deal_ix(creator: Party, mxe_pub: bytes, mint: Pubkey, amount: int, price: int, expires_at: int,
                   allow_partial: bool, *, tamper: bool = False) -> tuple[Instruction, Keypair, Pubkey]:
    """The create_deal instruction with amount and price encrypted for the MXE; returns it, the
    create key that must sign it, and the deal's address."""
    create_key = Keypair()
    deal = otc.deal_pda(create_key.pubkey())[0]
    sealed = otc.deal_input(creator.secret, mxe_pub, creator.wallet.pubkey(), deal, amount, price)
    cts = list(sealed.ciphertexts)
    if tamper:
        cts[0] = _tamper(cts[0])
    ix = otc.create_deal_ix(
        payer=creator.wallet.pubkey(), create_key=create_key.pubkey(), base_mint=mint, quote_mint=mint,
        computation_offset=otc.random_computation_offset(), controller=creator.wallet.pubkey(),
        encryption_pubkey=creator.x25519, nonce=sealed.nonce, nonce_salt=sealed.nonce_salt, expires_at=expires_at,
        allow_partial=allow_partial, encrypted_amount=cts[0], encrypted_price=cts[1])
    return ix, create_key, deal


def submit_offer_ix(offeror: Party, mxe_pub: bytes, deal: Pubkey, price: int, amount: int, *,
                    tamper: bool = False) -> tuple[Instruction, Keypair, Pubkey]:
    """The submit_offer instruction (price and amount encrypted), its create key, the offer's address."""
    create_key = Keypair()
    offer = otc.offer_pda(deal, create_key.pubkey())[0]
    sealed = otc.offer_input(offeror.secret, mxe_pub, offeror.wallet.pubkey(), offer, price, amount)
    cts = list(sealed.ciphertexts)
    if tamper:
        cts[1] = _tamper(cts[1])
    ix = otc.submit_offer_ix(
        payer=offeror.wallet.pubkey(), create_key=create_key.pubkey(), deal=deal,
        computation_offset=otc.random_computation_offset(), controller=offeror.wallet.pubkey(),
        encryption_pubkey=offeror.x25519, nonce=sealed.nonce, nonce_salt=sealed.nonce_salt,
        encrypted_price=cts[0], encrypted_amount=cts[1])
    return ix, create_key, offer


def crank_deal_ix(payer: Party, deal: Pubkey, creator_x25519: bytes) -> Instruction:
    return otc.crank_deal_ix(payer=payer.wallet.pubkey(), deal=deal,
                             computation_offset=otc.random_computation_offset(),
                             creator_encryption_pubkey=creator_x25519)


def crank_offer_ix(payer: Party, deal: Pubkey, offer: Pubkey, offeror_x25519: bytes) -> Instruction:
    return otc.crank_offer_ix(payer=payer.wallet.pubkey(), deal=deal, offer=offer,
                              computation_offset=otc.random_computation_offset(),
                              offeror_encryption_pubkey=offeror_x25519)


class OtcBank:
    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.keys = node_keys.load(bank.ledger_dir)         # node 0 (computes; replicated mode)
        self.cluster = mxe_cluster.load_all_keys(bank.ledger_dir)  # every node signs each result
        self.mxe_pub = enc.mxe_x25519_public_key(bytes(bank.get_account(otc.OTC_ARCIUM.mxe).data))

    # -- transactions -------------------------------------------------------------------
    def send(self, ixs, signers):
        bh, _ = self.bank.latest_blockhash()
        msg = MessageV0.try_compile(signers[0].pubkey(), ixs, [], bh)
        return self.bank.process_transaction(VersionedTransaction(msg, signers))

    def ok(self, ixs, signers):
        res = self.send(ixs, signers)
        assert res.err is None, (res.err, res.logs)
        return res

    def fund(self, *parties: Party) -> None:
        for p in parties:
            assert self.bank.airdrop(p.wallet.pubkey(), 10 * 10**9).err is None

    @staticmethod
    def custom_code(res) -> int | None:
        err = res.err
        if isinstance(err, dict) and "InstructionError" in err:
            inner = err["InstructionError"][1]
            if isinstance(inner, dict):
                return inner.get("Custom")
        return None

    def deal(self, key: Pubkey) -> dict:
        return otc.decode_deal(bytes(self.bank.get_account(key).data))

    def offer(self, key: Pubkey) -> dict:
        return otc.decode_offer(bytes(self.bank.get_account(key).data))

    def events(self, res) -> list[tuple[str, dict]]:
        return otc.OTC_IDL.parse_events(res.logs)

    # -- the node's job, inline --------------------------------------------------------
    def queued(self) -> list[tuple[Pubkey, dict]]:
        found = self.bank.get_program_accounts(
            ARCIUM_PROGRAM_ID, memcmp=[(0, ac.COMPUTATION_DISCRIMINATOR), (ac.COMPUTATION_STATUS_OFFSET, b"\x00")])
        comps = [(k, ac.decode_computation(bytes(a.data))) for k, a in found]
        return sorted(comps, key=lambda kc: kc[1]["sequence"])

    def read(self, key: Pubkey) -> bytes | None:
        acc = self.bank.get_account(key)
        return None if acc is None else worker.otc_owned(acc.owner, acc.data)

    def run_node(self, keys=None) -> list:
        """Process every queued computation in queue order; returns the callback TxResults."""
        results = []
        for key, comp in self.queued():
            result = worker.compute(key, comp, self.read, self.keys)
            bh, _ = self.bank.latest_blockhash()
            res = self.bank.process_transaction(worker.callback_transaction(keys or self.cluster, result, comp, bh))
            results.append(res)
        return results

    # -- OTC flows ----------------------------------------------------------------------
    def create_deal(self, creator: Party, amount: int, price: int, *, expires_in: int = 3600,
                    allow_partial: bool = False, tamper: bool = False):
        ix, create_key, deal = create_deal_ix(creator, self.mxe_pub, self.bank.usdc_mint, amount, price,
                                              self.bank.unix_timestamp + expires_in, allow_partial, tamper=tamper)
        return deal, self.send([ix], [creator.wallet, create_key])

    def submit_offer(self, offeror: Party, deal: Pubkey, price: int, amount: int, *, tamper: bool = False):
        ix, create_key, offer = submit_offer_ix(offeror, self.mxe_pub, deal, price, amount, tamper=tamper)
        return offer, self.send([ix], [offeror.wallet, create_key])

    def crank_deal(self, payer: Party, deal: Pubkey, creator_x25519: bytes):
        return self.send([crank_deal_ix(payer, deal, creator_x25519)], [payer.wallet])

    def crank_offer(self, payer: Party, deal: Pubkey, offer: Pubkey, offeror_x25519: bytes):
        return self.send([crank_offer_ix(payer, deal, offer, offeror_x25519)], [payer.wallet])

    def sealed_event(self, results, name: str) -> dict:
        for res in results:
            for ev, fields in self.events(res):
                if ev == name:
                    return fields
        raise AssertionError(f"no {name} event")
