"""The Bank: the single-node ledger state machine of the local cluster (see BANK_API.md).

Why one lock and one writer: SQLite has one writer anyway, and the JSON-RPC server drives the
Bank from one worker thread; a lock keeps direct callers (tests, benches, the faucet) safe.
Hot path: accounts live in an in-memory cache that mirrors the ledger (write-through at
commit); ``process_transactions`` executes a batch sequentially against the cache and commits
the whole batch in one SQLite transaction (one fsync), so every returned TxResult is durable.
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, Sequence

from solders.account import Account
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from localnet import genesis, tx_meta
from localnet.bank_types import (  # noqa: F401  (re-exported API)
    AccountEvent, AddressSignature, BankEvent, SignatureStatus, SlotEvent, StoredTransaction, TransactionEvent,
    TxResult, memo_of,
)
from localnet.ledger import Ledger, decode_err, encode_err
from localnet.programs import registry
from localnet.runtime.accounts import StoredAccount
from protocol.base58 import b58encode
from localnet.runtime.errors import TransactionFailure
from localnet.runtime.executor import execute
from localnet.runtime.message import PACKET_DATA_SIZE, SanitizedTx
from localnet.runtime.program_api import Clock, Rent

MAX_PROCESSING_AGE = 150
SLOTS_PER_EPOCH = 432_000
LEDGER_FILE = "ledger.sqlite"
SYSTEM_PROGRAM_ID = genesis.SYSTEM_PROGRAM_ID
ATA_PROGRAM_ID = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
COMPUTE_BUDGET_ID = Pubkey.from_string("ComputeBudget111111111111111111111111111111")


class Bank:
    def __init__(self, ledger_dir: Path, *, reset: bool = False, extra_programs: Sequence | None = None) -> None:
        ledger_dir = Path(ledger_dir)
        if reset and ledger_dir.exists():
            shutil.rmtree(ledger_dir)
        ledger_dir.mkdir(parents=True, exist_ok=True)
        self.ledger_dir = ledger_dir
        self._lock = threading.RLock()
        self._listeners: list[Callable[[BankEvent], None]] = []
        self.programs = registry.program_map(list(extra_programs or ()))
        self.rent = Rent()
        self._cache: dict[Pubkey, StoredAccount | None] = {}
        self._ledger = Ledger(ledger_dir / LEDGER_FILE)
        try:
            if self._ledger.get_meta("genesis_done") is None:
                self._run_genesis()
            self.faucet = genesis.load_or_create_faucet(ledger_dir)
            self.usdc_mint = Pubkey.from_string(self._ledger.get_meta("usdc_mint"))
            if self._ledger.get_meta("genesis_version") is None:
                self._adopt_unversioned_genesis()
            genesis.check_genesis_current(ledger_dir, int(self._ledger.get_meta("genesis_version")),
                                          json.loads(self._ledger.get_meta("genesis_hooks")))
        except BaseException:
            self._ledger.close()
            raise
        self.genesis_hash = Hash.from_string(self._ledger.get_meta("genesis_hash"))
        self._warp = int(self._ledger.get_meta("warp_seconds") or 0)
        self._genesis_time = int(self._ledger.get_meta("genesis_time"))
        self._load_slots()
        self._ensure_program_accounts()

    # ------------------------------------------------------------------ set-up
    def _run_genesis(self) -> None:
        now = int(time.time())
        b = genesis.build_genesis(self.ledger_dir, self.programs, registry.loader_for, now)
        h = genesis.genesis_hash(b, now)
        meta = {"genesis_done": "1", "usdc_mint": str(b.usdc_mint), "genesis_time": str(now), "warp_seconds": "0",
                "genesis_hash": str(Hash(h)), "genesis_version": str(genesis.GENESIS_VERSION),
                "genesis_hooks": json.dumps(genesis.hook_names())}
        self._ledger.commit(dict(b.accounts), [], meta, (0, 0, h, 0, now))

    def _adopt_unversioned_genesis(self) -> None:
        """A ledger from before genesis versions were recorded: judge it by its accounts.

        Each hook runs against a scratch builder; a hook counts as applied when every account
        it would create exists. The genesis hash stays the value such ledgers always served.
        """
        scratch = genesis.GenesisBuilder(self.faucet, self.usdc_mint)
        applied = []
        for hook in genesis.GENESIS_HOOKS:
            before = set(scratch.accounts)
            hook(scratch, self.ledger_dir)
            if all(self._ledger.load_account(k) is not None for k in set(scratch.accounts) - before):
                applied.append(genesis.hook_name(hook))
        legacy_hash = Hash(hashlib.sha256(bytes(self.usdc_mint) + bytes(self.faucet.pubkey())).digest())
        self._ledger.commit({}, [], {"genesis_version": str(genesis.GENESIS_VERSION),
                                     "genesis_hooks": json.dumps(applied), "genesis_hash": str(legacy_hash)})

    def _ensure_program_accounts(self) -> None:
        """Programs registered after the ledger was created still get their executable account."""
        missing = {pid: StoredAccount(1, b"", registry.loader_for(p), True)
                   for pid, p in self.programs.items() if self._load(pid) is None}
        if missing:
            self._ledger.commit(missing, [])
            self._cache.update(missing)

    def _load_slots(self) -> None:
        rows = self._ledger.recent_slots(MAX_PROCESSING_AGE + 1)
        self._recent = [(Hash(bytes(bh)), height, bt, slot) for slot, bh, height, bt in rows]
        self._valid = {h: height for h, height, _bt, _s in self._recent}
        last = rows[-1]
        self._slot, self._block_height, self._unix_ts = last[0], last[2], last[3]
        oldest = self._slot - MAX_PROCESSING_AGE - 1
        self._sigs: dict[Signature, tuple[int, str | None]] = {
            Signature.from_bytes(s): (slot, err) for s, slot, err in self._ledger.signatures_since(oldest)}

    def close(self) -> None:
        with self._lock:
            self._ledger.close()

    # ------------------------------------------------------------------ clock and slots
    @property
    def slot(self) -> int:
        return self._slot

    @property
    def block_height(self) -> int:
        return self._block_height

    @property
    def unix_timestamp(self) -> int:
        return self._unix_ts

    def clock(self) -> Clock:
        epoch = self._slot // SLOTS_PER_EPOCH
        return Clock(self._slot, self._genesis_time, epoch, epoch + 1, self._unix_ts)

    def advance_slot(self) -> None:
        with self._lock:
            parent = self._slot
            slot, height = parent + 1, self._block_height + 1
            prev = self._recent[-1][0]
            h = Hash(hashlib.sha256(bytes(prev) + slot.to_bytes(8, "little")).digest())
            ts = max(self._unix_ts, int(time.time()) + self._warp)
            epoch = slot // SLOTS_PER_EPOCH
            clock_acc = StoredAccount(self.rent.minimum_balance(40),
                                      genesis.clock_sysvar_data(slot, self._genesis_time, epoch, epoch + 1, ts),
                                      genesis.SYSVAR_OWNER_ID)
            self._ledger.commit({genesis.SYSVAR_CLOCK_ID: clock_acc}, [], None, (slot, parent, bytes(h), height, ts))
            self._cache[genesis.SYSVAR_CLOCK_ID] = clock_acc
            self._slot, self._block_height, self._unix_ts = slot, height, ts
            self._recent.append((h, height, ts, slot))
            self._valid[h] = height
            while len(self._recent) > MAX_PROCESSING_AGE + 1:
                old = self._recent.pop(0)
                self._valid.pop(old[0], None)
            if slot % 64 == 0:
                oldest = slot - MAX_PROCESSING_AGE - 1
                self._sigs = {s: v for s, v in self._sigs.items() if v[0] >= oldest}
        self._emit([SlotEvent(slot, parent, slot)])

    def warp_clock(self, seconds: int) -> None:
        with self._lock:
            self._warp += int(seconds)
            self._ledger.commit({}, [], {"warp_seconds": str(self._warp)})
        self.advance_slot()

    def latest_blockhash(self) -> tuple[Hash, int]:
        h, height, _bt, _s = self._recent[-1]
        return h, height + MAX_PROCESSING_AGE

    def is_blockhash_valid(self, h: Hash) -> bool:
        return h in self._valid

    def minimum_balance(self, data_len: int) -> int:
        return self.rent.minimum_balance(data_len)

    # ------------------------------------------------------------------ accounts
    def _load(self, key: Pubkey) -> StoredAccount | None:
        try:
            return self._cache[key]
        except KeyError:
            acc = self._ledger.load_account(key)
            self._cache[key] = acc
            return acc

    def get_account(self, pubkey: Pubkey) -> Account | None:
        with self._lock:
            acc = self._load(pubkey)
        return None if acc is None or acc.lamports == 0 else acc.to_solders()

    def get_multiple_accounts(self, pubkeys: Iterable[Pubkey]) -> list[Account | None]:
        return [self.get_account(p) for p in pubkeys]

    def get_program_accounts(self, program_id: Pubkey, *, data_size: int | None = None,
                             memcmp: Sequence[tuple[int, bytes]] = ()) -> list[tuple[Pubkey, Account]]:
        with self._lock:
            rows = list(self._ledger.accounts_by_owner(program_id, data_size))
        out = []
        for key, acc in rows:
            if all(acc.data[off:off + len(b)] == bytes(b) for off, b in memcmp):
                out.append((key, acc.to_solders()))
        return out

    # ------------------------------------------------------------------ transactions
    def process_transaction(self, tx: VersionedTransaction, *, sig_verify: bool = True,
                            preflight: bool = False) -> TxResult:
        return self.process_transactions([tx], sig_verify=sig_verify, preflight=preflight)[0]

    def process_transactions(self, txs: list[VersionedTransaction], *, sig_verify: bool = True,
                             preflight: bool | Sequence[bool] = False) -> list[TxResult]:
        """Execute in order and commit the batch durably.

        ``preflight`` (one flag for all, or one per transaction): such a transaction commits
        only if it succeeds. A failing one is returned with ``recorded=False`` (its logs and
        units consumed, as a simulation would report them) and changes nothing, not even the
        fee: sendTransaction's preflight in a single execution instead of simulate-then-run.
        """
        flags = [preflight] * len(txs) if isinstance(preflight, bool) else list(preflight)
        if len(flags) != len(txs):
            raise ValueError("one preflight flag per transaction")
        events: list[BankEvent] = []
        with self._lock:
            writes: dict[Pubkey, StoredAccount | None] = {}
            rows: list[tuple] = []
            results = []
            batch_sigs: dict[Signature, tuple[int, str | None]] = {}
            try:
                for tx, only_success in zip(txs, flags):
                    results.append(self._run(tx, sig_verify, writes, rows, batch_sigs, events,
                                             only_success=only_success))
                if rows or writes:
                    self._ledger.commit(writes, rows)
            except BaseException:
                self._cache.clear()   # the cache may hold uncommitted states: reload from disk
                raise
            self._sigs.update(batch_sigs)
        self._emit(events)
        return results

    def simulate_transaction(self, tx: VersionedTransaction, *, sig_verify: bool = False,
                             replace_recent_blockhash: bool = False,
                             accounts: list[Pubkey] | None = None) -> TxResult:
        with self._lock:
            result = self._run(tx, sig_verify, None, None, {}, None, replace_blockhash=replace_recent_blockhash,
                               want_accounts=accounts)
        return result

    def _run(self, tx: VersionedTransaction, sig_verify: bool, writes, rows, batch_sigs, events, *,
             replace_blockhash: bool = False, want_accounts: list[Pubkey] | None = None,
             only_success: bool = False) -> TxResult:
        """Validate, execute and (when ``writes`` is given) stage one transaction.

        ``only_success``: stage it only if execution succeeded (preflight semantics).
        """
        sig = tx.signatures[0] if tx.signatures else Signature.default()
        simulate = writes is None
        overlay: dict[Pubkey, StoredAccount | None] = {}
        try:
            raw_len = len(bytes(tx))
            if raw_len > PACKET_DATA_SIZE:
                raise TransactionFailure("SanitizeFailure",
                                         f"transaction too large: {raw_len} bytes (max: {PACKET_DATA_SIZE} bytes)")
            try:
                tx.sanitize()
            except Exception:
                raise TransactionFailure("SanitizeFailure") from None
            stx = SanitizedTx(tx, raw_len)
            if sig_verify:
                try:
                    valid = all(tx.verify_with_results())
                except Exception:
                    valid = False
                if not valid:
                    raise TransactionFailure("SignatureFailure")
            if not replace_blockhash and stx.recent_blockhash not in self._valid:
                raise TransactionFailure("BlockhashNotFound")
            if not simulate and (sig in self._sigs or sig in batch_sigs):
                raise TransactionFailure("AlreadyProcessed")
            loaded = [self._load(k) for k in stx.keys]
            outcome = execute(stx, loaded, self.programs, self.clock(), self.rent)
        except TransactionFailure as exc:
            return TxResult(sig, self._slot, exc.err, detail=exc.detail, recorded=False)
        except Exception as exc:  # a runtime bug must not take the rest of the batch down
            logging.getLogger(__name__).exception("runtime error on %s", sig)
            return TxResult(sig, self._slot, "SanitizeFailure", detail=f"internal runtime error: {exc!r}")
        keys = stx.keys
        post = outcome.accounts
        changed: dict[Pubkey, StoredAccount | None] = {}
        for i, a in enumerate(post):
            if not a.is_writable and i != 0:
                continue
            before = loaded[i]
            new = a.to_stored()
            if before is None and new is None:
                continue
            if (before is None or new is None or before.lamports != new.lamports or before.data != new.data
                    or before.owner != new.owner or before.executable != new.executable):
                changed[keys[i]] = new
        fallback = self._load
        pre_tok = tx_meta.token_balances(keys, loaded, tx_meta.decimals_from(keys, loaded, fallback))
        post_tok = tx_meta.token_balances(keys, post, tx_meta.decimals_from(keys, post, fallback))
        inner = [{"index": g["index"], "instructions": [
            {"programIdIndex": ix["programIdIndex"], "accounts": ix["accounts"], "data": b58encode(ix["data"]),
             "stackHeight": ix["stackHeight"]} for ix in g["instructions"]]} for g in outcome.inner_instructions]
        post_balances = [a.lamports for a in post]
        result = TxResult(
            signature=sig, slot=self._slot, err=outcome.err, logs=outcome.logs,
            compute_units_consumed=outcome.compute_units_consumed, fee=outcome.fee,
            pre_balances=outcome.pre_lamports, post_balances=post_balances,
            pre_token_balances=pre_tok, post_token_balances=post_tok, return_data=outcome.return_data,
            inner_instructions=inner, recorded=not simulate,
        )
        if only_success and outcome.err is not None:
            result.recorded = False   # refused by preflight: nothing staged, nothing charged
            return result
        if simulate:
            if want_accounts is not None:
                index = {k: i for i, k in enumerate(keys)}
                result.accounts = [post[index[k]].to_solders() if k in index else self.get_account(k)
                                   for k in want_accounts]
            return result
        for k, v in changed.items():
            self._cache[k] = v
            writes[k] = v
        meta = tx_meta.meta_json(outcome.err, outcome.fee, outcome.pre_lamports, post_balances, outcome.logs,
                                 inner, pre_tok, post_tok, outcome.compute_units_consumed, outcome.return_data)
        err_s = encode_err(outcome.err)
        rows.append((bytes(sig), self._slot, err_s, bytes(tx), json.dumps(meta, separators=(",", ":")),
                     str(stx.version), [bytes(k) for k in keys]))
        batch_sigs[sig] = (self._slot, err_s)
        for k, v in changed.items():
            events.append(AccountEvent(k, None if v is None else v.to_solders(), self._slot))
        events.append(TransactionEvent(sig, self._slot, outcome.err, list(outcome.logs), set(keys)))
        return result

    # ------------------------------------------------------------------ history
    def get_signature_statuses(self, sigs: Sequence[Signature]) -> list[SignatureStatus | None]:
        out: list[SignatureStatus | None] = []
        with self._lock:
            for s in sigs:
                hit = self._sigs.get(s) or self._ledger.status(bytes(s))
                out.append(None if hit is None else SignatureStatus(hit[0], decode_err(hit[1])))
        return out

    def get_transaction(self, sig: Signature) -> StoredTransaction | None:
        with self._lock:
            row = self._ledger.transaction(bytes(sig))
            if row is None:
                return None
            slot, raw, meta, version = row
            block_time = self._ledger.block_time(slot)
        return StoredTransaction(sig, slot, block_time, bytes(raw), json.loads(meta),
                                 "legacy" if version == "legacy" else int(version))

    def get_signatures_for_address(self, address: Pubkey, *, before: Signature | None = None,
                                   until: Signature | None = None, limit: int = 1000) -> list[AddressSignature]:
        """Recorded transactions that loaded ``address``, newest first (Agave's cursor rules:
        an unknown ``before`` yields nothing, an unknown ``until`` does not bound the search)."""
        with self._lock:
            before_id = until_id = None
            if before is not None:
                before_id = self._ledger.tx_id(bytes(before))
                if before_id is None:
                    return []
            if until is not None:
                until_id = self._ledger.tx_id(bytes(until))
            rows = self._ledger.signatures_for_address(bytes(address), before_id, until_id, limit)
        return [AddressSignature(Signature.from_bytes(sig), slot, decode_err(err), block_time, memo_of(raw))
                for sig, slot, err, raw, block_time in rows]

    def get_block_time(self, slot: int) -> int | None:
        """The slot's unix time, None if the slot is unknown to this ledger."""
        with self._lock:
            return self._ledger.block_time(slot)

    def first_available_block(self) -> int:
        with self._lock:
            return self._ledger.first_slot()

    # ------------------------------------------------------------------ faucet
    def _faucet_tx(self, ixs: list[Instruction]) -> TxResult:
        """Sign ``ixs`` with the faucet; vary an unused CU limit if the exact tx was already sent."""
        from solders.compute_budget import set_compute_unit_limit

        with self._lock:
            bh, _ = self.latest_blockhash()
            for k in range(1000):
                extra = [set_compute_unit_limit(200_000 + k)] if k else []
                msg = Message.new_with_blockhash(extra + ixs, self.faucet.pubkey(), bh)
                tx = VersionedTransaction(msg, [self.faucet])
                if tx.signatures[0] not in self._sigs:
                    return self.process_transaction(tx)
        raise RuntimeError("faucet could not build a fresh transaction")

    def airdrop(self, to: Pubkey, lamports: int) -> TxResult:
        from solders.system_program import TransferParams, transfer

        return self._faucet_tx([transfer(TransferParams(from_pubkey=self.faucet.pubkey(), to_pubkey=to,
                                                        lamports=int(lamports)))])

    def faucet_token(self, to_owner: Pubkey, amount: int) -> TxResult:
        from spl.token.constants import TOKEN_PROGRAM_ID
        from spl.token.instructions import (create_idempotent_associated_token_account,
                                            get_associated_token_address, mint_to)
        from spl.token.models import MintToParams

        ata = get_associated_token_address(to_owner, self.usdc_mint)
        ixs = [create_idempotent_associated_token_account(self.faucet.pubkey(), to_owner, self.usdc_mint),
               mint_to(MintToParams(program_id=TOKEN_PROGRAM_ID, mint=self.usdc_mint, dest=ata,
                                    mint_authority=self.faucet.pubkey(), amount=int(amount)))]
        return self._faucet_tx(ixs)

    # ------------------------------------------------------------------ events
    def add_listener(self, callback: Callable[[BankEvent], None]) -> None:
        self._listeners.append(callback)

    def _emit(self, events: list[BankEvent]) -> None:
        for cb in list(self._listeners):
            for ev in events:
                try:
                    cb(ev)
                except Exception:  # a broken listener must not break the ledger
                    logging.getLogger(__name__).exception("bank listener failed")
