"""The rail's HTTP JSON API (aiohttp), bound to loopback.

Why one error middleware: every failure, including aiohttp's own (unknown route, wrong method,
oversize body), leaves as ``{"error": {"code", "message"}}`` with a 4xx status, so a client never
has to parse HTML or guess. Handlers validate everything (``wire``) before calling the rail, and
the rail refuses before it writes, so a bad request changes nothing.

Auth is HTTP Basic (``handle:credential``) on every request that touches an account; account
opening is the one write that carries its credential in the body.
"""
from __future__ import annotations

import logging

from aiohttp import BasicAuth, web

from localnet.rails import wire
from localnet.rails.accounts import Rail
from localnet.rails.errors import RailError

log = logging.getLogger("anomi.rails")
RAIL_KEY: web.AppKey[Rail] = web.AppKey("rail", Rail)
_STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}


def _error(code: str, message: str) -> web.Response:
    err = RailError(code, message)
    return web.json_response(err.to_json(), status=err.status)


@web.middleware
async def error_middleware(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except RailError as exc:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return web.json_response(exc.to_json(), status=exc.status, headers=headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _STATUS_CODES.get(exc.status, "invalid_field" if exc.status < 500 else "internal")
        return _error(code, exc.reason or "request refused")
    except Exception:  # a bug must not take the rail down or leak a traceback
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _error("internal", "internal error; nothing was changed")


async def _body(request: web.Request, *, required: set[str], optional: set[str] = frozenset()):
    return wire.parse_object(await request.read(), required=required, optional=optional)


def _basic_auth(request: web.Request) -> tuple[str, str]:
    """(handle, credential) from the request's HTTP Basic header, parsed by aiohttp.BasicAuth.decode
    (the client side encodes with aiohttp.encode_basic_auth)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        raise RailError("unauthorized", "send HTTP Basic auth: handle:credential")
    try:
        auth = BasicAuth.decode(header, encoding="utf-8")
    except ValueError:  # bad base64, not UTF-8, or no ':' between handle and credential
        raise RailError("unauthorized", "malformed HTTP Basic auth") from None
    try:
        handle = wire.canonical_handle(auth.login)
        credential = wire.credential(auth.password)
    except RailError:
        raise RailError("unauthorized", "unknown handle or wrong credential") from None
    return handle, credential


async def _caller(request: web.Request) -> str:
    handle, credential = _basic_auth(request)
    return await request.app[RAIL_KEY].authenticate(handle, credential)


def _rail(request: web.Request) -> Rail:
    return request.app[RAIL_KEY]


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True, "sandbox": _rail(request).sandbox})


async def notary(request: web.Request) -> web.Response:
    return web.json_response(_rail(request).notary_info())


async def open_account(request: web.Request) -> web.Response:
    body = await _body(request, required={"handle", "display_name", "credential"})
    handle = wire.canonical_handle(body["handle"])
    name = wire.display_name(body["display_name"])
    credential = wire.credential(body["credential"])
    return web.json_response(
        await _rail(request).open_account(handle, name, credential), status=201
    )


async def balance(request: web.Request) -> web.Response:
    handle = await _caller(request)
    return web.json_response(await _rail(request).balance(handle))


async def top_up(request: web.Request) -> web.Response:
    handle = await _caller(request)
    body = await _body(request, required={"amount_paisa"})
    amount = wire.amount(body["amount_paisa"], "amount_paisa", maximum=wire.MAX_TOPUP_PAISA)
    return web.json_response(await _rail(request).top_up(handle, amount))


async def transfer(request: web.Request) -> web.Response:
    payer = await _caller(request)
    body = await _body(
        request, required={"payee", "amount_paisa", "idempotency_key"},
        optional={"reference", "order_ref"},
    )
    payee = wire.canonical_handle(body["payee"], "payee")
    amount = wire.amount(body["amount_paisa"], "amount_paisa", maximum=wire.MAX_TRANSFER_PAISA)
    key = wire.idempotency_key(body["idempotency_key"])
    reference = wire.text(body.get("reference", ""), "reference", min_len=0, max_len=140)
    order_ref = wire.order_ref(body["order_ref"]) if "order_ref" in body else 0
    result, replayed = await _rail(request).transfer(payer, payee, amount, reference, key,
                                                     order_ref)
    return web.json_response(result, status=200 if replayed else 201)


async def statement(request: web.Request) -> web.Response:
    handle = await _caller(request)
    limit = wire.int_query(request.query.get("limit"), "limit", default=100, minimum=1,
                           maximum=1000)
    before_raw = request.query.get("before")
    before = None if before_raw is None else wire.int_query(
        before_raw, "before", default=0, minimum=1, maximum=1 << 62)
    return web.json_response(await _rail(request).statement(handle, limit=limit, before=before))


async def balance_attestation(request: web.Request) -> web.Response:
    handle = await _caller(request)
    body = await _body(request, required={"wallet_pubkey"})
    pubkey = wire.wallet_pubkey(body["wallet_pubkey"])
    return web.json_response(await _rail(request).balance_attestation(handle, pubkey))


async def link_wallet(request: web.Request) -> web.Response:
    handle = await _caller(request)
    body = await _body(request, required={"wallet_pubkey", "signature"})
    pubkey = wire.wallet_pubkey(body["wallet_pubkey"])
    signature = wire.link_signature(body["signature"])
    return web.json_response(await _rail(request).link_wallet(handle, pubkey, signature), status=201)


async def wallet_links(request: web.Request) -> web.Response:
    handle = await _caller(request)
    return web.json_response(await _rail(request).linked_wallets(handle))


async def receipt(request: web.Request) -> web.Response:
    handle = await _caller(request)
    payment_id = wire.payment_id(request.match_info["payment_id"])
    salt = request.query.get("payee_salt")
    payee_salt = None if salt is None else wire.commitment_salt(salt, "payee_salt")
    return web.json_response(await _rail(request).receipt(handle, payment_id, payee_salt))


async def commitment(request: web.Request) -> web.Response:
    handle = await _caller(request)
    return web.json_response(await _rail(request).own_commitment(handle))


def build_app(rail: Rail) -> web.Application:
    """The aiohttp application; the caller owns the rail's lifetime."""
    app = web.Application(middlewares=[error_middleware], client_max_size=wire.MAX_BODY_BYTES)
    app[RAIL_KEY] = rail
    app.router.add_get("/v1/health", health)
    app.router.add_get("/v1/notary", notary)
    app.router.add_post("/v1/accounts", open_account)
    app.router.add_get("/v1/balance", balance)
    app.router.add_post("/v1/sandbox/top-up", top_up)
    app.router.add_post("/v1/transfers", transfer)
    app.router.add_get("/v1/statement", statement)
    app.router.add_post("/v1/attestations/balance", balance_attestation)
    app.router.add_post("/v1/wallet-links", link_wallet)
    app.router.add_get("/v1/wallet-links", wallet_links)
    app.router.add_get("/v1/receipts/{payment_id}", receipt)
    app.router.add_get("/v1/commitment", commitment)
    return app
