"""Seed 000 end to end through `anomi` commands only: a seller and a buyer wallet, the real
localnet process (programs, rail, notary, payee directory) and real proofs.

Phase 1 ask + escrow; phase 2 bid with a solvency proof, matched, Pending with 24 h; phase 3 the
buyer learns the payee handle (sealed to its x25519 identity), pays 28,500 PKR on the rail and
proves it; phase 4 finalize: the buyer holds 100 USDC, the escrow left the vault, Settled.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Iterator

import pytest

from protocol import market_codec as mc
from protocol.bond import bond_lamports
from protocol.attestation import notary_key_hash
from protocol.eddsa_poseidon import babyjub_public_key
from solders.pubkey import Pubkey
from tests.integration.cli_wallets import CliWallet
from tests.integration.localnet_process import LocalnetProcess
from tests.unit.secret_scan import EXTRA_IDENTITY_INDEXES, leaks, wallet_secrets
from wallet.core.chain import Chain
from wallet.core.config import ClusterProfile
from wallet.core.rail_client import RailClient
from wallet.core.trader import pinned_notary

SELLER_HANDLE, BUYER_HANDLE = "0345-1234567", "0300-7654321"


def vault_balance(node: LocalnetProcess) -> int:
    async def read() -> int:
        async with Chain(ClusterProfile("t", node.rpc_url, node.ws_url).validated()) as chain:
            vault = mc.market_addresses(Pubkey.from_string(node.usdc_mint))["vault"]
            return await chain.token_balance(vault)
    return asyncio.run(read())


def notary_pins(node: LocalnetProcess) -> tuple[str, str]:
    """(the cluster rail's notary as hex Ax || Ay, another notary's key hash as hex)."""
    async def read() -> dict:
        async with Chain(ClusterProfile("t", node.rpc_url, node.ws_url).validated()) as chain:
            async with RailClient((await chain.cluster_info()).rail_url) as rail:
                return await rail.notary()
    doc = asyncio.run(read())
    ours = int(doc["x"]).to_bytes(32, "big") + int(doc["y"]).to_bytes(32, "big")
    assert pinned_notary(ClusterProfile("p", node.rpc_url, node.ws_url, notary_key=ours.hex())) == int(doc["key_hash"])
    other = notary_key_hash(babyjub_public_key(bytes(range(1, 33))))
    assert other != int(doc["key_hash"])
    return ours.hex(), other.to_bytes(32, "big").hex()


@contextlib.contextmanager
def profiles_apply() -> Iterator[None]:
    """Without ANOMI_RPC_URL, so `--profile NAME` (and its notary pin) is what the command uses."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("ANOMI_RPC_URL")
        yield


