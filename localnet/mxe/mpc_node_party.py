"""A node's MPyC party process: one MPyC session with the peers' parties, many computations.

    python -m localnet.mxe.mpc_node_party --index I --party HOST:PORT (×N) --node-dir DIR

Why a separate process: MPyC reads its options (parties, index, threshold, statistical security
-K 40) from ``sys.argv`` when it is imported and owns its event loop while it runs; a child
process keeps it out of the node's asyncio loop, and a party stuck on a dead peer is simply
killed. Why one session for many computations: starting a process (~0.2 s) and connecting to
the peers would otherwise sit on every computation's critical path.

Protocol with the node (``mpc_runner.py``): the party connects to its peers' parties and prints
``connected``; for each line ``JOB_PATH<TAB>OUT_PATH`` the node writes, it prints ``agreed`` once
every party has the same job, writes ``OUT_PATH`` (JSON: ``output`` hex or ``rejected`` reason,
or ``abort``) and prints ``done``. When the parties merely hold different jobs (every party sees
that alike) the session goes on; after any other abort (a peer misbehaved) the party exits, as
it does when a peer connection is lost (exit 4), and the node starts a fresh one.

Test switches (environment): ``ANOMI_MXE_TRANSCRIPT=DIR`` appends every message this party
receives from its peers (and its job) to ``DIR/party-<i>.bin``, for the plaintext scan;
``ANOMI_MXE_TEST_GARBAGE=I`` makes party I send random bytes instead of its messages in place of its
shares (a lying node).

A party never outlives its node: a watchdog thread exits as soon as the parent process is gone
(a node killed with SIGKILL cannot kill its party) or ``MAX_SECONDS`` after its job arrived.
"""
from __future__ import annotations

import argparse
import asyncio
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
    _install_test_switches(mpc, args.index)

    def write(path: str, result: dict) -> None:
        tmp = Path(path + ".tmp")
        tmp.write_text(json.dumps(result))
        os.replace(tmp, path)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(_fatal_connection_errors)
        await mpc.start()                       # connect to the peers' parties first...
        print("connected", flush=True)
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()  # ...then wait for jobs
            if not line:
                break  # the node stopped
            _deadline[0] = time.monotonic() + MAX_SECONDS
            job_path, out_path = line.split("\t")
            job = json.loads(Path(job_path).read_text())
            if os.environ.get("ANOMI_MXE_TRANSCRIPT"):
                with open(Path(os.environ["ANOMI_MXE_TRANSCRIPT"]) / f"party-{args.index}.bin", "ab") as out:
                    out.write(Path(job_path).read_bytes() + b"\n")
            session_ok = True
            try:
                result = (await mpc_program.run(job, share, cache, lambda step: print(step, flush=True))).to_json()
            except mpc_program.JobMismatch as exc:
                result = {"abort": str(exc)}   # every party saw the same digests: all skip this job
            except mpc_program.MpcAbort as exc:
                result, session_ok = {"abort": str(exc)}, False
            except Exception as exc:  # a peer's garbage can break MPyC's own decoding
                traceback.print_exc()
                result, session_ok = {"abort": f"{type(exc).__name__}: {exc}"}, False
            result["session_ended"] = not session_ok
            write(out_path, result)
            _deadline[0] = float("inf")
            print("done", flush=True)
            if not session_ok:
                # the parties may now disagree on where they are: end the session, the nodes
                # start fresh parties
                os._exit(0)
        await mpc.shutdown()

    mpc.run(serve())
    return 0


def _fatal_connection_errors(loop, context: dict) -> None:
    """A lost peer connection (its node died or gave up) ends this party at once: the node sees
    it end and starts a fresh one, instead of a party waiting forever on a dead link."""
    if isinstance(context.get("exception"), (ConnectionError, OSError)):
        print(f"peer connection lost: {context['exception']!r}", file=sys.stderr, flush=True)
        os._exit(4)
    loop.default_exception_handler(context)


if __name__ == "__main__":
    sys.exit(main())
