"""One program invocation on the instruction stack and Solana's account-change rules.

Why snapshots: Python programs mutate accounts in place, so the runtime cannot intercept each
write the way Agave's ``BorrowedAccount`` setters do. Instead every invocation records the
state of its accounts when it starts (and again after each CPI returns, since the callee's
changes were judged by the callee's rules) and judges the difference when the program returns
or calls out — the same checks, in the order of Agave's ``PreAccount::verify`` /
``BorrowedAccount`` (FACTS.md 3.3).
"""
from __future__ import annotations

from solders.pubkey import Pubkey

from localnet.runtime.accounts import AccountView, TxAccount

MAX_PERMITTED_DATA_INCREASE = 10 * 1024
MAX_ACCOUNT_DATA_LEN = 10 * 1024 * 1024
# Agave MAX_ACCOUNT_DATA_GROWTH_PER_TRANSACTION (= MAX_PERMITTED_ACCOUNTS_DATA_ALLOCATIONS_PER_TRANSACTION)
MAX_ACCOUNTS_DATA_ALLOCATIONS_PER_TRANSACTION = 2 * MAX_ACCOUNT_DATA_LEN


class InstructionAborted(BaseException):
    """An instruction failed; unwinds every frame up to the top-level instruction.

    A BaseException so that a caller program's ``except Exception`` does not swallow a failed
    CPI. That alone is not the guarantee (``except BaseException`` or a bare ``except`` would
    still catch it): the runtime also marks the calling frame (``Frame.failed_cpi``) and fails
    it with the callee's error whatever the program does next, as Agave's VM aborts the caller
    the moment the invoke syscall returns an error. ``log_text`` overrides the ``failed:`` text
    for errors whose Display is not the InstructionError's (Agave's CpiError messages).
    """

    def __init__(self, error: str | dict, log_text: str | None = None) -> None:
        self.error = error
        self.log_text = log_text
        super().__init__(str(error))


class RuleViolation(Exception):
    def __init__(self, error: str) -> None:
        self.error = error
        super().__init__(error)


class Frame:
    """The accounts and privileges of one invocation (top-level instruction or CPI)."""

    __slots__ = ("program_id", "views", "unique", "writable", "signer", "pre", "pre_sum", "stack_height",
                 "builtin", "original_len", "failed_cpi")

    def __init__(self, program_id: Pubkey, metas: list[tuple[TxAccount, bool, bool]], stack_height: int,
                 builtin: bool = False) -> None:
        self.program_id = program_id
        self.stack_height = stack_height
        # Builtins resize through BorrowedAccount::set_data_length (10 MiB cap only); SBF programs
        # get their accounts serialized with original_data_len + 10 KiB of realloc room.
        self.builtin = builtin
        # the first failed CPI of this invocation: once set, the invocation fails with it
        self.failed_cpi: InstructionAborted | None = None
        self.views = [AccountView(acc, s, w) for acc, s, w in metas]
        unique: dict[int, TxAccount] = {}
        writable: dict[int, bool] = {}
        signer: dict[int, bool] = {}
        for acc, s, w in metas:
            i = acc.index
            unique[i] = acc
            writable[i] = writable.get(i, False) or w
            signer[i] = signer.get(i, False) or s
        self.unique = unique
        self.writable = writable
        self.signer = signer
        self.original_len = {i: len(a.data) for i, a in unique.items()}
        self.snapshot()
        self.pre_sum = sum(a.lamports for a in unique.values())

    def snapshot(self) -> None:
        self.pre = {i: (a.lamports, a.owner, a.executable, bytes(a.data)) for i, a in self.unique.items()}

    def verify(self) -> None:
        """Judge every change since the last snapshot; raise RuleViolation with the error."""
        pid = self.program_id
        for i, a in self.unique.items():
            lamports, owner, executable, data = self.pre[i]
            w = self.writable[i]
            owned = owner == pid
            if a.owner != owner:
                if not owned or not w or executable or any(a.data):
                    raise RuleViolation("ModifiedProgramId")
            if a.lamports != lamports:
                if executable:
                    raise RuleViolation("ExecutableLamportChange")
                if not w:
                    raise RuleViolation("ReadonlyLamportChange")
                if a.lamports < lamports and not owned:
                    raise RuleViolation("ExternalAccountLamportSpend")
            new_len = len(a.data)
            if new_len != len(data):
                if not owned:
                    raise RuleViolation("AccountDataSizeChanged")
                if not w:
                    raise RuleViolation("ReadonlyDataModified")
                if new_len > MAX_ACCOUNT_DATA_LEN or (
                        not self.builtin and new_len - self.original_len[i] > MAX_PERMITTED_DATA_INCREASE):
                    raise RuleViolation("InvalidRealloc")
            if a.data != data:
                if not w:
                    raise RuleViolation("ReadonlyDataModified")
                if not owned:
                    raise RuleViolation("ExternalAccountDataModified")
                if executable:
                    raise RuleViolation("ExecutableDataModified")
            if a.executable != executable:
                raise RuleViolation("ExecutableModified")
        if sum(a.lamports for a in self.unique.values()) != self.pre_sum:
            raise RuleViolation("UnbalancedInstruction")

    def realloc_beyond_caller_room(self) -> bool:
        """After a CPI: did the callee grow an account past this (SBF) caller's realloc room?

        Agave's ``update_caller_account`` (program-runtime/src/cpi.rs): ``post_len >
        original_data_len + MAX_PERMITTED_DATA_INCREASE`` -> "Account data size realloc limited
        to 10240 in inner instructions", InvalidRealloc. A builtin caller has no such room.
        """
        if self.builtin:
            return False
        return any(len(a.data) > self.original_len[i] + MAX_PERMITTED_DATA_INCREASE
                   and len(a.data) != len(self.pre[i][3]) for i, a in self.unique.items())

    def index_of_key(self, key: Pubkey) -> TxAccount | None:
        for a in self.unique.values():
            if a.key == key:
                return a
        return None
