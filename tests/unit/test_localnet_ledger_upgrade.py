"""Ledgers written by older code: the address index is built on open, the genesis hash they
always served is kept, and a ledger whose genesis predates a hook (missing accounts) is refused
with a clear "--reset" message instead of failing obscurely later.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from solders.hash import Hash
from solders.keypair import Keypair

from localnet import genesis
from localnet.bank import LEDGER_FILE, Bank

SOL = 10 ** 9


def _make_ledger(path: Path) -> tuple[str, object]:
    bank = Bank(path)
    to = Keypair().pubkey()
    r = bank.airdrop(to, SOL)
    assert r.err is None and r.recorded
    bank.close()
    return to, r.signature


def _sql(path: Path, *statements: str, params: tuple = ()) -> None:
    db = sqlite3.connect(str(path / LEDGER_FILE))
    for s in statements:
        db.execute(s, params) if params else db.execute(s)
    db.commit()
    db.close()


def _make_unversioned(path: Path) -> None:
    """What the previous code left: no address index, no genesis version/hooks/hash in meta."""
    _sql(path, "DROP TABLE address_signatures",
         "DELETE FROM meta WHERE key IN ('address_index','genesis_version','genesis_hooks','genesis_hash')")


def test_new_ledger_genesis_hash_is_slot_zero_blockhash_and_stable(tmp_path: Path) -> None:
    bank = Bank(tmp_path / "l")
    first = bank.genesis_hash
    db = sqlite3.connect(str(tmp_path / "l" / LEDGER_FILE))
    assert Hash(db.execute("SELECT blockhash FROM slots WHERE slot=0").fetchone()[0]) == first
    hooks = json.loads(db.execute("SELECT value FROM meta WHERE key='genesis_hooks'").fetchone()[0])
    assert hooks == genesis.hook_names() and len(hooks) >= 2
    bank.close()
    assert Bank(tmp_path / "l").genesis_hash == first
    assert Bank(tmp_path / "other").genesis_hash != first


def test_unversioned_ledger_is_indexed_and_keeps_its_genesis_hash(tmp_path: Path) -> None:
    to, sig = _make_ledger(tmp_path / "l")
    _make_unversioned(tmp_path / "l")
    bank = Bank(tmp_path / "l")
    try:
        assert [e.signature for e in bank.get_signatures_for_address(to)] == [sig]
        legacy = Hash(hashlib.sha256(bytes(bank.usdc_mint) + bytes(bank.faucet.pubkey())).digest())
        assert bank.genesis_hash == legacy
        r = bank.airdrop(to, SOL)   # new transactions keep being indexed after the backfill
        assert [e.signature for e in bank.get_signatures_for_address(to)] == [r.signature, sig]
    finally:
        bank.close()
    assert Bank(tmp_path / "l").genesis_hash == legacy


def test_ledger_missing_a_hooks_accounts_is_refused(tmp_path: Path) -> None:
    _make_ledger(tmp_path / "l")
    bank = Bank(tmp_path / "l")
    scratch = genesis.GenesisBuilder(bank.faucet, bank.usdc_mint)
    bank.close()
    _make_unversioned(tmp_path / "l")
    zkp2p = genesis.GENESIS_HOOKS[1]
    zkp2p(scratch, tmp_path / "l")
    assert scratch.accounts
    for key in scratch.accounts:   # as if the ledger predated the market's genesis hook
        _sql(tmp_path / "l", "DELETE FROM accounts WHERE pubkey=?", params=(bytes(key),))
    with pytest.raises(genesis.StaleLedgerError) as info:
        Bank(tmp_path / "l")
    text = str(info.value)
    assert "older ANOMI" in text and "--reset" in text and genesis.hook_name(zkp2p) in text


@pytest.mark.parametrize("meta", [
    {"genesis_hooks": json.dumps(genesis.hook_names()[:1])},
    {"genesis_version": str(genesis.GENESIS_VERSION - 1)},
])
def test_versioned_ledger_from_older_genesis_is_refused(tmp_path: Path, meta: dict) -> None:
    _make_ledger(tmp_path / "l")
    for key, value in meta.items():
        _sql(tmp_path / "l", "UPDATE meta SET value=? WHERE key=?", params=(value, key))
    with pytest.raises(genesis.StaleLedgerError, match="--reset"):
        Bank(tmp_path / "l")


def test_localnet_up_explains_a_stale_ledger(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from wallet.cli import main

    _make_ledger(tmp_path / "l")
    _sql(tmp_path / "l", "UPDATE meta SET value='[]' WHERE key='genesis_hooks'")
    code = main(["localnet", "up", "--ledger", str(tmp_path / "l"), "--rpc-port", "0", "--no-services"])
    assert code == 2
    err = capsys.readouterr().err
    assert "created by an older ANOMI" in err and "anomi localnet up --reset" in err