@pytest.fixture(scope="module")
def env(localnet: LocalnetProcess, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("cli-zkp2p")
    mp = pytest.MonkeyPatch()
    mp.setenv("ANOMI_PASSWORD", "cli seed pw")
    mp.setenv("ANOMI_RPC_URL", localnet.rpc_url)
    mp.delenv("ANOMI_DIRECTORY_URL", raising=False)  # the wallet uses the directory the cluster advertises
    yield root
    mp.undo()


def test_seed_000_through_the_cli(env: Path, localnet: LocalnetProcess) -> None:
    seller, buyer = CliWallet("ali", env), CliWallet("farzan", env)
    ali = seller.ok("wallet", "create", "--words", "12")["address"]
    farzan = buyer.ok("wallet", "create", "--words", "12")["address"]
    seller.ok("faucet", "--sol", "1", "--usdc", "100")
    buyer.ok("faucet", "--sol", "1")

    # an ask needs a rail account to be paid into; refused cleanly before one exists
    assert "rail account" in seller.refused("ask", "--size", "100", "--price", "285")
    opened = seller.ok("rail", "open", "--handle", SELLER_HANDLE, "--name", "Ali")
    assert opened["handle"] == SELLER_HANDLE and int(opened["commitment"]) > 0

    # ---- phase 1: ask 100 USDC at 285 PKR/USDC, escrowed
    vault_before = vault_balance(localnet)
    placed = seller.ok("ask", "--size", "100", "--price", "285")
    assert (placed["filled"], placed["resting"], placed["matched_order_ids"]) == (0, 100_000_000, [])
    assert vault_balance(localnet) == vault_before + 100_000_000
    assert seller.ok("balance")["usdc_base_units"] == 0
    book = seller.ok("book")
    assert [(o["price"], o["quantity"], o["owner"]) for o in book["asks"] if o["owner"] == ali] == [
        (28_500, 100_000_000, ali)]
    assert [o["order_id"] for o in seller.ok("orders")["resting"]] == [placed["order_id"]]

    # ---- phase 2: bid with a solvency proof, matched at once
    buyer.ok("rail", "open", "--handle", BUYER_HANDLE, "--name", "Farzan")
    assert buyer.ok("rail", "topup", "50000")["balance_paisa"] == 5_000_000
    assert "no matched order #999999" in buyer.refused("pay", "999999")  # no such order: refused, nothing paid
    # a profile that pins another notary refuses the rail's attestation before proving anything;
    # one that pins the rail's own notary (Ax || Ay here, a key hash below) bids as usual
    ours, other = notary_pins(localnet)
    with profiles_apply():
        for name, key in (("trusted", ours), ("other-notary", other)):
            buyer.ok("profile", "add", name, localnet.rpc_url, "--ws-url", localnet.ws_url, "--notary-key", key)
        code, _out, err = buyer.run("bid", "--size", "100", "--price", "285", "--profile", "other-notary")
        assert code == 2 and "balance attestation is signed by notary" in err and "trusts only notary" in err, err
        assert "[1/4]" not in err  # refused before proving
        asks = buyer.ok("book", "--profile", "other-notary")["asks"]
        assert [o["quantity"] for o in asks if o["owner"] == ali] == [100_000_000]
        assert not buyer.ok("orders", "--profile", "other-notary")["resting"]
        code, out, err = buyer.run("bid", "--size", "100", "--price", "285", "--profile", "trusted")
    assert code == 0, err
    assert "[4/4]" in err and "self-verify" in err  # proving progress shown on stderr
    bid = json.loads(out)
    assert (bid["filled"], bid["resting"]) == (100_000_000, 0) and len(bid["matched_order_ids"]) == 1
    order = bid["matched_order_ids"][0]
    queue = buyer.ok("queue")["records"]
    rec = next(r for r in queue if r["order_id"] == order)
    assert (rec["buyer"], rec["seller"], rec["status"]) == (farzan, ali, "Pending")
    assert (rec["base_amount"], rec["price"], rec["fiat_due"]) == (100_000_000, 28_500, 2_850_000)
    assert rec["expires_at"] - rec["matched_at"] == 24 * 3600 and rec["seconds_left"] > 86_000
    # the buyer's bond behind the match, in `anomi bid` and `anomi queue`
    assert bid["bond_lamports"] == rec["bond_lamports"] == bond_lamports(2_850_000)
    code, text, err = buyer.run("queue", as_json=False)
    assert code == 0 and "bond SOL" in text and "0.035625" in text, text
    assert not [o for o in seller.ok("book")["asks"] if o["owner"] == ali]
    assert [r["order_id"] for r in seller.ok("orders")["matched"]] == [order]

    # ---- phase 3: the buyer alone learns the payee handle, pays, proves
    assert "not to this account" in seller.refused("payee", str(order))
    payee = buyer.ok("payee", str(order))
    assert (payee["handle"], payee["display_name"]) == (SELLER_HANDLE, "Ali")
    paid = buyer.ok("pay", str(order))
    assert (paid["amount_paisa"], paid["payee"], paid["replayed"]) == (2_850_000, SELLER_HANDLE, False)
    assert buyer.ok("pay", str(order))["replayed"] is True  # paying again pays nothing twice
    assert buyer.ok("rail", "balance")["balance_paisa"] == 5_000_000 - 2_850_000
    assert seller.ok("rail", "balance")["balance_paisa"] == 2_850_000
    with profiles_apply():
        for verb in ("prove", "prove-payment"):
            err = buyer.refused(verb, str(order), "--profile", "other-notary")
            assert "payment receipt is signed by notary" in err and "[1/4]" not in err
        buyer.ok("profile", "add", "trusted", localnet.rpc_url, "--ws-url", localnet.ws_url,
                 "--notary-key", notary_key_hash((int(ours[:64], 16), int(ours[64:], 16))).to_bytes(32, "big").hex())
        code, out, err = buyer.run("prove", str(order), "--profile", "trusted")  # `prove ORDER_ID`
        assert code == 0 and "[4/4]" in err, err
        proved = json.loads(out)
        assert proved["order_id"] == order and int(proved["nullifier"]) > 0
        again = buyer.ok("prove-payment", str(order), "--profile", "trusted")  # the alias; proof kept
        assert again["nullifier"] == proved["nullifier"]
        # the stored proof names the rail's notary: a profile pinning another sends no finalize
        err = buyer.refused("finalize", str(order), "--profile", "other-notary")
        assert "stored payment proof" in err and "trusts only notary" in err
    assert vault_balance(localnet) == vault_before + 100_000_000

    # ---- phase 4: finalize releases the escrow to the buyer
    done = buyer.ok("finalize", str(order))
    assert done["amount"] == 100_000_000
    assert buyer.ok("balance")["usdc_base_units"] == 100_000_000
    assert vault_balance(localnet) == vault_before
    rec = next(r for r in buyer.ok("queue")["records"] if r["order_id"] == order)
    assert rec["status"] == "Settled"
    # the record is final: a second finalize is refused with the program's reason
    assert "Settled" in buyer.refused("finalize", str(order))
    assert "nothing to reclaim" in seller.refused("reclaim", str(order))

    # after the whole session, no secret of either wallet is anywhere in its data directory
    for wallet in (seller, buyer):
        secrets = wallet_secrets(wallet.data_dir / "wallets" / "default.keystore", "cli seed pw")
        assert len([k for k in secrets if k.startswith("x25519 identity ")]) >= EXTRA_IDENTITY_INDEXES
        assert leaks(wallet.data_dir, secrets) == []
    assert buyer.ok("wallet", "identities")["identities"]  # the buyer used an identity (payee reveal)


def test_offline_proof_file_round_trip(env: Path) -> None:
    """`anomi prove N --export-request`, `anomi prove REQUEST -o PROOF` (offline, no cluster),
    finalize --proof; `anomi prove` tells a request file from an order number."""
    seller, buyer = CliWallet("seller2", env), CliWallet("buyer2", env)
    seller.ok("wallet", "create", "--words", "12")
    buyer.ok("wallet", "create", "--words", "12")
    seller.ok("faucet", "--sol", "1", "--usdc", "1")
    buyer.ok("faucet", "--sol", "1")
    seller.ok("rail", "open", "--handle", "0345-5556667", "--name", "Seller Two")
    buyer.ok("rail", "open", "--handle", "0300-5556668", "--name", "Buyer Two")
    buyer.ok("rail", "topup", "1000")
    seller.ok("ask", "--size", "1", "--price", "285")
    order = buyer.ok("bid", "--size", "1", "--price", "285")["matched_order_ids"][0]
    assert "anomi pay" in buyer.refused("prove", str(order))  # nothing paid yet
    assert "anomi pay" in buyer.refused("prove-payment", str(order))
    assert buyer.ok("pay", str(order))["amount_paisa"] == 28_500

    request, proof = env / "request.json", env / "proof.json"
    exported = buyer.ok("prove", str(order), "--export-request", str(request))
    assert exported == {"order_id": order, "request": str(request)}
    assert request.stat().st_mode & 0o777 == 0o600
    assert "-o PROOF.json" in buyer.refused("prove", str(request))              # a request file needs -o
    assert "apply to a matched order" in buyer.refused("prove", str(request), "-o", str(proof), "--force")
    assert "not a matched order number" in buyer.refused("prove", str(env / "missing.json"), "-o", str(proof))
    assert not proof.exists()
    code, _out, err = buyer.run("prove", str(request), "-o", str(proof), as_json=False)  # the prover's offline verb
    assert code == 0 and proof.exists(), err
    offline = buyer.ok("prove", str(request), "-o", str(proof), "-q")           # again, with --json
    assert offline["circuit"] == "payment" and offline["output"] == str(proof)
    altered = env / "altered.json"
    doc = json.loads(proof.read_text())
    doc["statement"]["order_id"] = str(order + 1)
    altered.write_text(json.dumps(doc))
    assert "altered" in buyer.refused("finalize", str(order), "--proof", str(altered))
    done = buyer.ok("finalize", str(order), "--proof", str(proof))
    assert done["amount"] == 1_000_000
    assert buyer.ok("balance")["usdc_base_units"] == 1_000_000


def test_no_rail_secret_or_handle_in_plaintext_on_disk(env: Path) -> None:
    """After the seed run, the wallets' data directories hold the rail credentials, salts, payee
    handles and payment ids only inside the encrypted keystores."""
    from wallet.core.keystore import Keystore

    secrets: list[bytes] = [SELLER_HANDLE.encode(), BUYER_HANDLE.encode(), b"3451234567"]
    for name in ("ali", "farzan"):
        ks = Keystore.unlock(env / name / "wallets" / "default.keystore", "cli seed pw")
        rail = ks.notes("rail")
        secrets += [rail["credential"].encode(), rail["salt"].encode()]
        secrets += [p["payment_id"].encode() for p in ks.notes("payments").values()]
    assert len(secrets) >= 8
    for name in ("ali", "farzan"):
        for path in (env / name).rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert not [s for s in secrets if s in data], path
