"""An in-memory ledger over the real runtime executor, for the zk-p2p program tests.

Why not the SQLite Bank for these: the programs, the SPL Token program and the runtime's rules
are the real ones (``localnet.runtime.executor.execute`` is what the Bank runs), but keeping
accounts in a dict lets a 1,000-step hypothesis run and the book benchmarks measure the programs
rather than fsyncs of two 1.6 MB book accounts per transaction. The end-to-end seed test runs on
the real localnet process instead (tests/integration/test_zkp2p_seed.py).

Proof checking is always the programs' production Groth16 path (alt_bn128 syscalls, keys read
from the VerifyingKey config accounts); there is no verifier switch. ``Ledger()`` installs
simulated-setup keys (``SimulatedGroth16``: the test knows the trapdoor, so it can make a valid
proof for any public inputs in about a millisecond); ``Ledger(keys="circuits")`` keeps the real
circuit keys genesis loads from resources/circuits, for real prover proofs.
"""
from __future__ import annotations

import functools
import hashlib
import struct

from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from localnet.programs.market.genesis import market_accounts
from localnet.programs.registry import loader_for, program_map
from localnet.runtime.accounts import StoredAccount
from localnet.runtime.executor import execute
from localnet.runtime.message import SanitizedTx
from localnet.runtime.program_api import Clock, Rent
from protocol import market_codec as mc
from protocol.idl import load_idl
from protocol.program_ids import SYSTEM_PROGRAM_ID, TOKEN_PROGRAM_ID

MARKET = load_idl("market")
STORE = load_idl("order_store")
PROCESSOR = load_idl("order_processor")
RENT = Rent()
START_TIME = 1_750_000_000


def mint_bytes(authority: Pubkey, supply: int = 0) -> bytes:
    return struct.pack("<I", 1) + bytes(authority) + struct.pack("<QB?", supply, 6, True) + struct.pack("<I", 0) + bytes(32)


def token_bytes(mint: Pubkey, owner: Pubkey, amount: int) -> bytes:
    data = bytearray(165)
    data[0:32], data[32:64] = bytes(mint), bytes(owner)
    struct.pack_into("<Q", data, 64, amount)
    data[108] = 1
    return bytes(data)


class Result:
    def __init__(self, outcome) -> None:
        self.err = outcome.err
        self.logs = outcome.logs
        self.cu = outcome.compute_units_consumed

    @property
    def custom(self) -> int | None:
        if isinstance(self.err, dict) and "InstructionError" in self.err:
            inner = self.err["InstructionError"][1]
            return inner.get("Custom") if isinstance(inner, dict) else None
        return None

    def events(self, idl=MARKET) -> list:
        return idl.parse_events(self.logs)


