"""Genesis: the accounts a fresh ledger starts with.

A faucet keypair (``faucet.json`` in the ledger directory, Solana CLI format, mode 0600) that
funds airdrops and is the mint authority of a test USDC mint (6 decimals); the executable
program accounts; the Rent and Clock sysvars; and whatever the other subsystems add through
``GENESIS_HOOKS`` (verifying keys, attester registry, MXE account...). Each hook is
``hook(builder: GenesisBuilder, ledger_dir: Path) -> None`` and is appended with a one-line
edit below.
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path
from typing import Callable

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from localnet.programs.arcium.genesis import arcium_genesis
from localnet.programs.market.genesis import genesis_hook as zkp2p_genesis
from localnet.programs.token_state import TOKEN_PROGRAM_ID, Mint
from localnet.runtime.accounts import StoredAccount
from localnet.runtime.program_api import Rent

SYSTEM_PROGRAM_ID = Pubkey.from_string("11111111111111111111111111111111")
SYSVAR_OWNER_ID = Pubkey.from_string("Sysvar1111111111111111111111111111111111111")
SYSVAR_RENT_ID = Pubkey.from_string("SysvarRent111111111111111111111111111111111")
SYSVAR_CLOCK_ID = Pubkey.from_string("SysvarC1ock11111111111111111111111111111111")
FAUCET_FILE = "faucet.json"
FAUCET_LAMPORTS = 10**18          # 1e9 SOL: plenty for airdrops
USDC_DECIMALS = 6
RENT = Rent()


class GenesisBuilder:
    """Collects genesis accounts; hooks call ``add_account``."""

    def __init__(self, faucet: Keypair, usdc_mint: Pubkey) -> None:
        self.faucet = faucet
        self.usdc_mint = usdc_mint
        self.accounts: dict[Pubkey, StoredAccount] = {}

    def add_account(self, pubkey: Pubkey, *, lamports: int | None = None, owner: Pubkey,
                    data: bytes = b"", executable: bool = False) -> None:
        if lamports is None:
            lamports = RENT.minimum_balance(len(data))
        if lamports <= 0:
            raise ValueError("a genesis account needs lamports")
        self.accounts[pubkey] = StoredAccount(lamports, bytes(data), owner, executable)


GENESIS_HOOKS: list[Callable[[GenesisBuilder, Path], None]] = [
    arcium_genesis,
    zkp2p_genesis,
]

# Bump when what genesis writes changes in a way old ledgers cannot pick up by themselves
# (new sysvars, new builtin accounts, a changed faucet or mint layout). Hooks are tracked by name.
GENESIS_VERSION = 3   # 2: order books carry an owner table, the settlement queue a base_order_id (issue 10)
#                       3: the MXE is a cluster (Cluster account lists its nodes; mxe/node-<i>/, cluster.json)
RESET_ADVICE = "run `anomi localnet up --reset` to recreate it (this erases its accounts and history)"


class StaleLedgerError(RuntimeError):
    """The ledger was created by an older genesis: accounts newer code expects are missing."""


def hook_name(hook: Callable) -> str:
    return f"{hook.__module__}.{getattr(hook, '__qualname__', repr(hook))}"


def hook_names() -> list[str]:
    return [hook_name(h) for h in GENESIS_HOOKS]


def genesis_hash(builder: GenesisBuilder, creation_time: int) -> bytes:
    """SHA-256 of everything genesis wrote (Solana hashes its serialised GenesisConfig likewise).

    It is also slot 0's blockhash, as on Solana, and what ``getGenesisHash`` serves.
    """
    h = hashlib.sha256(b"anomi-genesis-v%d" % GENESIS_VERSION)
    h.update(creation_time.to_bytes(8, "little", signed=True))
    for key in sorted(builder.accounts, key=bytes):
        acc = builder.accounts[key]
        h.update(bytes(key) + acc.lamports.to_bytes(8, "little") + bytes(acc.owner) + bytes([acc.executable])
                 + len(acc.data).to_bytes(8, "little") + acc.data)
    return h.digest()


def check_genesis_current(ledger_dir: Path, stored_version: int, stored_hooks: list[str]) -> None:
    """Refuse a ledger whose genesis predates this code's (missing hooks or an older version)."""
    missing = [name for name in hook_names() if name not in stored_hooks]
    if stored_version < GENESIS_VERSION or missing:
        what = f"genesis version {stored_version}, current {GENESIS_VERSION}"
        if missing:
            what += "; never ran: " + ", ".join(missing)
        raise StaleLedgerError(f"the ledger at {ledger_dir} was created by an older ANOMI ({what}), so "
                               f"accounts this version needs are missing; {RESET_ADVICE}")


def rent_sysvar_data(rent: Rent = RENT) -> bytes:
    return struct.pack("<QdB", rent.lamports_per_byte_year, rent.exemption_threshold, rent.burn_percent)


def clock_sysvar_data(slot: int, epoch_start_timestamp: int, epoch: int, leader_schedule_epoch: int,
                      unix_timestamp: int) -> bytes:
    return struct.pack("<QqQQq", slot, epoch_start_timestamp, epoch, leader_schedule_epoch, unix_timestamp)


def load_or_create_faucet(ledger_dir: Path) -> Keypair:
    """The faucet key in Solana CLI keypair format (a JSON array of the 64 secret bytes)."""
    path = ledger_dir / FAUCET_FILE
    if path.exists():
        return Keypair.from_bytes(bytes(json.loads(path.read_text())))
    kp = Keypair()
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(list(bytes(kp)), fh)
    return kp


def build_genesis(ledger_dir: Path, programs: dict[Pubkey, object], loader_for: Callable[[object], Pubkey],
                  unix_timestamp: int) -> GenesisBuilder:
    faucet = load_or_create_faucet(ledger_dir)
    usdc_mint = Keypair().pubkey()
    b = GenesisBuilder(faucet, usdc_mint)
    b.add_account(faucet.pubkey(), lamports=FAUCET_LAMPORTS, owner=SYSTEM_PROGRAM_ID)
    b.add_account(usdc_mint, owner=TOKEN_PROGRAM_ID,
                  data=Mint(faucet.pubkey(), 0, USDC_DECIMALS, True, None).pack())
    b.add_account(SYSVAR_RENT_ID, owner=SYSVAR_OWNER_ID, data=rent_sysvar_data())
    b.add_account(SYSVAR_CLOCK_ID, owner=SYSVAR_OWNER_ID,
                  data=clock_sysvar_data(0, unix_timestamp, 0, 1, unix_timestamp))
    for pid, prog in programs.items():
        b.add_account(pid, lamports=1, owner=loader_for(prog), data=b"", executable=True)
    for hook in GENESIS_HOOKS:
        hook(b, ledger_dir)
    return b
