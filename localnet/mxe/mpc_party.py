"""One MPyC party of the MXE cluster: decrypt a client's input inside MPC from this node's share.

    python -m localnet.mxe.mpc_party --index I --party HOST:PORT (×N) --share-file F --job JOB.json --out OUT.json

Why a separate process per computation: MPyC reads its options (parties, index, threshold, the
statistical security parameter, here -K 40) from ``sys.argv`` when it is imported, and owns its
event loop while it runs; a short-lived process per computation keeps it out of the node's
asyncio loop and ends cleanly on SIGTERM.

The job (JSON) holds only public values: the client x25519 key, the nonce and the ciphertexts.
The party computes its partial agreement s_i·(8·P) in the clear (only it knows s_i) and inputs
it secret-shared; ``reveal_to`` names the party that receives the decrypted values (tests only:
the real compute mode keeps them shared and runs the OTC logic on them).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from localnet.mxe.mpc_options import mpyc_argv


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=int, required=True)
    ap.add_argument("--party", action="append", required=True)
    ap.add_argument("--share-file", required=True)
    ap.add_argument("--job", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    sys.argv = mpyc_argv(sys.argv[0], args.index, args.party)
    from mpyc.runtime import mpc

    from localnet.mxe import dkg
    from localnet.mxe import mpc_crypto as mc

    with open(args.share_file) as f:
        share = int.from_bytes(bytes.fromhex(f.read().strip()), "little")
    with open(args.job) as f:
        job = json.load(f)
    x, y = mc.edwards_xy(dkg.partial_agreement(share, bytes.fromhex(job["client_x25519"])))

    async def run() -> dict:
        await mpc.start()
        t0 = time.perf_counter()
        mine = [mc.secfld(x), mc.secfld(y)]
        shared = mpc.input(mine)  # one (x, y) per party, each secret-shared
        z = await mc.shared_secret([tuple(p) for p in shared])
        await mpc.gather(z)  # wait for the share itself (MPyC schedules lazily), for the timings
        t1 = time.perf_counter()
        key = await mc.rescue_kdf(z)
        await mpc.gather(key)
        t2 = time.perf_counter()
        values = await mc.decrypt(key, int(job["nonce"]), [int(c) for c in job["ciphertexts"]])
        await mpc.gather(values)
        t3 = time.perf_counter()
        opened = await mpc.output(values, receivers=[job["reveal_to"]])
        await mpc.shutdown()
        out = {"timings": {"key_agreement": t1 - t0, "kdf": t2 - t1, "decrypt": t3 - t2}}
        if args.index == job["reveal_to"]:
            out["values"] = [int(v.value) for v in opened]
        return out

    result = mpc.run(run())
    with open(args.out, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
