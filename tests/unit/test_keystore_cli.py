"""`anomi wallet ...` driven through the real dispatcher (main([...])), no servers needed."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from solders.keypair import Keypair

from wallet.cli import main

PHRASE = "lumber base swallow arm rabbit depth deer lyrics bomb convince nurse thumb"
ADDR0 = "vpMY4SNcojYFngiUrwiLR6MTn374cfeeacFJdckZjj3"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANOMI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ANOMI_PASSWORD", "cli password 1")
    monkeypatch.delenv("ANOMI_WALLET", raising=False)
    monkeypatch.delenv("ANOMI_MNEMONIC", raising=False)
    return tmp_path / "data"


def run_json(capsys: pytest.CaptureFixture, *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_create_list_add_identities(env: Path, capsys: pytest.CaptureFixture) -> None:
    created = run_json(capsys, "wallet", "create", "--words", "12")
    assert len(created["mnemonic"].split()) == 12
    run_json(capsys, "wallet", "add-account", "--label", "second")
    accounts = run_json(capsys, "wallet", "list")["accounts"]
    assert [a["label"] for a in accounts] == ["Account 1", "second"]
    assert accounts[0]["address"] == created["address"]
    ids = run_json(capsys, "wallet", "identities", "create", "--label", "otc")["identities"]
    assert ids[0]["label"] == "otc" and len(bytes.fromhex(ids[0]["public_key"])) == 32
    rotated = run_json(capsys, "wallet", "identities", "rotate", "otc")
    assert [i["retired"] for i in rotated["identities"]] == [True, False]
    assert main(["wallet", "create"]) == 2
    assert "already exists" in capsys.readouterr().err


def test_import_phrase_from_stdin_matches_phantom(env: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PHRASE + "\n"))
    out = run_json(capsys, "wallet", "import", "--phrase", "--accounts", "2", "--wallet", "ph")
    assert out["added"][0]["address"] == ADDR0
    assert run_json(capsys, "wallet", "list", "--all")["wallets"] == ["ph"]
    run_json(capsys, "wallet", "use", "ph")
    assert run_json(capsys, "wallet", "list")["accounts"][1]["address"] == \
        "2X6bfhHookUP23guQ15QnmorTssJCW6oeZ5hDNDcZkMv"


def test_import_keypair_and_watch(env: Path, tmp_path: Path, capsys) -> None:
    kp = Keypair()
    f = tmp_path / "id.json"
    f.write_text(json.dumps(list(bytes(kp))))
    out = run_json(capsys, "wallet", "import", "--keypair", str(f), "--label", "cli")
    assert out["added"][0]["address"] == str(kp.pubkey())
    out = run_json(capsys, "wallet", "import", "--watch", ADDR0)
    assert out["added"][0]["kind"] == "watch"
    assert [a["kind"] for a in run_json(capsys, "wallet", "list")["accounts"]] == ["imported", "watch"]
    # a bad keypair file for a new wallet leaves no wallet behind
    f.write_text("[1,2]")
    assert main(["wallet", "import", "--keypair", str(f), "--wallet", "other"]) == 2
    assert "64 numbers" in capsys.readouterr().err
    assert not (env / "wallets" / "other.keystore").exists()


def test_password_errors_and_change(env: Path, capsys, monkeypatch) -> None:
    run_json(capsys, "wallet", "create")
    before = (env / "wallets" / "default.keystore").read_bytes()
    monkeypatch.setenv("ANOMI_PASSWORD", "wrong password")
    assert main(["wallet", "list"]) == 2
    assert "wrong password" in capsys.readouterr().err
    monkeypatch.setenv("ANOMI_PASSWORD", "cli password 1")
    monkeypatch.setenv("ANOMI_NEW_PASSWORD", "short")
    assert main(["wallet", "passwd"]) == 2
    assert "at least" in capsys.readouterr().err
    assert (env / "wallets" / "default.keystore").read_bytes() == before
    monkeypatch.setenv("ANOMI_NEW_PASSWORD", "cli password 2")
    run_json(capsys, "wallet", "passwd")
    monkeypatch.setenv("ANOMI_PASSWORD", "cli password 2")
    assert len(run_json(capsys, "wallet", "list")["accounts"]) == 1


def test_no_password_source_is_a_clear_error(env: Path, tmp_path: Path) -> None:
    """A real subprocess with no terminal and no ANOMI_PASSWORD: exit 2, one clear line."""
    import os
    environ = {k: v for k, v in os.environ.items() if k != "ANOMI_PASSWORD"}
    environ["ANOMI_DATA_DIR"] = str(env)
    anomi = Path(sys.executable).with_name("anomi")
    proc = subprocess.run([str(anomi), "wallet", "create"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, env=environ, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "anomi: no password: run in a terminal for a prompt, or set ANOMI_PASSWORD"
    assert not (env / "wallets").exists()


def test_keyring_switch_without_backend(env: Path, capsys, monkeypatch) -> None:
    import keyring
    from keyring.backends import fail
    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    run_json(capsys, "wallet", "create")
    out = run_json(capsys, "wallet", "keyring", "on")
    assert out == {"keyring_cache": True, "available": False}
    assert len(run_json(capsys, "wallet", "list")["accounts"]) == 1  # falls back to the password


def test_profiles(env: Path, capsys) -> None:
    run_json(capsys, "profile", "add", "remote", "https://rpc.example.org", "--use")
    out = run_json(capsys, "profile", "list")
    assert out["active"] == "remote"
    assert out["profiles"]["remote"]["ws_url"] == "wss://rpc.example.org"
    assert main(["profile", "add", "bad", "ftp://x"]) == 2
    run_json(capsys, "profile", "remove", "remote")
    assert run_json(capsys, "profile", "list")["active"] == "localnet"