class Ledger:
    """Accounts in a dict; transactions run through the real executor and commit atomically."""

    def __init__(self, notary_keys: list[tuple[int, int]] | None = None, *, keys: str = "simulated",
                 book_capacity: int = 512, circuits_dir=None, extra_programs: list | None = None) -> None:
        if keys not in ("simulated", "circuits"):
            raise ValueError(f"keys must be 'simulated' or 'circuits', not {keys!r}")
        self.accounts: dict[Pubkey, StoredAccount] = {}
        self.now = START_TIME
        self.slot = 1
        # exactly the cluster's deployed programs, unless a test replaces one at its own id
        self.programs = program_map(extra_programs)
        for pid, program in self.programs.items():
            self.accounts[pid] = StoredAccount(1, b"", loader_for(program), True)
        self.mint_authority = Keypair()
        self.mint = Pubkey.new_unique()
        self.put(self.mint, TOKEN_PROGRAM_ID, mint_bytes(self.mint_authority.pubkey()))
        self.notary_keys = notary_keys or [(1, 2)]
        for key, owner, data in market_accounts(self.mint, self.notary_keys, book_capacity, circuits_dir):
            self.put(key, owner, data)
        self.addr = mc.market_addresses(self.mint)
        self.sim: tuple[SimulatedGroth16, SimulatedGroth16] | None = None
        if keys == "simulated":
            self.sim = install_simulated_keys(self)

    # ------------------------------------------------------------ state
    def put(self, key: Pubkey, owner: Pubkey, data: bytes, lamports: int | None = None) -> None:
        self.accounts[key] = StoredAccount(RENT.minimum_balance(len(data)) if lamports is None else lamports,
                                           bytes(data), owner)

    def data(self, key: Pubkey) -> bytes:
        acc = self.accounts.get(key)
        return b"" if acc is None else acc.data

    def token_balance(self, key: Pubkey) -> int:
        return struct.unpack_from("<Q", self.data(key), 64)[0]

    def new_user(self, usdc: int = 0) -> tuple[Keypair, Pubkey]:
        """A funded wallet and its USDC token account."""
        kp = Keypair()
        self.accounts[kp.pubkey()] = StoredAccount(10**12, b"", SYSTEM_PROGRAM_ID)
        token = Pubkey.new_unique()
        self.put(token, TOKEN_PROGRAM_ID, token_bytes(self.mint, kp.pubkey(), usdc))
        return kp, token

    def queue(self) -> dict:
        return mc.decode_queue(self.data(self.addr["settlement_queue"]))

    def record(self, order_id: int) -> dict:
        """MatchedOrder ``order_id``, live or archived (protocol.market_codec.lookup_record)."""
        queue = self.data(self.addr["settlement_queue"])
        archive = self.accounts.get(mc.archived_order_address(self.addr["market"], order_id))
        rec = mc.lookup_record(queue, order_id, bytes(archive.data) if archive else None)
        if rec is None:
            raise KeyError(f"no matched order {order_id}")
        return rec

    def book(self, side: str) -> list[mc.RestingOrder]:
        return list(mc.iter_book(self.data(self.addr["bids" if side == "Bid" else "asks"])))

    def warp(self, seconds: int) -> None:
        self.now += seconds

    # ------------------------------------------------------------ transactions
    def send(self, ixs: list[Instruction], signers: list[Keypair], *, cu_limit: int | None = None) -> Result:
        from solders.compute_budget import set_compute_unit_limit

        if cu_limit:
            ixs = [set_compute_unit_limit(cu_limit), *ixs]
        self.slot += 1
        blockhash = Hash(hashlib.sha256(self.slot.to_bytes(8, "little")).digest())
        msg = MessageV0.try_compile(signers[0].pubkey(), ixs, [], blockhash)
        tx = VersionedTransaction(msg, signers)
        stx = SanitizedTx(tx, len(bytes(tx)))
        loaded = [self.accounts.get(k) for k in stx.keys]
        clock = Clock(self.slot, START_TIME, 0, 1, self.now)
        outcome = execute(stx, loaded, self.programs, clock, RENT)
        for acc, writable in zip(outcome.accounts, stx.writable):
            if writable:
                stored = acc.to_stored()
                if stored is None:
                    self.accounts.pop(acc.key, None)
                else:
                    self.accounts[acc.key] = stored
        return Result(outcome)

    # ------------------------------------------------------------ instructions
    def ix(self, idl, name: str, args: dict, **accounts: Pubkey) -> Instruction:
        merged = {**self.addr, **accounts}
        return idl.instruction(name, args, {n: merged[n] for n in idl.account_names(name) if n in merged})

    def ask(self, seller: Keypair, token: Pubkey, price: int, size: int, payee: bytes) -> Instruction:
        return self.ix(MARKET, "place_ask_order", {"price": price, "size": size, "payee_commitment": payee},
                       seller=seller.pubkey(), seller_token=token)

    def bid(self, bidder: Keypair, price: int, size: int, proof: dict, min_timestamp: int | None = None,
            attester_index: int = 0, *, reserved: int | None = None, tag: bytes | None = None,
            bonds: list[Pubkey] | None = None) -> Instruction:
        """place_bid_order with the reservation PDA of ``tag`` (default: ``tag_for(bidder)``), the
        current reserved total unless given, and the bond PDAs of the next matched order ids for
        every crossing ask (at most 8) as remaining accounts unless ``bonds`` is given."""
        from protocol.market_pdas import reservation

        if tag is None:  # real circuit proofs attest one rail account (CircuitProofs)
            tag = self.tag_for(bidder.pubkey()) if self.sim is not None else CircuitProofs.tag_bytes()
        ix = self.ix(MARKET, "place_bid_order", {
            "price": price, "size": size, "attester_index": attester_index,
            "min_timestamp": self.now - 60 if min_timestamp is None else min_timestamp, "proof": proof,
            "reserved": self.reserved(tag) if reserved is None else reserved, "account_tag": tag},
            bidder=bidder.pubkey(), reservation=reservation(tag)[0])
        bonds = self.next_bonds(price) if bonds is None else bonds
        return Instruction(ix.program_id, ix.data, [*ix.accounts, *(AccountMeta(b, False, True) for b in bonds)])

    # ------------------------------------------------------------ reservations and bonds
    @staticmethod
    def tag_for(bidder: Pubkey) -> bytes:
        """A per-bidder account tag for simulated proofs (real proofs use the attestation's)."""
        return b"\x00" + hashlib.sha256(b"tag" + bytes(bidder)).digest()[1:]

    def reserved(self, tag: bytes) -> int:
        from protocol.market_pdas import reservation

        data = self.data(reservation(tag)[0])
        return MARKET.decode_account("Reservation", data)["reserved"] if data else 0

    def next_bonds(self, price: int) -> list[Pubkey]:
        """Bond PDAs for the next matched order ids, one per ask crossing ``price`` (at most 8)."""
        from protocol.market_pdas import bond

        crossing = sum(1 for o in self.book("Ask") if o.price <= price)
        first = mc.queue_count(self.data(self.addr["settlement_queue"]))
        return [bond(self.addr["market"], first + i)[0] for i in range(min(8, crossing))]

    def bond_state(self, order_id: int) -> dict | None:
        from protocol.market_pdas import bond

        data = self.data(bond(self.addr["market"], order_id)[0])
        return MARKET.decode_account("MatchBond", data) if data else None

    def bond_accounts(self, order_id: int) -> dict[str, Pubkey]:
        """The bond, reservation and buyer/seller wallet accounts of a matched order."""
        from protocol.market_pdas import bond, reservation

        queue = self.data(self.addr["settlement_queue"])   # by id: the window may have slid (archives)
        rec = mc.lookup_record(queue, order_id, self.data(mc.archived_order_address(self.addr["market"], order_id)))
        if rec is None:
            raise KeyError(f"no matched order {order_id}")
        state = self.bond_state(order_id)
        tag = bytes(state["account_tag"]) if state else bytes(32)
        return {"bond": bond(self.addr["market"], order_id)[0], "reservation": reservation(tag)[0],
                "buyer": rec["buyer"], "seller": rec["seller"]}

    def lamports(self, key: Pubkey) -> int:
        acc = self.accounts.get(key)
        return 0 if acc is None else acc.lamports

    def cancel(self, owner: Keypair, token: Pubkey, side: str, order_id: int) -> Instruction:
        return self.ix(MARKET, "cancel_order", {"side": side, "order_id": order_id}, owner=owner.pubkey(),
                       owner_token=token)

    def finalize(self, payer: Keypair, order_id: int, nullifier: bytes, proof: dict, buyer_token: Pubkey,
                 attester_index: int = 0) -> Instruction:
        from protocol.market_pdas import nullifier as nullifier_pda

        return self.ix(PROCESSOR, "finalize_trade", {"order_id": order_id, "attester_index": attester_index,
                                                     "nullifier": nullifier, "proof": proof},
                       payer=payer.pubkey(), nullifier_record=nullifier_pda(nullifier)[0], buyer_token=buyer_token,
                       **self.bond_accounts(order_id))

    def reclaim(self, order_id: int, seller_token: Pubkey) -> Instruction:
        return self.ix(MARKET, "reclaim_expired", {"order_id": order_id}, seller_token=seller_token,
                       **self.bond_accounts(order_id))

    # ------------------------------------------------------------ simulated-setup proofs
    def solvency_proof(self, public_inputs: list[int]) -> dict:
        """A valid proof, under the installed simulated solvency key, of exactly these inputs."""
        assert self.sim is not None, "Ledger(keys='circuits') takes real prover proofs"
        return self.sim[0].prove(public_inputs)

    def payment_proof(self, public_inputs: list[int]) -> dict:
        assert self.sim is not None, "Ledger(keys='circuits') takes real prover proofs"
        return self.sim[1].prove(public_inputs)

    def bid_proof(self, bidder: Pubkey, price: int, size: int, min_timestamp: int, *,
                  reserved: int | None = None, tag: bytes | None = None) -> dict:
        return self.solvency_proof(self.solvency_inputs(bidder, price, size, min_timestamp, reserved=reserved, tag=tag))

    def pay_proof(self, order_id: int, nullifier: int) -> dict:
        return self.payment_proof(self.payment_inputs(order_id, nullifier))

    # ------------------------------------------------------------ public inputs (what the programs compute)
    def key_hash(self, index: int = 0) -> int:
        from protocol.attestation import notary_key_hash

        return notary_key_hash(self.notary_keys[index])

    def solvency_inputs(self, bidder: Pubkey, price: int, size: int, min_timestamp: int,
                        key_hash: int | None = None, *, reserved: int | None = None,
                        tag: bytes | None = None) -> list[int]:
        """``key_hash`` overrides the notary (default: the registry's entry 0), e.g. an unregistered one;
        ``reserved``/``tag`` default to the bidder's tag and its current reservation."""
        from protocol.attestation import pubkey_to_fields
        from protocol.units import fiat_due

        hi, lo = pubkey_to_fields(bytes(bidder))
        tag = self.tag_for(bidder) if tag is None else tag
        reserved = self.reserved(tag) if reserved is None else reserved
        return [self.key_hash() if key_hash is None else key_hash, hi, lo, min_timestamp, fiat_due(size, price),
                reserved, int.from_bytes(tag, "big")]

    def payment_inputs(self, order_id: int, nullifier: int, key_hash: int | None = None) -> list[int]:
        from protocol.attestation import order_reference

        rec = self.record(order_id)
        ref = order_reference(bytes(rec["market"]), order_id, bytes(rec["buyer"]))
        return [self.key_hash() if key_hash is None else key_hash, ref,
                int.from_bytes(rec["payee_commitment"], "big"), rec["fiat_due"], rec["matched_at"], nullifier]


