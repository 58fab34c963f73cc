"""Wallet services against the real localnet: live book / my-orders / queue events over
accountSubscribe while CLI wallets trade, cancel returning escrow, and the payee directory's
refusals (only the matched buyer; unknown orders) checked against the real MatchedOrder. The
directory is the one `anomi localnet up` runs and advertises; `anomi directory up` alone too."""
from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path

import pytest
from nacl.bindings import crypto_scalarmult_base
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from localnet.services import directory_port
from tests.integration.cli_wallets import CliWallet, start_payee_directory, stop_process
from tests.integration.localnet_client import raw_rpc
from tests.integration.localnet_process import LocalnetProcess, free_port_block
from wallet.core.chain import Chain
from wallet.core.config import ClusterProfile
from wallet.core.events import EventBus
from wallet.core.keystore import Keystore
from wallet.core.market_service import BookUpdated, MarketService, MyOrdersUpdated, QueueUpdated
from wallet.core.payee_directory import DirectoryClient, DirectoryError, directory_url


@pytest.fixture(scope="module")
def env(localnet: LocalnetProcess, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("cli-services")
    mp = pytest.MonkeyPatch()
    mp.setenv("ANOMI_PASSWORD", "cli services pw")
    mp.setenv("ANOMI_RPC_URL", localnet.rpc_url)
    mp.delenv("ANOMI_DIRECTORY_URL", raising=False)  # wallets use the one the cluster advertises
    info = (await_(raw_rpc(localnet.rpc_url, "anomi_clusterInfo")))["result"]
    yield root, info["directoryUrl"]
    mp.undo()


async def reveal_once(url: str, market: Pubkey, secret: bytes) -> object:
    async with DirectoryClient(url) as directory:
        return await directory.reveal(Keypair(), market, 0, crypto_scalarmult_base(secret), secret, 1)


def await_(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


async def until(pred, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


async def test_live_market_events_cancel_and_directory_refusals(env, localnet: LocalnetProcess) -> None:
    root, directory_url = env
    seller, buyer = CliWallet("s", root), CliWallet("b", root)
    run = asyncio.to_thread
    me = (await run(seller.ok, "wallet", "create", "--words", "12"))["address"]
    await run(buyer.ok, "wallet", "create", "--words", "12")
    await run(seller.ok, "faucet", "--sol", "1", "--usdc", "10")
    await run(buyer.ok, "faucet", "--sol", "1")
    await run(seller.ok, "rail", "open", "--handle", "0345-2223334", "--name", "Seller")
    await run(buyer.ok, "rail", "open", "--handle", "0300-2223335", "--name", "Buyer")
    await run(buyer.ok, "rail", "topup", "10000")

    bus = EventBus()
    books: list[BookUpdated] = []
    mine: list[MyOrdersUpdated] = []
    queues: list[QueueUpdated] = []
    bus.subscribe(BookUpdated, books.append)
    bus.subscribe(MyOrdersUpdated, mine.append)
    bus.subscribe(QueueUpdated, queues.append)
    chain = Chain(ClusterProfile("t", localnet.rpc_url, localnet.ws_url).validated())
    service = MarketService(chain, bus, owner=Pubkey.from_string(me), poll_interval=60.0)
    await service.start()  # PubSub must deliver: the poll is too slow to matter here
    try:
        await asyncio.wait_for(service.subscribed.wait(), 10)
        placed = await run(seller.ok, "ask", "--size", "4", "--price", "300")
        await until(lambda: mine and [o.order_id for o in mine[-1].orders] == [int(placed["order_id"])])
        assert any(o.owner == me and o.quantity == 4_000_000 for o in books[-1].book.asks)

        # cancel: the escrow comes back and the live view empties
        assert "no resting order" in (await run(buyer.refused, "cancel", placed["order_id"]))
        await run(seller.ok, "cancel", placed["order_id"])
        await until(lambda: mine[-1].orders == [])
        assert (await run(seller.ok, "balance"))["usdc_base_units"] == 10_000_000

        # a match shows up in the queue stream as Pending for both sides
        await run(seller.ok, "ask", "--size", "1", "--price", "300")
        bid = await run(buyer.ok, "bid", "--size", "1", "--price", "300")
        order = bid["matched_order_ids"][0]
        await until(lambda: queues and any(r.order_id == order for r in queues[-1].mine))
        rec = next(r for r in queues[-1].mine if r.order_id == order)
        assert rec.status == "Pending" and rec.fiat_due == 30_000 and rec.seconds_left > 86_000
    finally:
        await service.stop()
        await chain.close()

    # the directory reveals to the matched buyer only
    client = DirectoryClient(directory_url)  # one HTTP session for the reveals below
    secret = bytes(range(5, 37))
    market = service.market._addr["market"]  # type: ignore[index]
    commitment = int.from_bytes(rec.payee_commitment, "big")
    for who, order_id, code in ((Keypair(), order, "not_buyer"), (Keypair(), 10**9, "no_order")):
        with pytest.raises(DirectoryError) as exc:
            await client.reveal(who, market, order_id, crypto_scalarmult_base(secret), secret, commitment)
        assert exc.value.code == code
    seller_ks = Keystore.unlock(Path(root / "s" / "wallets" / "default.keystore"), "cli services pw")
    with pytest.raises(DirectoryError) as exc:  # the seller is not the buyer either
        await client.reveal(seller_ks.keypair(), market, order, crypto_scalarmult_base(secret), secret,
                            commitment)
    assert exc.value.code == "not_buyer"
    await client.close()
    assert (await run(buyer.ok, "payee", str(order)))["handle"] == "0345-2223334"

    # reclaim is refused while the record has time left; nothing changes
    err = await run(seller.refused, "reclaim", str(order))
    assert "expires in" in err


async def test_the_cluster_advertises_its_directory_and_profiles_override_it(
        localnet: LocalnetProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    info = (await raw_rpc(localnet.rpc_url, "anomi_clusterInfo"))["result"]
    advertised = f"http://127.0.0.1:{directory_port(localnet.rpc_port)}"
    assert info["directoryUrl"] == info["services"]["directory"] == advertised
    monkeypatch.delenv("ANOMI_DIRECTORY_URL", raising=False)
    plain = ClusterProfile("t", localnet.rpc_url, localnet.ws_url).validated()
    own = ClusterProfile("t", localnet.rpc_url, localnet.ws_url, directory_url="http://127.0.0.1:1/").validated()
    # a cluster that answers no anomi_clusterInfo (nothing listens) advertises nothing
    silent_port = free_port_block(1)
    silent = ClusterProfile("t", f"http://127.0.0.1:{silent_port}", f"ws://127.0.0.1:{silent_port + 1}",
                            usdc_mint=localnet.usdc_mint).validated()
    async with Chain(plain) as a, Chain(own) as b, Chain(silent) as c:
        assert await directory_url(a) == advertised
        assert await directory_url(b) == "http://127.0.0.1:1"
        with pytest.raises(DirectoryError, match="advertises no payee directory"):
            await directory_url(c)
        monkeypatch.setenv("ANOMI_DIRECTORY_URL", "http://127.0.0.1:2")
        assert await directory_url(a) == await directory_url(c) == "http://127.0.0.1:2"
    with pytest.raises(DirectoryError, match="does not answer.*anomi localnet up"):
        async with DirectoryClient("http://127.0.0.1:1") as unreachable:
            await unreachable.deposit(Keypair(), "0345-1234567", 7, "X")


def test_standalone_directory_serves_and_stops_promptly_on_sigterm(localnet: LocalnetProcess,
                                                                   tmp_path: Path) -> None:
    """`anomi directory up` alone: answers, refuses an unknown order against the real cluster,
    and exits within a second or two of SIGTERM even when started with SIGTERM ignored."""
    proc, url = start_payee_directory(localnet.rpc_url, tmp_path / "d", ignore_sigterm=True)
    try:
        market = Pubkey.from_string(str(await_(raw_rpc(localnet.rpc_url, "anomi_clusterInfo"))["result"]
                                        ["programIds"]["market"]))  # not a market: no queue
        secret = bytes(range(32))
        with pytest.raises(DirectoryError) as exc:
            await_(reveal_once(url, market, secret))
        assert exc.value.code == "wrong_market"
        assert (tmp_path / "d" / "directory.sqlite3").stat().st_mode & 0o777 == 0o600
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0  # exits on SIGTERM although it was started with SIGTERM ignored
    except subprocess.TimeoutExpired:
        raise AssertionError("the payee directory ignored SIGTERM") from None
    finally:
        if proc.poll() is None:
            stop_process(proc)
