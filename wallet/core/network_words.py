"""What a user reads when the cluster cannot be reached or refuses a request.

Why: a raw `httpx.ConnectError: All connection attempts failed`, a `SolanaRpcException` repr or
an RPC error dict says nothing a trader can act on, and a dead cluster used to surface as a
missing-USDC-mint hint or an empty order book. These builders say which cluster, that it does
not answer, and what to check; the exception itself goes to the log (the caller logs it or
chains it with `from exc`), never into the sentence.
"""
from __future__ import annotations

import asyncio
import re

UNREACHABLE_HINT = "is it running? Check the cluster in Settings"

# exception class names (anywhere in the chain) that mean "nothing answered in time"
_UNREACHABLE_NAMES = {
    "ConnectError", "ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout", "TimeoutException",
    "NetworkError", "RemoteProtocolError", "ReadError", "WriteError", "ClientConnectorError",
    "ClientConnectionError", "ServerDisconnectedError", "ServerTimeoutError", "ClientOSError",
    "ConnectionClosed", "ConnectionClosedError", "InvalidStatus", "InvalidHandshake",
}
_RPC_MESSAGE = re.compile(r"""['"]message['"]\s*:\s*['"]([^'"]{1,200})['"]""")


def cluster_unreachable(url: str) -> str:
    return f"the cluster at {url} does not answer ({UNREACHABLE_HINT})"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen and len(seen) < 8:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return seen


def is_unreachable(exc: BaseException) -> bool:
    """True when the error means nothing answered (refused, timed out, dropped), not that the
    cluster answered with an error."""
    for link in _chain(exc):
        if isinstance(link, (ConnectionError, TimeoutError, asyncio.TimeoutError)):
            return True
        if type(link).__name__ in _UNREACHABLE_NAMES:
            return True
        if isinstance(link, OSError) and link.errno is not None:
            return True
        if type(link).__name__ == "SolanaRpcException" and link.__cause__ is None:
            return True   # solana-py wraps its transport errors in one, with the cause as text
    return False


def rpc_refusal(exc: BaseException) -> str | None:
    """The cluster's own error message from an RPC error (its JSON `message`), if it gave one."""
    for link in _chain(exc):
        if type(link).__name__ in ("RPCException", "SolanaJsonRpcError"):
            found = _RPC_MESSAGE.search(str(link))
            if found:
                return found.group(1).rstrip(".")
    return None


def describe_network_error(exc: BaseException, url: str, doing: str) -> str:
    """`cannot <doing>: the cluster at <url> does not answer (...)`, or the cluster's refusal,
    or, for anything else, that its answer was not understood (details: the log)."""
    if is_unreachable(exc):
        return f"cannot {doing}: {cluster_unreachable(url)}"
    refusal = rpc_refusal(exc)
    if refusal:
        return f"cannot {doing}: the cluster at {url} refused: {refusal}"
    return f"cannot {doing}: the cluster at {url} gave an answer the wallet does not understand"