# ------------------------------------------------------------------ simulated Groth16 setup
_G1_WINDOW = 8
_G1_TABLE: list[list] = []


def _fixed_base_g1(k: int):
    """k·G1 (Jacobian) from a table of G1 multiples per 8-bit window: 32 additions instead of
    py_ecc's ~380-step double-and-add, so a simulated proof costs about a millisecond."""
    from py_ecc import optimized_bn128 as ob

    if not _G1_TABLE:
        base = ob.G1
        for _ in range(256 // _G1_WINDOW):
            row, acc = [None], None
            for _ in range((1 << _G1_WINDOW) - 1):
                acc = base if acc is None else ob.add(acc, base)
                row.append(acc)
            _G1_TABLE.append(row)
            base = ob.add(acc, base)  # 2^8 · base
    acc = ob.Z1
    for window, row in enumerate(_G1_TABLE):
        digit = (k >> (window * _G1_WINDOW)) & ((1 << _G1_WINDOW) - 1)
        if digit:
            acc = ob.add(acc, row[digit])
    return acc


class SimulatedGroth16:
    """A Groth16 verifying key whose trapdoor we know, and proofs made with it.

    Why: it runs the programs' production verifier (alt_bn128 syscalls, encodings, A negated,
    the key read from the config account) on every bid and finalize of the unit and stateful
    tests, at test speed. A proof (A, B, C) is valid iff a·b = α·β + s·γ + c·δ (mod r) with
    s = ic0 + Σ xᵢ·icᵢ₊₁, so knowing every discrete log we pick a, b and solve for c — the
    zero-knowledge simulator. B is drawn from a small pool so the runtime's (cached) G2
    subgroup check stays cheap. It says nothing about the circuits; real prover proofs are
    checked by tests/integration/test_zkp2p_seed.py and bench/compute_units.py.
    """

    def __init__(self, n_public: int, circuit: str, seed: int = 7) -> None:
        import random

        from py_ecc import optimized_bn128 as ob

        self.ob = ob
        self.r = ob.curve_order
        rng = random.Random(seed)
        self.rng = rng
        self.alpha, self.beta, self.gamma, self.delta = (rng.randrange(1, self.r) for _ in range(4))
        self.ic = [rng.randrange(1, self.r) for _ in range(n_public + 1)]
        self.vk = {"circuit": circuit, "alpha_g1": self.g1(self.alpha), "beta_g2": self.g2(self.beta),
                   "gamma_g2": self.g2(self.gamma), "delta_g2": self.g2(self.delta),
                   "ic": [self.g1(x) for x in self.ic]}
        self.b_pool = [(b, self.g2(b)) for b in (rng.randrange(1, self.r) for _ in range(4))]

    def g1(self, k: int, negate: bool = False) -> bytes:
        x, y = self.ob.normalize(_fixed_base_g1(k % self.r))
        y = -y if negate else y
        return int(x).to_bytes(32, "big") + int(y).to_bytes(32, "big")

    def g2(self, k: int) -> bytes:
        ob = self.ob
        x, y = ob.normalize(ob.multiply(ob.G2, k % self.r))
        return b"".join(int(c).to_bytes(32, "big") for c in (x.coeffs[1], x.coeffs[0], y.coeffs[1], y.coeffs[0]))

    def prove(self, public_inputs: list[int]) -> dict:
        r = self.r
        s = (self.ic[0] + sum(x * k for x, k in zip(public_inputs, self.ic[1:]))) % r
        a = self.rng.randrange(1, r)
        b, b_bytes = self.rng.choice(self.b_pool)
        c = (a * b - self.alpha * self.beta - s * self.gamma) * pow(self.delta, -1, r) % r
        return {"a": self.g1(a, negate=True), "b": b_bytes, "c": self.g1(c)}


@functools.lru_cache(maxsize=1)
def simulated_keys() -> tuple[SimulatedGroth16, SimulatedGroth16]:
    """One simulated setup per test process: making a key costs ~1 s of py_ecc G2 arithmetic."""
    return SimulatedGroth16(7, "solvency", 11), SimulatedGroth16(6, "payment", 13)


def install_simulated_keys(ledger: "Ledger") -> tuple[SimulatedGroth16, SimulatedGroth16]:
    """Write simulated solvency/payment verifying keys into the ledger's config accounts."""
    from protocol.program_ids import MARKET_PROGRAM_ID, ORDER_PROCESSOR_PROGRAM_ID

    solvency, payment = simulated_keys()
    ledger.put(ledger.addr["solvency_vk"], MARKET_PROGRAM_ID, MARKET.encode_account("VerifyingKey", solvency.vk))
    ledger.put(ledger.addr["payment_vk"], ORDER_PROCESSOR_PROGRAM_ID, PROCESSOR.encode_account("VerifyingKey", payment.vk))
    return solvency, payment


# ------------------------------------------------------------------ real circuit proofs
class CircuitProofs:
    """Real solvency/payment proofs (prover/, resources/circuits) for a ``Ledger(keys="circuits")``.

    Why here: the compute-unit bench and the unit tests need the real circuits' proofs against
    the real keys genesis installs, without a cluster or a rail; a throwaway notary key signs the
    attestation and receipts (the ledger's attester registry holds exactly that key).
    """

    NOTARY_KEY = bytes(range(7, 39))

    def __init__(self) -> None:
        from prover.engine import Prover
        from protocol.eddsa_poseidon import babyjub_public_key

        self.prover = Prover()
        self.notary_public = babyjub_public_key(self.NOTARY_KEY)

    @staticmethod
    def split(solana_proof: bytes) -> dict:
        return {"a": solana_proof[:64], "b": solana_proof[64:192], "c": solana_proof[192:]}

    def solvency(self, ledger: "Ledger", bidder: Pubkey, price: int, size: int, min_timestamp: int) -> dict:
        from prover.statements import SolvencyStatement, solvency_inputs
        from protocol.attestation import BalanceAttestation, account_commitment, sign_balance_attestation
        from protocol.units import fiat_due

        reserved = ledger.reserved(self.tag_bytes())
        att = BalanceAttestation(account_commitment("0300-7654321", 999), reserved + fiat_due(size, price),
                                 ledger.now - 5, bytes(bidder))
        signed = sign_balance_attestation(self.NOTARY_KEY, att)
        stmt = SolvencyStatement.for_attestation(signed, fiat_due(size, price), min_timestamp, reserved)
        proof = self.prover.prove_now(solvency_inputs(signed, stmt))
        return self.split(proof.solana_proof())

    @staticmethod
    def tag_bytes() -> bytes:
        """The account tag of the one rail account these proofs attest (pass it as ``Ledger.bid(tag=...)``)."""
        from protocol.attestation import account_commitment, reservation_tag

        return reservation_tag(account_commitment("0300-7654321", 999)).to_bytes(32, "big")

    def payment(self, ledger: "Ledger", order_id: int, payment_id: int) -> tuple[bytes, dict]:
        """(nullifier bytes, proof) for a receipt paying the record's fiat due to its payee."""
        from prover.statements import PaymentStatement, payment_inputs
        from protocol.attestation import PaymentReceipt, account_commitment, sign_payment_receipt

        rec = ledger.record(order_id)
        payee = int.from_bytes(rec["payee_commitment"], "big")
        stmt = PaymentStatement(bytes(rec["market"]), order_id, bytes(rec["buyer"]), payee,
                                rec["fiat_due"], rec["matched_at"])
        receipt = PaymentReceipt(account_commitment("0300-7654321", 999), payee, rec["fiat_due"], payment_id,
                                 rec["matched_at"] + 1, stmt.order_ref)
        proof = self.prover.prove_now(payment_inputs(sign_payment_receipt(self.NOTARY_KEY, receipt), stmt))
        return proof.public_inputs[5].to_bytes(32, "big"), self.split(proof.solana_proof())


def snapshot(L: Ledger) -> dict:
    """Every account's (lamports, data): what a refused transaction must leave as it was."""
    return {k: (a.lamports, a.data) for k, a in L.accounts.items()}


def refused(L: Ledger, ixs, signers, code: int) -> None:
    """The tx fails with ``code`` and changes nothing but the fee payer's fee."""
    before = snapshot(L)
    result = L.send(ixs, signers)
    assert result.custom == code, (result.err, result.logs[-4:])
    after = snapshot(L)
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed <= {signers[0].pubkey()}
    assert all(before[k][1] == after[k][1] for k in changed)
