"""A trader's session on the zk-p2p market: the rail account, asks, bids (with a solvency
proof) and cancels. Settlement of matched orders is in settlement.py.

Why one context object: every action needs the same things - the unlocked keystore and the
signing account, the chain, the market client, the rail (URL advertised by the cluster), the
payee directory, proof jobs and a transaction sender - and each is created once per session.
Checks a user can fail (size below minimum, not enough USDC, no rail account, a notary the
market does not trust, a notary other than the one the cluster profile pins) run before
anything is proved or signed, so a refusal changes nothing.
"""
from __future__ import annotations

import copy
import logging
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from protocol.attestation import SignedAttestation, account_commitment, notary_key_hash, reservation_tag
from protocol.poseidon import FIELD_MODULUS as BN254_R
from protocol.units import fiat_due
from protocol.wallet_link import link_message

from . import offthread
from .amounts import format_amount
from .chain import Chain
from .crash_points import crash_point
from .config import ClusterProfile
from .events import EventBus
from .identities import IdentityBook
from .keystore import Keystore
from .market_client import (
    BID_COMPUTE_UNITS, MARKET, BookOrder, MarketClient, MarketError, check_order)
from .payee_directory import DirectoryClient
from .proof_jobs import ProofJobService
from .rail_client import RailClient, RailError, RailLogin
from .rail_credentials import rail_credential
from .seed_backup import require_backup
from .trade_events import OrderCancelled, OrderPlaced
from .prepared_order import PayeeDeposit, PreparedOrder
from .references import order_ref
from .trade_words import escrow_shortfall, rail_shortfall
from .tx import SentTx, TxSender
from .tx_preview import TxPreview, Watched, preview_transaction

if TYPE_CHECKING:  # the prover loads when a proof is made, not with the window (proof_jobs.py)
    from prover.files import ProofRequest

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


class UntrustedNotary(MarketError):
    """A document signed by a notary other than the one the cluster profile pins."""


