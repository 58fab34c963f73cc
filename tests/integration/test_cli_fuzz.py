"""Bad values on every `anomi` command that takes one, against a real cluster: never a traceback.

Why: 105 of 286 bad values once ended in a Python traceback (argparse `type=` helpers raising
the wrong exception, `Decimal("nan")` arithmetic, `1e400`). The rule checked here for each of
>= 1,000 generated cases: the command exits non-zero (2: a usage error or a refusal, never 1, the
"internal error" of protocol/cli_dispatch.py), says why on stderr (one JSON object under
--json, with stdout empty), prints no traceback, and nothing moves — the wallet's SOL, USDC and
rail balances and its resting orders are the same after the whole run as before.

Most cases run in-process through wallet.cli.main (stdout/stderr captured) for speed; a handful
run as real `anomi` subprocesses, and a handful carry well-formed values the cluster itself
must refuse (unknown order ids, a deal that does not exist).
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
from decimal import Decimal
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from protocol.decimal_amounts import U64_MAX, AmountError, parse_decimal_amount, parse_whole_number
from wallet.cli import anomi_argv
from tests.integration.cli_wallets import CliWallet
from tests.integration.localnet_process import REPO_ROOT, LocalnetProcess
from wallet.core.otc_client import DealError, parse_price

PASSWORD = "cli fuzz pw"
HOSTILE = ["nan", "NaN", "-nan", "sNaN", "inf", "-inf", "Infinity", "1e400", "1E5", "1e-3", "-5", "-0.5",
           "+5", "0x10", "1,5", "1,000", "1_000", " ", "", ".", "..", "1..2", "1.2.3", "١٢٣", "１２",
           "1 000", "12abc", "1\n2", "9" * 70, str(U64_MAX + 1), "∞", "½", "0", "0.00", "00", "-0"]


def _refused_by(check: Callable[[str], object]) -> Callable[[str], bool]:
    def refused(text: str) -> bool:
        try:
            check(text)
        except AmountError:
            return True
        return False
    return refused


def _price_refused(text: str) -> bool:
    try:
        parse_price(text)
    except DealError:
        return True
    return False


# What each field accepts (the oracle only decides which generated values are bad; the CLI's
# behaviour on them is what is tested).
FIELDS: dict[str, Callable[[str], bool]] = {
    "usdc": _refused_by(lambda t: parse_decimal_amount(t, 6)),
    "pkr": _refused_by(lambda t: parse_decimal_amount(t, 2)),
    "sol": _refused_by(lambda t: parse_decimal_amount(t, 9)),
    "units": _refused_by(lambda t: parse_whole_number(t, minimum=1)),
    "order": _refused_by(lambda t: parse_whole_number(t)),
    "resting": _refused_by(lambda t: parse_whole_number(t, maximum=2**128 - 1)),
    "count": _refused_by(lambda t: parse_whole_number(t, minimum=1, maximum=1_000)),
    "price": lambda t: _price_refused(t),
}


def numberish(decimals: int) -> st.SearchStrategy[str]:
    """Texts that look like numbers but are wrong for a unit with ``decimals`` places."""
    too_precise = st.builds(lambda w, f: f"{w}.{f}1", st.integers(0, 10**6),
                            st.text("0123456789", min_size=decimals, max_size=decimals + 3))
    too_large = st.integers(U64_MAX // 10**decimals + 1, 10**30).map(str)
    negative = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("-0.000000001"),
                           allow_nan=False, places=3).map(str)
    floats = st.floats(allow_nan=True, allow_infinity=True).map(repr)
    exponents = st.builds(lambda m, e: f"{m}e{e}", st.integers(-99, 99), st.integers(-400, 400))
    return st.one_of(too_precise, too_large, negative, floats, exponents,
                     st.decimals(allow_nan=True, allow_infinity=True).map(str))


def bad_value(kind: str) -> st.SearchStrategy[str]:
    decimals = {"usdc": 6, "pkr": 2, "sol": 9, "units": 0, "order": 0, "resting": 0, "count": 0, "price": 0}[kind]
    source = st.one_of(st.sampled_from(HOSTILE), numberish(decimals),
                       st.text(min_size=0, max_size=24).filter(lambda t: "\x00" not in t))
    return source.filter(FIELDS[kind])


DEAL = str(Pubkey.new_unique())


def commands(rpc_url: str, to: str) -> list[tuple[str, Callable[[str], list[str]]]]:
    """(field kind, value -> argv) for every value-taking option of every command."""
    return [
        ("usdc", lambda v: ["ask", f"--size={v}", "--price", "285"]),
        ("pkr", lambda v: ["ask", "--size", "1", f"--price={v}"]),
        ("usdc", lambda v: ["bid", f"--size={v}", "--price", "285"]),
        ("pkr", lambda v: ["bid", "--size", "1", f"--price={v}"]),
        ("sol", lambda v: ["faucet", f"--sol={v}"]),
        ("usdc", lambda v: ["faucet", f"--usdc={v}"]),
        ("pkr", lambda v: ["rail", "topup", "--", v]),
        ("count", lambda v: ["rail", "statement", f"--limit={v}"]),
        ("count", lambda v: ["book", f"--depth={v}"]),
        ("units", lambda v: ["deal", "create", f"--amount={v}", "--price", "1.5"]),
        ("price", lambda v: ["deal", "create", "--amount", "10", f"--price={v}"]),
        ("units", lambda v: ["deal", "offer", DEAL, f"--amount={v}", "--price", "1.5"]),
        ("price", lambda v: ["deal", "offer", DEAL, "--amount", "10", f"--price={v}"]),
        ("resting", lambda v: ["cancel", "--", v]),
        ("order", lambda v: ["pay", "--", v]),
        ("order", lambda v: ["payee", "--", v]),
        ("order", lambda v: ["finalize", "--", v]),
        ("order", lambda v: ["reclaim", "--", v]),
        ("order", lambda v: ["prove-payment", "--", v]),
        ("sol", lambda v: ["localnet", "faucet", "--to", to, "--url", rpc_url, f"--sol={v}"]),
        ("usdc", lambda v: ["localnet", "faucet", "--to", to, "--url", rpc_url, f"--usdc={v}"]),
    ]


def with_json(argv: list[str]) -> list[str]:
    """``--json`` before a ``--`` (after it, it would be a value)."""
    if "--" in argv:
        i = argv.index("--")
        return [*argv[:i], "--json", *argv[i:]]
    return [*argv, "--json"]


def assert_refused(code: int, out: str, err: str, argv: list[str], as_json: bool) -> None:
    shown = f"anomi {argv!r} -> {code}\nstdout: {out!r}\nstderr: {err!r}"
    assert "Traceback" not in out + err, shown
    assert code == 2, shown
    assert err.strip(), shown
    if as_json and argv[0] != "localnet":  # `localnet faucet` has no --json of its own
        body = json.loads(err.strip().splitlines()[-1])
        assert body["exit_code"] == 2 and body["error"], shown
        assert out == "", shown


@pytest.fixture(scope="module")
def funded(localnet: LocalnetProcess, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("cli-fuzz")
    mp = pytest.MonkeyPatch()
    mp.setenv("ANOMI_PASSWORD", PASSWORD)
    mp.setenv("ANOMI_RPC_URL", localnet.rpc_url)
    wallet = CliWallet("fuzz", root)
    address = wallet.ok("wallet", "create", "--words", "12")["address"]
    wallet.ok("faucet", "--sol", "2", "--usdc", "50")
    handle = f"0345-{secrets.randbelow(10**7):07d}"
    wallet.ok("rail", "open", "--handle", handle, "--name", "Fuzz")
    wallet.ok("rail", "topup", "1000")
    yield wallet, address, localnet
    mp.undo()


def snapshot(wallet: CliWallet) -> tuple:
    bal = wallet.ok("balance")
    rail = wallet.ok("rail", "balance")
    orders = wallet.ok("orders")
    return (bal["lamports"], bal["usdc_base_units"], rail["balance_paisa"],
            sorted(json.dumps(o, sort_keys=True) for o in orders["resting"]), len(orders["matched"]))


def test_bad_values_never_crash_and_move_nothing(funded) -> None:
    wallet, address, localnet = funded
    before = snapshot(wallet)
    table = commands(localnet.rpc_url, address)
    seen: set[str] = set()

    @settings(max_examples=1100, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(st.data(), st.booleans())
    def case(data: st.DataObject, as_json: bool) -> None:
        kind, build = data.draw(st.sampled_from(table))
        value = data.draw(bad_value(kind))
        argv = build(value)
        seen.add(argv[0] if argv[0] not in ("rail", "deal", "localnet") else " ".join(argv[:2]))
        full = with_json(argv) if as_json and argv[0] != "localnet" else argv
        code, out, err = wallet.run(*full, as_json=False)
        assert_refused(code, out, err, full, as_json)

    case()
    assert len(seen) >= 14, seen  # every command was reached
    assert snapshot(wallet) == before


def test_well_formed_values_the_cluster_refuses(funded) -> None:
    """Values that parse, refused by the cluster or the core: still a message, exit 2."""
    wallet, _address, _localnet = funded
    before = snapshot(wallet)
    missing = str(10**12 + secrets.randbelow(10**6))
    for argv in (["cancel", missing], ["pay", missing], ["payee", missing], ["finalize", missing],
                 ["reclaim", missing], ["deal", "show", DEAL],
                 ["deal", "offer", DEAL, "--amount", "1", "--price", "1"]):
        for as_json in (False, True):
            full = with_json(argv) if as_json else argv
            code, out, err = wallet.run(*full, as_json=False)
            assert_refused(code, out, err, full, as_json)
    assert snapshot(wallet) == before


@pytest.mark.parametrize("argv", [
    ["ask", "--size", "-5", "--price", "285"],
    ["ask", "--size", "nan", "--price", "285", "--json"],
    ["bid", "--size", "1e400", "--price", "285"],
    ["faucet", "--sol", "inf", "--json"],
    ["rail", "topup", "--", "-1"],
    ["deal", "create", "--amount", "NaN", "--price", "1"],
    ["cancel", str(2**128)],
    ["pay", "--json", "--", "-3"],
])
def test_real_processes(funded, argv: list[str]) -> None:
    wallet, _address, _localnet = funded
    env = dict(os.environ, ANOMI_DATA_DIR=str(wallet.data_dir))
    proc = subprocess.run(anomi_argv(*argv), cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert_refused(proc.returncode, proc.stdout, proc.stderr, argv, "--json" in argv)
    if "--json" not in argv:
        assert "usage: anomi" in proc.stderr and "error: argument" in proc.stderr
