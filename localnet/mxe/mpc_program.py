"""One OTC computation as secure multi-party computation: what each MXE node's MPyC party runs.

Why this shape: every secret of a computation exists only as Shamir shares (threshold t, one
share per node): the client's shared secret and Rescue key, the decrypted inputs, the deal and
offer state, the results. The job (``mpc_jobs.py``) holds only public values (ciphertexts,
nonces, x25519 public keys, the expected bindings, the plaintext flags); each party adds its
own DKG share ``s_i`` and its cache of key shares. The parties open only:

* masked values that are uniform (or 2^−40-close to uniform) by construction: inside the
  inverse S-box, the reciprocals, the range checks, the comparisons of ``mpc_circuits``;
* verdicts the plaintext protocol makes public anyway: "inputs rejected", the crank status;
* the output ciphertexts, i.e. the callback bytes.

Steps: (1) all parties agree on the job (a hash of it) and on which client keys still need
deriving; (2) key agreement, Rescue KDF and key schedule for those keys (then cached as shares,
per client key, as Arcis 0.12 does); (3) every keystream block the computation needs, in one
batch (the cipher permutation runs on a vector of blocks, so the round count does not grow
with the number of blocks); (4) decrypt = ciphertext − keystream; (5) range-check client inputs
and check state bindings, open only the verdict; (6) the seed-003 logic on shares
(``mpc_circuits``); (7) ciphertext = plaintext + keystream, opened with every party's share and
checked to lie on one degree-t polynomial, so a party sending garbage makes the computation
fail instead of producing a result the honest nodes would sign.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from mpyc.runtime import mpc

from localnet.mxe import dkg, mpc_checks
from localnet.mxe import mpc_circuits as circ
from localnet.mxe import mpc_crypto as mc
from localnet.mxe.mpc_open import MpcAbort, open_checked, shares
from protocol import arcium_encoding as enc
from protocol.rescue import CIPHER_ROUNDS, CIPHER_WIDTH

__all__ = ["JobMismatch", "KeyShareCache", "MpcAbort", "Outcome", "run"]

CACHE_DIR = "mpc-key-shares"
WIDTHS = {"u8": 8, "u64": 64, "u128": 128}




class JobMismatch(MpcAbort):
    """The parties hold different jobs (every party sees the same digests, so all skip alike)."""


@dataclass
class Outcome:
    """What a party reports: the callback output bytes, or why the computation was rejected."""

    output: bytes | None
    rejected: str | None
    timings: dict[str, float] | None = None   # seconds per phase (where the time goes)

    def to_json(self) -> dict[str, Any]:
        return {"output": None if self.output is None else self.output.hex(), "rejected": self.rejected,
                "timings": self.timings or {}}


class KeyShareCache:
    """This party's Shamir shares of the Rescue round keys per client x25519 key (node dir, 0600).

    Only shares are stored: t of them reveal nothing about the key."""

    def __init__(self, node_dir: Path) -> None:
        self.dir = Path(node_dir) / CACHE_DIR

    def _path(self, key_hex: str) -> Path:
        return self.dir / f"{key_hex}.json"

    def has(self, key_hex: str) -> bool:
        return self._path(key_hex).exists()

    def load(self, key_hex: str) -> list[list[int]]:
        return json.loads(self._path(key_hex).read_text())

    def store(self, key_hex: str, rows: list[list[int]]) -> None:
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self._path(key_hex).with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(rows, f)
        os.replace(tmp, self._path(key_hex))


def job_digest(job: dict) -> str:
    return hashlib.sha256(json.dumps(job, sort_keys=True).encode()).hexdigest()


def _from_shares(values: list[int]) -> list:
    return [mc.secfld(mc.secfld.field(v)) for v in values]


async def agree(job: dict, cache: KeyShareCache, keys: list[str]) -> list[str]:
    """Same job at every party (else abort), and the keys some party has not cached yet."""
    mine = (job_digest(job), sorted(k for k in keys if cache.has(k)))
    everyone = await mpc.transfer(mine)
    try:
        digests = {d for d, _ in everyone}
        cached = [set(c) for _, c in everyone]
    except (TypeError, ValueError) as exc:
        raise MpcAbort(f"malformed handshake from a peer: {exc}") from None
    if len(digests) != 1:
        raise JobMismatch("the nodes are not at the same computation (or read different chain state)")
    common = set(keys).intersection(*cached)
    return [k for k in keys if k not in common]


async def derive_round_keys(share: int, key_hex: str) -> list[list]:
    """Key agreement from the DKG shares, RescuePrimeHash KDF and the cipher key schedule."""
    x, y = mc.edwards_xy(dkg.partial_agreement(share, bytes.fromhex(key_hex)))
    points = mpc.input([mc.secfld(x), mc.secfld(y)])  # one (x, y) per party, secret-shared
    z = await mc.shared_secret([tuple(p) for p in points])
    key = await mc.rescue_kdf(z)
    return await mc.cipher_steps(list(key), [[mc.secfld(c) for c in k] for k in mc.FIELD.cipher_constants])


async def round_keys(job: dict, share: int, cache: KeyShareCache,
                     progress: Callable[[str], None] = lambda step: None) -> dict[str, list[list]]:
    keys = sorted(set(job["keys"]))
    fresh = await agree(job, cache, keys)
    progress("agreed")
    out: dict[str, list[list]] = {}
    for k in keys:
        if k in fresh:
            out[k] = await derive_round_keys(share, k)
            cache.store(k, [await shares(row) for row in out[k]])
        else:
            out[k] = [_from_shares(row) for row in cache.load(k)]
    return out


async def keystreams(blocks: list[tuple[list[list], int, int]]) -> list[list]:
    """E_K([nonce, i, 0, 0, 0]) for many (round keys, nonce, block index) at once."""
    states = [[rk[0][j] + c for j, c in enumerate([nonce, index, 0, 0, 0])] for rk, nonce, index in blocks]
    width = CIPHER_WIDTH * len(states)
    # the inverse S-box masks, drawn now (data-independent) and used round by round. (Masked
    # one-round x^5 from precomputed r..r^5 was tried: fewer rounds but more multiplications,
    # and on 2 shared cores the parties are CPU-bound, so it measured 40-60 % slower.)
    roots = [mc.root_masks(width) for _ in range(CIPHER_ROUNDS)]
    for r in range(2 * CIPHER_ROUNDS):
        flat = [x for s in states for x in s]
        flat = await mc.fifth_root(flat, roots[r // 2]) if r % 2 == 0 else mc.pow5(flat)
        states = [flat[i * CIPHER_WIDTH:(i + 1) * CIPHER_WIDTH] for i in range(len(states))]
        states = [mc.mds_add(mc.FIELD.cipher_mds, s, rk[r + 1]) for s, (rk, _, _) in zip(states, blocks)]
    return states


def _block_count(n: int) -> int:
    return (n + CIPHER_WIDTH - 1) // CIPHER_WIDTH


def _stream(blocks: list[list], first: int, n: int) -> list:
    flat = [x for b in blocks[first:first + _block_count(n)] for x in b]
    return flat[:n]


class _Phases:
    """Wall time per phase. MPyC schedules lazily, so a lap first waits for the phase's last
    values to exist (``mpc.gather``), else the time would be booked to a later phase."""

    def __init__(self) -> None:
        self.t = time.perf_counter()
        self.times: dict[str, float] = {}

    async def lap(self, name: str, wait_for: Any = None) -> None:
        if wait_for is not None:
            await mpc.gather(wait_for)
        now = time.perf_counter()
        self.times[name] = self.times.get(name, 0.0) + now - self.t
        self.t = now

    def done(self) -> dict[str, float]:
        return dict(self.times)


async def run(job: dict, share: int, cache: KeyShareCache,
              progress: Callable[[str], None] = lambda step: None) -> Outcome:
    """The computation ``job`` (see ``mpc_jobs.plan``) on this party's share; ``progress`` hears
    "agreed" once every party is known to run this same job."""
    clock = _Phases()
    rks = await round_keys(job, share, cache, progress)
    await clock.lap("keys", rks[job["keys"][0]][-1])
    # every keystream block, in one batch: reads first, then the outputs
    reads: list[dict] = [r for r in (job.get("state"), job.get("input")) if r]
    outputs: list[dict] = job["outputs"]
    blocks, starts = [], []
    for item in reads + outputs:
        starts.append(len(blocks))
        blocks += [(rks[item["key"]], int(item["nonce"]), b) for b in range(_block_count(len(item["types"])))]
    streams = await keystreams(blocks)
    await clock.lap("rescue", streams[-1])
    plain: list[list] = []
    for item, first in zip(reads, starts):
        ks = _stream(streams, first, len(item["types"]))
        plain.append([mc.secfld(int(c)) - k for c, k in zip(item["cts"], ks)])

    # checks: client values in range, state bound to its account; only the verdicts are opened
    if job.get("input"):
        values = plain[-1]
        widths = [WIDTHS[t] for t in job["input"]["types"]]
        if not all(await mpc_checks.in_range_verdicts(values, widths)):
            return Outcome(None, "an encrypted input is out of range for its type", clock.done())
    if job.get("state"):
        if not (await mpc_checks.equals_public([plain[0][-1]], [int(job["state"]["binding"])]))[0]:
            return Outcome(None, "the state is not bound to the account it was read from", clock.done())
    await clock.lap("checks")
    results, status = await _logic(job, plain)
    cts = []
    for item, first, values in zip(outputs, starts[len(reads):], results):
        ks = _stream(streams, first, len(item["types"]))
        cts.append([v + k for v, k in zip(values, ks)])
    await clock.lap("logic", cts[-1])
    opened = await open_checked([c for group in cts for c in group])
    await clock.lap("open")
    out, i = b"", 0
    for item in outputs:
        n = len(item["types"])
        raw = tuple(v.to_bytes(32, "little") for v in opened[i:i + n])
        i += n
        if item["to"] == "mxe":
            out += enc.MxeEncrypted(int(item["nonce"]), raw).to_bytes()
        else:
            out += enc.SharedEncrypted(bytes.fromhex(item["key"]), int(item["nonce"]), raw).to_bytes()
    if status is not None:
        out += bytes([status])
    return Outcome(out, None, clock.done())


async def _logic(job: dict, plain: list[list]) -> tuple[list[list], int | None]:
    """Seed 003's instruction on shares -> (plaintext values per output, public status byte)."""
    circuit, flags = job["circuit"], job.get("flags", {})
    bind = {k: mc.secfld(int(v)) for k, v in job.get("bindings", {}).items()}
    if circuit == "create_deal":
        amount, price = plain[0]
        return [[amount, price, mc.secfld(0), bind["deal"]], [amount, price]], None
    if circuit == "submit_offer":
        deal = tuple(plain[0][:3])
        price, amount = plain[1]
        new_deal, offer, blob = await circ.submit_offer(deal, price, amount)
        return [[*new_deal, bind["deal"]], [*offer, bind["offer"]], list(blob)], None
    if circuit == "crank_deal":
        deal = tuple(plain[0][:3])
        blob, status = await circ.crank_deal(deal, bool(flags["is_expired"]), bool(flags["allow_partial"]))
        return [list(blob)], status
    offer = tuple(plain[0][:3])
    return [list(await circ.crank_offer(offer, bool(flags["deal_success"])))], None
