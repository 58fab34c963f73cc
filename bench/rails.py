"""Fiat-rail throughput: transfers/s and latency over loopback, against two peers in one run.

    .venv/bin/python -m bench.rails [--transfers 3000] [--threads 4]

What is measured: this process is the client (keep-alive HTTP, one connection per thread);
the rail runs as a separate `anomi rails up` process on a free port with a fresh data dir.
Every request is a full authenticated transfer (Basic auth against the cached argon2id check,
strict validation, one BEGIN IMMEDIATE transaction with synchronous=FULL, JSON reply).

Peers, measured in the same run with the same client and workload shape:
  * http-floor: a minimal aiohttp server process that parses the same JSON body and answers a
    JSON object, with no auth and no storage. rail/http-floor says how much of the achievable
    aiohttp-over-loopback rate the rail keeps after doing real work.
  * sqlite-only: the rail's own RailStore.transfer called in-process in a loop (same SQL, same
    durability, no HTTP, no auth). rail/sqlite-only shows what the HTTP service costs.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from localnet.rails.client import RailClient

ACCOUNTS = 16


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _start(args: list[str], ready: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if ready not in line:
        proc.kill()
        raise SystemExit(f"bench.rails: server did not start: {line!r}")
    url = line.split("http://", 1)[1].split()[0]
    return proc, f"http://{url}"


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=15)


def _drive(url: str, auths: list[tuple[str, str]], total: int, threads: int,
           label: str) -> tuple[float, list[float]]:
    """Run `total` transfers from `threads` threads; returns (wall seconds, latencies in s)."""
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads + 1)

    def worker(index: int) -> None:
        rng = random.Random(index)
        client = RailClient(url)
        mine: list[float] = []
        barrier.wait()
        for n in range(total // threads):
            payer, payee = rng.sample(range(len(auths)), 2)
            t0 = time.perf_counter()
            client.transfer(auths[payer], auths[payee][0], rng.randint(1, 100),
                            f"{label}-{index}-{n}", "bench")
            mine.append(time.perf_counter() - t0)
        client.close()
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in pool:
        t.join()
    return time.perf_counter() - t0, latencies


def _sqlite_only(data: Path, total: int) -> float:
    """The same transfers straight into RailStore, in this process; returns transfers/s."""
    from localnet.rails.storage import RailStore

    store = RailStore(data / "baseline.sqlite3")
    handles = [f"0355-{i:07d}" for i in range(ACCOUNTS)]
    for h in handles:
        store.open_account(h, "bench", "unused-hash", 1)
        store.top_up(h, 10**9)
    rng = random.Random(7)
    t0 = time.perf_counter()
    for n in range(total):
        payer, payee = rng.sample(handles, 2)
        store.transfer(payer, payee, rng.randint(1, 100), "bench", f"s-{n}")
    elapsed = time.perf_counter() - t0
    store.close()
    return total / elapsed


def _echo_server(port: int) -> None:
    """The http-floor peer: parse the JSON body, answer JSON, nothing else."""
    from aiohttp import web

    async def transfer(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"payment_id": "1", "amount_paisa": body["amount_paisa"],
                                  "replayed": False}, status=201)

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/v1/transfers", transfer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        print(f"echo: listening on http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def _report(name: str, seconds: float, latencies: list[float]) -> float:
    rate = len(latencies) / seconds
    print(f"{name:12s} {rate:8.0f} transfers/s   p50 {statistics.median(latencies) * 1e3:6.2f} ms"
          f"   p99 {_percentile(latencies, 99) * 1e3:6.2f} ms   ({len(latencies)} requests)")
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rails", description=__doc__.split("\n")[0])
    parser.add_argument("--transfers", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--echo-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.echo_server:
        _echo_server(args.port)
        return 0

    anomi = str(Path(sys.executable).with_name("anomi"))
    with tempfile.TemporaryDirectory(prefix="bench-rails-") as tmp:
        data = Path(tmp)
        rail, rail_url = _start([anomi, "rails", "up", "--port", "0", "--data",
                                 str(data / "rail")], "rails: listening on")
        echo, echo_url = _start([sys.executable, "-m", "bench.rails", "--echo-server"],
                                "echo: listening on")
        try:
            setup = RailClient(rail_url)
            auths = [(f"0344-{i:07d}", f"bench-credential-{i}") for i in range(ACCOUNTS)]
            for auth in auths:
                setup.open_account(auth[0], "bench", auth[1])
                setup.top_up(auth, 10**9)
                setup.balance(auth)  # warm the credential cache as a long-lived client would
            before = sum(setup.balance(a) for a in auths)
            _drive(rail_url, auths, 200, args.threads, "warm")
            _drive(echo_url, auths, 200, args.threads, "warm")

            print(f"bench.rails: {args.transfers} transfers, {args.threads} client threads, "
                  f"{ACCOUNTS} accounts, loopback")
            rail_rate = _report("rail", *_drive(rail_url, auths, args.transfers, args.threads,
                                                "run"))
            echo_rate = _report("http-floor", *_drive(echo_url, auths, args.transfers,
                                                      args.threads, "run"))
            sqlite_rate = _sqlite_only(data, args.transfers)
            print(f"{'sqlite-only':12s} {sqlite_rate:8.0f} transfers/s   (in-process RailStore,"
                  " no HTTP/auth)")
            after = sum(setup.balance(a) for a in auths)
            if after != before:
                raise SystemExit(f"bench.rails: money not conserved ({before} -> {after})")
            setup.close()
        finally:
            _stop(rail)
            _stop(echo)
    print(f"ratio rail/http-floor  = {rail_rate / echo_rate:.2f}")
    print(f"ratio rail/sqlite-only = {rail_rate / sqlite_rate:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
