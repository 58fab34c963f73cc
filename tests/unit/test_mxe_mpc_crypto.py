"""Key agreement, Rescue KDF and Rescue-CTR decryption inside MPC (3 real MPyC party processes).

A client encrypts exactly as today, to the DKG public key u(Σ S_i) of a fresh cluster; no process
holds the MXE secret. Each party process gets only its own share file and the public job; the
decrypted values must equal the client's plaintexts, opened to party 0 only (the other parties'
outputs must not contain them).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from localnet.mxe import cluster as mxe_cluster
from localnet.mxe import keys as node_keys
from protocol.rescue import RescueCipher
from protocol.x25519 import x25519_public_key, x25519_shared_secret
from tests.unit.mpc_parties import run_parties

def _run_parties(ledger: Path, job: dict, tmp: Path) -> list[dict]:
    (tmp / "job.json").write_text(json.dumps(job))
    return run_parties(
        "localnet.mxe.mpc_party",
        lambda i: ["--share-file", str(node_keys.node_dir(ledger, i) / node_keys.SHARE_FILE),
                   "--job", str(tmp / "job.json"), "--out", str(tmp / f"out{i}.json")],
        [tmp / f"out{i}.json" for i in range(3)], timeout=120)


@pytest.mark.parametrize("values", [[7, 3 << 64], [2**64 - 1, 2**128 - 1, 0, 1, 99, 12345]])
def test_client_input_decrypts_inside_mpc_from_dkg_shares(tmp_path, values):
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    cfg = mxe_cluster.create(ledger, 3)
    client = os.urandom(32)
    nonce = os.urandom(16)
    cts = RescueCipher(x25519_shared_secret(client, cfg.dkg_x25519_public)).encrypt(values, nonce)
    job = {"client_x25519": x25519_public_key(client).hex(), "nonce": int.from_bytes(nonce, "little"),
           "ciphertexts": [int.from_bytes(c, "little") for c in cts], "reveal_to": 0}
    outs = _run_parties(ledger, job, tmp_path)
    assert outs[0]["values"] == values
    for other in outs[1:]:
        assert "values" not in other
        assert not any(str(v) in json.dumps(other) for v in values if v > 1000)