def pinned_notary(profile: ClusterProfile) -> int | None:
    """The key hash of the notary the profile pins, or None when it pins none.

    Why a pin on top of the market's registry: the registry says which notaries the programs
    accept, but a user may trust only one of them (e.g. the rail they bank with), and a wrong
    rail URL or a compromised rail should not be able to get the wallet to prove or send
    anything signed by another notary, even a registered one."""
    if profile.notary_key is None:
        return None
    raw = bytes.fromhex(profile.notary_key)
    if len(raw) == 64:
        return notary_key_hash((int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")))
    return int.from_bytes(raw, "big")


def check_notary(profile: ClusterProfile, key_hash: int, what: str) -> None:
    """Refuse `what` (an attestation, receipt or proof) unless the pinned notary signed it."""
    pinned = pinned_notary(profile)
    if pinned is not None and key_hash != pinned:
        raise UntrustedNotary(
            f"{what} is signed by notary {key_hash:064x}, but cluster profile {profile.name!r} "
            f"trusts only notary {pinned:064x}; nothing was proved or sent")


@dataclass(frozen=True)
class OrderResult:
    """What one placement did: the resting order id (if any rests) and the fills it made."""
    signature: str
    order_id: int
    filled: int
    resting: int
    cancelled: int
    matched_order_ids: list[int]
    bond_lamports: int = 0   # a bid's bonds posted for its matches (back on settlement, the seller's on expiry)

    def to_json(self) -> dict[str, Any]:
        return {"signature": self.signature, "order_id": str(self.order_id), "filled": self.filled,
                "resting": self.resting, "cancelled": self.cancelled,
                "matched_order_ids": self.matched_order_ids, "bond_lamports": self.bond_lamports}


def order_result(sent: SentTx) -> OrderResult:
    events = MARKET.parse_events(sent.logs)
    placed = next((f for n, f in events if n == "OrderPlaced"), None)
    if placed is None:
        raise MarketError(f"transaction {sent.signature} confirmed without an OrderPlaced event")
    matched = [int(f["matched_order_id"]) for n, f in events if n == "OrderMatched"]
    bonds = sum(int(f["bond_lamports"]) for n, f in events if n == "BondPosted")
    return OrderResult(str(sent.signature), int(placed["order_id"]), int(placed["filled"]),
                       int(placed["resting"]), int(placed["cancelled"]), matched, bonds)


class _HttpClients:
    """The HTTP clients a TradeContext and its for_account() copies share."""

    def __init__(self, directory: DirectoryClient | None):
        self.directory = directory
        self.rail: RailClient | None = None

    async def close(self) -> None:
        directory, rail, self.directory, self.rail = self.directory, self.rail, None, None
        for client in (directory, rail):
            if client is not None:
                await client.close()


class TradeContext:
    """Everything an action needs; `close()` releases the RPC client."""

    def __init__(self, profile: ClusterProfile, keystore: Keystore, *, account: str | None = None,
                 bus: EventBus | None = None, directory_url: str | None = None,
                 require_backup: bool = True):
        """`require_backup`: refuse asks and bids while the wallet's recovery-phrase backup is
        not confirmed (seed_backup.py). On by default; the CLI turns it off (it printed the
        phrase to the operator who asked for it, and scripts have nobody to take a quiz)."""
        self.profile = profile
        self.keystore = keystore
        self.require_backup = require_backup
        self.keypair: Keypair = keystore.keypair(account)
        self.bus = bus or EventBus()
        self.chain = Chain(profile)
        self.market = MarketClient(self.chain)
        self.sender = TxSender(self.chain.client, bus=self.bus)
        self.proofs = ProofJobService(self.bus)
        # Shared by every for_account() copy (a shallow copy keeps this one object), so the
        # rail and directory clients, each with its own HTTP session, are made once and closed once.
        self._clients = _HttpClients(DirectoryClient(directory_url) if directory_url else None)

    @property
    def directory(self) -> DirectoryClient | None:
        """The payee directory client (None until a caller sets the one the cluster advertises)."""
        return self._clients.directory

    @directory.setter
    def directory(self, client: DirectoryClient | None) -> None:
        self._clients.directory = client

    @property
    def owner(self) -> Pubkey:
        return self.keypair.pubkey()

    def for_account(self, account: str) -> "TradeContext":
        """The same session (RPC client, sender, proof jobs, payee directory, bus) acting as
        another signing account of this wallet, e.g. the one picked in the GUI. Closing either
        closes the shared RPC client. A watch-only account raises KeystoreError."""
        other = copy.copy(self)
        other.keypair = self.keystore.keypair(account)
        return other

    async def close(self) -> None:
        """Release the RPC client and the rail's and directory's HTTP sessions."""
        await self._clients.close()
        await self.chain.close()

    async def __aenter__(self) -> "TradeContext":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ rail account
    async def rail(self) -> RailClient:
        """The rail client (one per context and its copies, kept until close())."""
        url = (await self.chain.cluster_info()).rail_url
        if not url:
            raise RailError("this cluster advertises no fiat rail and the profile names none")
        held = self._clients.rail
        if held is None or held.base_url != url.rstrip("/"):
            if held is not None:
                await held.close()
            held = self._clients.rail = RailClient(url)
        return held

    def rail_login(self) -> RailLogin:
        note = self.keystore.notes("rail")
        if not note.get("handle"):
            raise RailError("this wallet has no rail account yet: `anomi rail open --handle <your handle, e.g. 0345-1234567>`",
                            "no_account")
        if not note.get("commitment"):
            raise RailError(f"opening rail account {note['handle']} did not finish: run `anomi rail open "
                            f"--handle {note['handle']} --name <name>` again", "no_account")
        return RailLogin(note["handle"], note["credential"])

    async def open_rail_account(self, handle: str, display_name: str) -> dict[str, Any]:
        """Open (or re-link) the wallet's rail account; safe to retry after any failure.

        Why in this order: the credential is derived from the seed (rail_credentials.py) and
        written to the keystore *before* the rail sees it, so a crash after the rail opened the
        account cannot lose the login; a retry (or a restore from the seed phrase) recomputes
        the same credential, the rail answers `account_exists`, and the credential proves the
        account is ours. Only when the commitment is stored is the account complete."""
        note = self.keystore.notes("rail")
        if note.get("handle") and note.get("commitment"):
            raise RailError(f"this wallet already operates rail account {note['handle']}", "account_exists")
        rail = await self.rail()
        login = RailLogin(handle, rail_credential(self.keystore, handle, str(self.owner)))
        pending = {"handle": handle, "credential": login.credential, "display_name": display_name}

        def write_ahead(n: dict[str, Any]) -> None:
            n.clear()
            n.update(pending)
        await offthread.update_notes(self.keystore, "rail", write_ahead)
        crash_point("rail-open:credential-saved")
        try:
            opened = await rail.open_account(handle, display_name, login.credential)
        except RailError as exc:
            if exc.code != "account_exists":
                raise
            try:  # ours (an interrupted open, or a restored wallet) if our credential logs in
                opened = await rail.balance(login)
                log.info("rail account exists and accepts this seed's credential: linked again")
            except RailError as denied:
                if denied.code == "unauthorized":
                    log.warning("rail account exists and refuses this seed's credential")
                    await offthread.update_notes(self.keystore, "rail", lambda n: n.clear())  # not ours: forget it
                    raise RailError(f"rail account {handle} exists and is not this wallet's "
                                    "(its credential is not the one this seed derives)", "account_exists") from None
                raise
        crash_point("rail-open:account-opened")
        login = RailLogin(opened["handle"], login.credential)
        com = await rail.commitment(login)
        crash_point("rail-open:commitment-fetched")
        await self.link_wallet(rail, login)   # idempotent: a retry after a crash links again
        note = {"handle": opened["handle"], "credential": login.credential,
                "display_name": opened.get("display_name") or display_name,
                "salt": com["salt"], "commitment": com["commitment"]}
        await offthread.update_notes(self.keystore, "rail", lambda n: n.update(note))
        return {"handle": opened["handle"], "display_name": note["display_name"],
                "commitment": com["commitment"], "balance_paisa": opened.get("balance_paisa", 0)}

    async def link_wallet(self, rail: RailClient, login: RailLogin) -> dict[str, Any]:
        """Prove to the rail that this signing account belongs to the account's owner (the
        notary attests balances only for linked wallets)."""
        notary = await rail.notary()
        message = link_message(login.handle, str(self.owner), int(notary["key_hash"]))
        return await rail.link_wallet(login, str(self.owner), bytes(self.keypair.sign_message(message)))

    async def balance_attestation(self) -> SignedAttestation:
        """A fresh notary attestation of the rail balance for this signing account; links the
        account first when the rail does not know it yet (e.g. another account of this wallet)."""
        rail, login = await self.rail(), self.rail_login()
        try:
            return await rail.balance_attestation(login, str(self.owner))
        except RailError as exc:
            if exc.code != "wallet_not_linked":
                raise
        await self.link_wallet(rail, login)
        return await rail.balance_attestation(login, str(self.owner))

    # ------------------------------------------------------------------ orders
    async def my_orders(self) -> list[BookOrder]:
        book = await self.market.book()
        me = str(self.owner)
        return [o for o in book.bids + book.asks if o.owner == me]

    async def place_ask(self, price: int, size: int) -> OrderResult:
        """Escrow `size` USDC behind an ask whose payee is this wallet's rail account."""
        return await self.submit(await self.prepare_ask(price, size))

    async def prepare_ask(self, price: int, size: int, *, precheck: bool = True) -> PreparedOrder:
        """The ask's transaction, built but not sent (review it with preview(), send with submit()).

        `precheck=False` leaves the market's rules (tick, minimum size and value) to the
        program: the GUI's review then shows the program's own verdict from the simulation."""
        if self.require_backup:   # before anything is read or sent: a refusal changes nothing
            require_backup(self.keystore, "an ask escrows USDC")
        if precheck:
            check_order(price, size, await self.market.market_config())
        note = self.keystore.notes("rail")
        if not note.get("commitment"):
            raise RailError("an ask needs a rail account to be paid into: "
                            "`anomi rail open --handle <your handle, e.g. 0345-1234567>` first", "no_account")
        held = await self.chain.token_balance(await self.market.usdc_account(self.owner))
        if held < size:   # said with the figures, not as the token program's InsufficientFunds
            raise MarketError(escrow_shortfall(size, held))
        if self.directory is None:
            raise MarketError("no payee directory: the matched buyer could not learn where to pay")
        # write-ahead (new_ask_salt): an ask reviewed and then declined leaves one unused salt note
        salt = await offthread.keystore_write(self.keystore, self.new_ask_salt, note["handle"])
        commitment = account_commitment(note["handle"], salt)
        ix = await self.market.ask_ix(self.owner, price, size, commitment)
        return PreparedOrder("ask", price, size, (ix,), None, PayeeDeposit(
            note["handle"], salt, note.get("display_name") or note["handle"], commitment))

    async def preview(self, prepared: PreparedOrder) -> TxPreview:
        """Simulate the prepared order's transaction: this account's SOL and USDC before/after."""
        watch = [Watched("SOL", self.owner, 9),
                 Watched("USDC", await self.market.usdc_account(self.owner), 6, token=True)]
        return await preview_transaction(self.chain.client, self.profile.rpc_url, prepared.instructions,
                                         [self.keypair], watch, compute_unit_limit=prepared.compute_unit_limit)

    async def submit(self, prepared: PreparedOrder) -> OrderResult:
        """Send a prepared order: an ask's payee details go to the directory first (the
        commitment it returns must be the one the transaction carries)."""
        deposit = prepared.deposit
        if deposit is not None:
            if self.directory is None:
                raise MarketError("no payee directory: the matched buyer could not learn where to pay")
            got = await self.directory.deposit(self.keypair, deposit.handle, deposit.salt, deposit.display_name)
            if got != deposit.commitment:
                raise MarketError("the payee directory registered another commitment than the ask carries; "
                                  "nothing was sent")
        sent = await self.sender.send(list(prepared.instructions), [self.keypair],
                                      compute_unit_limit=prepared.compute_unit_limit)
        if prepared.proof_job is not None:
            self.proofs.mark_submitted(prepared.proof_job, str(sent.signature))
        return self._placed(prepared.side.capitalize(), order_result(sent))

    def new_ask_salt(self, handle: str) -> int:
        """A fresh payee-commitment salt for one ask, so that no two asks of this wallet carry the
        same commitment (they would be linkable on-chain). Written to the keystore BEFORE it is
        deposited or used on-chain (write-ahead): a crash afterwards never leaves an ask whose
        commitment this wallet cannot open again."""
        salt = secrets.randbelow(BN254_R - 1) + 1
        commitment = str(account_commitment(handle, salt))
        self.keystore.update_notes("ask_salts", lambda n: n.__setitem__(commitment, {
            "handle": handle, "salt": str(salt), "created_at": int(time.time())}))
        return salt

    def _placed(self, side: str, result: OrderResult) -> OrderResult:
        self.bus.publish(OrderPlaced(str(self.owner), side, result.signature, result.order_id,
                                     result.filled, result.resting, tuple(result.matched_order_ids)))
        return result

    async def solvency_request(self, price: int, size: int) -> ProofRequest:
        """The solvency proof request for a bid: a fresh notary attestation of this wallet's
        rail balance, bound to this wallet's key."""
        from prover.files import ProofRequest
        from prover.statements import SolvencyStatement
        signed = await self.balance_attestation()
        check_notary(self.profile, notary_key_hash(signed.notary_public_key), "the rail's balance attestation")
        await self.market.attester_index(signed.notary_public_key)
        now = await self.chain.unix_time()
        # the proof covers what this rail account already has reserved by open matches
        tag = reservation_tag(signed.attestation.account_commitment)
        reserved = await self.market.reserved(tag.to_bytes(32, "big"))
        stmt = SolvencyStatement.for_attestation(signed, fiat_due(size, price),
                                                 min(signed.attestation.timestamp, now), reserved)
        if signed.attestation.balance_paisa < reserved + stmt.fiat_due_paisa:
            raise MarketError(rail_shortfall(signed.attestation.balance_paisa, stmt.fiat_due_paisa, reserved))
        notaries = tuple(await self.market.registered_notaries())
        return await offthread.blocking(   # hashes the circuit files
            self.proofs.request_for, ProofRequest("solvency", stmt, signed, "0" * 64, notaries))

    async def place_bid(self, price: int, size: int) -> OrderResult:
        """Prove solvency for the bid's fiat due (progress: ProofProgress events), then bid."""
        return await self.submit(await self.prepare_bid(price, size))

    async def prepare_bid(self, price: int, size: int) -> PreparedOrder:
        """Check, prove solvency (a cancellable proof job) and build the bid, not sent yet."""
        if self.require_backup:
            require_backup(self.keystore, "a bid posts bonds and locks the seller's escrow")
        check_order(price, size, await self.market.market_config())
        _bonds, cost = await self.market.bid_bonds(price, size)
        held = (await self.chain.client.get_balance(self.owner)).value
        if held < cost:
            raise MarketError(f"the bonds of this bid's matches need {format_amount(cost, 9)} SOL (returned when "
                              f"you settle); this account holds {format_amount(held, 9)} SOL")
        request = await self.solvency_request(price, size)
        job = self.proofs.submit(f"solvency for a {size}-unit bid at {price}", request)
        proof = await self.proofs.run(job.job_id)
        stmt = request.statement
        index = await self.market.attester_index(request.signed.notary_public_key)
        ix = await self.market.bid_ix(self.owner, price, size, index, stmt.min_timestamp,  # type: ignore[union-attr]
                                      proof.solana_proof(), stmt.reserved_paisa,  # type: ignore[union-attr]
                                      stmt.account_tag.to_bytes(32, "big"))  # type: ignore[union-attr]
        return PreparedOrder("bid", price, size, (ix,), BID_COMPUTE_UNITS, None, job.job_id)

    async def cancel(self, order_id: int) -> dict[str, Any]:
        mine = {o.order_id: o for o in await self.my_orders()}
        order = mine.get(order_id)
        if order is None:
            raise MarketError(f"no resting order {order_ref(order_id)} of yours in the book")
        ix = await self.market.cancel_ix(self.owner, order.side, order_id)
        sent = await self.sender.send([ix], [self.keypair])
        self.bus.publish(OrderCancelled(str(self.owner), order.side, str(sent.signature), order_id,
                                        order.quantity))
        return {"signature": str(sent.signature), "order_id": str(order_id), "side": order.side,
                "unfilled": order.quantity}

    async def prune_queue(self, limit: int = 64) -> list[int]:
        """Move up to ``limit`` Settled/Expired records out of the live settlement queue into their
        ArchivedOrder accounts (anyone may; this account funds their rent and gets it back when
        they are closed after the retention period). Keeps the queue bounded so matching never
        stops for queue space; ids and records stay readable (MarketClient.record)."""
        done = [r.order_id for r in await self.market.queue() if r.status in ("Settled", "Expired")][:limit]
        for chunk in range(0, len(done), 8):
            ixs = [await self.market.archive_ix(self.owner, i) for i in done[chunk:chunk + 8]]
            await self.sender.send(ixs, [self.keypair])
        return done

    def identities(self) -> IdentityBook:
        return IdentityBook(self.keystore)
