"""A node's MPyC party process for one computation (started warm, given its job on stdin).

    python -m localnet.mxe.mpc_node_party --index I --party HOST:PORT (×N) --node-dir DIR

Why a process per computation: MPyC reads its options (parties, index, threshold, statistical
security -K 40) from ``sys.argv`` when it is imported and owns its event loop while it runs; a
short-lived process keeps it out of the node's asyncio loop, and a party stuck on a dead peer
is simply killed. The node starts the next party as soon as one ends, so the import (~0.2 s) is
paid while waiting, not per computation.

Protocol with the node (``mpc_runner.py``): the node writes one line ``JOB_PATH<TAB>OUT_PATH``;
the party prints ``connected`` once every peer is connected, then writes ``OUT_PATH`` (JSON:
``output`` hex or ``rejected`` reason, or ``abort`` when the parties disagree) and exits 0.

Test switches (environment): ``ANOMI_MXE_TRANSCRIPT=DIR`` appends every message this party
receives from its peers (and its job) to ``DIR/party-<i>.bin``, for the plaintext scan;
``ANOMI_MXE_TEST_GARBAGE=I`` makes party I send random bytes instead of its messages in place of its
shares (a lying node).

A party never outlives its node: a watchdog thread exits as soon as the parent process is gone
(a node killed with SIGKILL cannot kill its party) or ``MAX_SECONDS`` after its job arrived.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import traceback
from pathlib import Path

from localnet.mxe.mpc_options import mpyc_argv


def _install_test_switches(mpc, index: int) -> None:
    transcript = os.environ.get("ANOMI_MXE_TRANSCRIPT")
    if transcript:
        path = Path(transcript) / f"party-{index}.bin"
        receive = mpc._receive_message

        def write(payload) -> None:
            with open(path, "ab") as out:
                out.write(bytes(payload) + b"\n")

        def recording(peer_pid):
            got = receive(peer_pid)  # the message itself if it already arrived, else a future
            if isinstance(got, (bytes, bytearray, memoryview)):
                write(got)
            else:
                got.add_done_callback(lambda f: write(f.result()))
            return got
        mpc._receive_message = recording
    if os.environ.get("ANOMI_MXE_TEST_GARBAGE") == str(index):
        send = mpc._send_message

        def garbage(peer_pid, data):
            # shares only (pickled transfers such as the handshake stay intact): the honest
            # parties must notice wrong field elements, not just undecodable messages
            if not bytes(data[:1]) == b"\x80":
                data = os.urandom(len(data))
            return send(peer_pid, data)
        mpc._send_message = garbage


MAX_SECONDS = 300.0            # for one job, counted from its arrival (a warm party waits freely)
_deadline = [float("inf")]


def _watchdog() -> None:
    parent = os.getppid()
    while os.getppid() == parent and time.monotonic() < _deadline[0]:
        time.sleep(0.25)
    os._exit(3)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=int, required=True)
    ap.add_argument("--party", action="append", required=True)
    ap.add_argument("--node-dir", required=True)
    args = ap.parse_args(argv)
    threading.Thread(target=_watchdog, daemon=True).start()
    sys.argv = mpyc_argv(sys.argv[0], args.index, args.party)
    from mpyc.runtime import mpc

    from localnet.mxe import keys as node_keys
    from localnet.mxe import mpc_program

    share = node_keys.load_share(Path(args.node_dir))
    cache = mpc_program.KeyShareCache(Path(args.node_dir))
    line = sys.stdin.readline().strip()
    if not line:
        return 0  # the node stopped before giving us a job
    _deadline[0] = time.monotonic() + MAX_SECONDS
    job_path, out_path = line.split("\t")
    job = json.loads(Path(job_path).read_text())
    if os.environ.get("ANOMI_MXE_TRANSCRIPT"):
        with open(Path(os.environ["ANOMI_MXE_TRANSCRIPT"]) / f"party-{args.index}.bin", "ab") as out:
            out.write(Path(job_path).read_bytes() + b"\n")
    _install_test_switches(mpc, args.index)

    async def run() -> dict:
        await mpc.start()
        print("connected", flush=True)
        try:
            outcome = (await mpc_program.run(job, share, cache)).to_json()
        except mpc_program.MpcAbort as exc:
            outcome = {"abort": str(exc)}
        await mpc.shutdown()
        return outcome

    try:
        result = mpc.run(run())
    except Exception as exc:  # a peer's garbage can break MPyC's own decoding
        traceback.print_exc()
        result = {"abort": f"{type(exc).__name__}: {exc}"}
    tmp = Path(out_path + ".tmp")
    tmp.write_text(json.dumps(result))
    os.replace(tmp, out_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
