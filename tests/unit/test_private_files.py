"""Files the project keeps for a user are that user's alone: directories 0700, files 0600.

The compiled-WASM cache holds native code that the prover maps and runs (wasmtime
``deserialize_file``), so it is also checked that a cache entry others could have written is
never loaded. The wallet's data dir holds the keystores and settings. Both tighten what an
older version left 0755/0644 the next time they open it.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from prover import witness
from prover.cache_dir import ensure_private_cache_dir
from wallet.core.atomic_file import write_atomic
from wallet.core.config import WalletConfig


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def tiny_wasm(tmp_path: Path, tag: str) -> Path:
    """A distinct small module per test (the cache is keyed by the module's sha256)."""
    path = tmp_path / f"{tag}.wat"
    path.write_text(f'(module (func (export "{tag}")))')
    return path


@pytest.fixture(autouse=True)
def usual_umask():
    """The common 022 umask, under which the old code made 0755 dirs and 0644 files."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture()
def cache(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "cache" / "wasm"
    monkeypatch.setenv("ANOMI_CACHE_DIR", str(directory))
    monkeypatch.setattr(witness, "_MODULES", {})
    monkeypatch.setattr(witness, "_BY_FILE", {})
    return directory


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.cwasm"))


def test_wasm_cache_is_created_private(cache, tmp_path):
    witness.load_module(tiny_wasm(tmp_path, "fresh"))
    [entry] = entries(cache)
    assert mode(cache) == 0o700 and mode(entry) == 0o600


def test_loose_cache_is_tightened_and_reused(cache, tmp_path):
    src = tiny_wasm(tmp_path, "loose")
    witness.load_module(src)
    [entry] = entries(cache)
    os.chmod(cache, 0o755)
    os.chmod(entry, 0o644)                 # what the old code left behind
    inode = entry.stat().st_ino
    witness._MODULES.clear()
    witness._BY_FILE.clear()
    witness.load_module(src)
    assert mode(cache) == 0o700 and mode(entry) == 0o600
    assert entry.stat().st_ino == inode    # deserialized, not recompiled


def test_an_entry_others_could_write_is_never_loaded(cache, tmp_path):
    src = tiny_wasm(tmp_path, "planted")
    witness.load_module(src)
    [entry] = entries(cache)
    # a "planted" entry: group-writable, and not even a valid module (if the loader trusted it,
    # deserialize_file would be handed attacker bytes)
    entry.write_bytes(b"\x7fELF not a module")
    os.chmod(entry, 0o666)
    witness._MODULES.clear()
    witness._BY_FILE.clear()
    module = witness.load_module(src)
    assert [e.name for e in module.exports] == ["planted"]
    assert mode(entry) == 0o600 and entry.read_bytes() != b"\x7fELF not a module"   # replaced


def test_cache_dir_owned_by_someone_else_is_not_used(monkeypatch, tmp_path):
    if os.getuid() == 0:
        pytest.skip("root owns everything")
    monkeypatch.setenv("ANOMI_CACHE_DIR", "/")             # exists, not ours
    assert ensure_private_cache_dir() is None


def test_wallet_data_dir_created_private(tmp_path):
    root = tmp_path / "data" / "anomi"
    cfg = WalletConfig.load(root)
    assert mode(root) == 0o700
    cfg.save()
    write_atomic(cfg.wallet_path("default"), b"{}")
    assert mode(root / "config.json") == 0o600
    assert mode(cfg.wallets_dir) == 0o700 and mode(cfg.wallet_path("default")) == 0o600


def test_wallet_data_dir_tightened_on_open(tmp_path):
    root = tmp_path / "old"
    (root / "wallets").mkdir(parents=True)
    files = {root / "config.json": '{"version": 1}', root / "wallets" / "main.keystore": "{}",
             root / "wallets" / "main.keystore.lock": "", root / "localnet-8899.log": "log",
             root / "localnet-8899.pid": "1"}
    for path, text in files.items():
        path.write_text(text)
        os.chmod(path, 0o644)
    unrelated = root / "notes.txt"
    unrelated.write_text("mine")
    os.chmod(unrelated, 0o644)
    os.chmod(root / "wallets", 0o755)
    os.chmod(root, 0o755)
    WalletConfig.load(root)
    assert mode(root) == 0o700 and mode(root / "wallets") == 0o700
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    assert mode(unrelated) == 0o644        # not the wallet's file: left alone


def test_rail_and_directory_data_are_private(tmp_path: Path) -> None:
    """The rail's data dir (handles, credentials) and its lock, and the payee directory's folder
    (handles in plaintext), are the operator's alone."""
    from localnet.directory.store import DirectoryStore
    from localnet.rails.server import LOCK_FILE, lock_data_dir

    rail_dir = tmp_path / "ledger" / "rails"
    fh = lock_data_dir(rail_dir)
    try:
        assert stat.S_IMODE(rail_dir.stat().st_mode) == 0o700
        assert stat.S_IMODE((rail_dir / LOCK_FILE).stat().st_mode) == 0o600
    finally:
        fh.close()
    store = DirectoryStore(tmp_path / "ledger" / "directory" / "directory.sqlite3")
    try:
        assert stat.S_IMODE((tmp_path / "ledger" / "directory").stat().st_mode) == 0o700
        assert stat.S_IMODE((tmp_path / "ledger" / "directory" / "directory.sqlite3").stat().st_mode) == 0o600
    finally:
        store.db.close()
