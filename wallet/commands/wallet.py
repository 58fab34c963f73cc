"""`anomi wallet ...`: create, import, list, add accounts, identities, password, keyring."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from protocol.cli_errors import CliError
from wallet.core.identities import IdentityBook
from wallet.core.keystore import Keystore

from .arg_types import count_arg
from .session import ask_password, command, emit, load_config, open_keystore


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("wallet", help="create, import and manage wallets")
    sub = parser.add_subparsers(dest="wallet_command", metavar="ACTION", required=True)

    p = command(sub, "create", "create a wallet with a new seed phrase", cmd_create)
    p.add_argument("--words", type=int, choices=(12, 24), default=24)

    p = command(sub, "import", "import a seed phrase, a Solana CLI keypair file or a watch address",
                cmd_import)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--phrase", action="store_true",
                     help="read a BIP39 phrase (prompt, ANOMI_MNEMONIC, or stdin when piped)")
    src.add_argument("--keypair", type=Path, help="Solana CLI keypair JSON file")
    src.add_argument("--watch", metavar="ADDRESS", help="watch-only address")
    p.add_argument("--accounts", type=count_arg(1_000), default=1, help="accounts to derive from the phrase")
    p.add_argument("--passphrase", action="store_true", help="the phrase has a BIP39 passphrase (prompted)")
    p.add_argument("--label")

    p = command(sub, "list", "list the accounts of the wallet (or all wallets with --all)", cmd_list)
    p.add_argument("--all", action="store_true", help="list wallet names instead (no password)")

    p = command(sub, "add-account", "derive the next account from the seed phrase", cmd_add_account)
    p.add_argument("--label")

    p = command(sub, "identities", "x25519 encryption identities: list, create, rotate, label",
                cmd_identities)
    p.add_argument("action", nargs="?", choices=("list", "create", "rotate", "label"), default="list")
    p.add_argument("ref", nargs="?", help="identity id or label (rotate, label)")
    p.add_argument("--label")

    command(sub, "passwd", "change the wallet password", cmd_passwd)

    p = command(sub, "use", "make a wallet the active one", cmd_use)
    p.add_argument("name")

    p = command(sub, "keyring", "cache the unlock key in the OS keyring (on) or not (off)", cmd_keyring)
    p.add_argument("state", choices=("on", "off"))


def _accounts_text(ks: Keystore) -> str:
    rows = [f"{i + 1:>3}  {a.address:<44}  {a.kind:<8}  {a.label}" for i, a in enumerate(ks.accounts())]
    return "\n".join(rows) if rows else "(no accounts)"


def cmd_create(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    path = cfg.wallet_path(args.wallet)
    if path.exists():
        raise CliError(f"wallet {path.stem!r} already exists; choose another --wallet name")
    ks = Keystore.create(path, ask_password("New wallet password: ", confirm=True), words=args.words)
    acc = ks.accounts()[0]
    emit(args, {"wallet": path.stem, "address": acc.address, "mnemonic": ks.mnemonic()},
         f"Created wallet {path.stem!r}\nAddress: {acc.address}\n\n"
         f"Seed phrase (write it down; it is the only way to recover this wallet):\n"
         f"  {ks.mnemonic()}")
    return 0


def _read_phrase() -> str:
    env = os.environ.get("ANOMI_MNEMONIC")
    if env:
        return env
    if sys.stdin.isatty():
        return getpass.getpass("Seed phrase (input hidden): ")
    line = sys.stdin.readline()
    if not line.strip():
        raise CliError("no seed phrase on stdin (or set ANOMI_MNEMONIC)")
    return line


def cmd_import(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    path = cfg.wallet_path(args.wallet)
    phrase = _read_phrase() if args.phrase else None
    passphrase = getpass.getpass("BIP39 passphrase: ") if args.passphrase else ""
    if path.exists():
        ks = open_keystore(args, cfg)
        if phrase is not None:
            added = ks.import_mnemonic(phrase, passphrase, accounts=args.accounts)
        elif args.keypair is not None:
            added = [ks.import_keypair_file(args.keypair, args.label)]
        else:
            added = [ks.add_watch_only(args.watch, args.label)]
    else:
        password = ask_password("New wallet password: ", confirm=True)
        if phrase is not None:
            ks = Keystore.create(path, password, mnemonic=phrase, passphrase=passphrase,
                                 accounts=args.accounts)
            added = ks.accounts()
        else:
            from wallet.core.keystore import parse_keypair_json
            # validate before creating anything, so a bad file leaves no empty wallet behind
            keypair = parse_keypair_json(args.keypair.read_text()) if args.keypair else None
            if args.watch is not None:
                from solders.pubkey import Pubkey
                try:
                    Pubkey.from_string(args.watch)
                except ValueError:
                    raise CliError(f"not a Solana address: {args.watch!r}") from None
            ks = Keystore.create_empty(path, password)
            added = [ks.import_keypair(keypair, args.label) if keypair is not None
                     else ks.add_watch_only(args.watch, args.label)]
    emit(args, {"wallet": path.stem, "added": [a.to_json() for a in added]},
         "\n".join(f"Added {a.kind} account {a.address} ({a.label})" for a in added))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    if args.all:
        names = cfg.wallet_names()
        emit(args, {"wallets": names, "active": cfg.active_wallet},
             "\n".join(f"{'*' if n == cfg.active_wallet else ' '} {n}" for n in names) or "(no wallets)")
        return 0
    ks = open_keystore(args, cfg)
    emit(args, {"wallet": ks.path.stem, "accounts": [a.to_json() for a in ks.accounts()]},
         _accounts_text(ks))
    return 0


def cmd_add_account(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    acc = open_keystore(args, cfg).add_derived_account(args.label)
    emit(args, acc.to_json(), f"Added account {acc.address} ({acc.label}, index {acc.index})")
    return 0


def cmd_identities(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    book = IdentityBook(open_keystore(args, cfg))
    if args.action == "create":
        changed = [book.create(args.label)]
    elif args.action == "rotate":
        changed = [book.rotate(args.ref, args.label)]
    elif args.action == "label":
        if not args.ref or not args.label:
            raise CliError("usage: anomi wallet identities label <id-or-label> --label NEW")
        changed = [book.relabel(args.ref, args.label)]
    else:
        changed = []
    items = book.list()
    text = "\n".join(f"{i.id:<8} {i.public_key.hex()}  {'retired' if i.retired else 'active '}  {i.label}"
                     for i in items) or "(no identities; `anomi wallet identities create`)"
    emit(args, {"identities": [i.to_json() for i in items],
                "changed": [i.to_json() for i in changed]}, text)
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    path = cfg.wallet_path(args.wallet)
    if not path.exists():
        raise CliError(f"no wallet {path.stem!r}")
    old = ask_password("Current password: ")
    ks = Keystore.unlock(path, old)
    new = os.environ.get("ANOMI_NEW_PASSWORD")
    if new is None:
        if not sys.stdin.isatty():
            raise CliError("no new password: run in a terminal, or set ANOMI_NEW_PASSWORD")
        new = getpass.getpass("New password: ")
        if getpass.getpass("Repeat new password: ") != new:
            raise CliError("the two passwords differ; nothing was changed")
    ks.change_password(old, new)
    if cfg.keyring_cache:
        from wallet.core.keyring_cache import UnlockCache
        UnlockCache().put(ks.wallet_id, ks.unlock_key)
    emit(args, {"wallet": path.stem, "changed": True}, "Password changed.")
    return 0


def cmd_use(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    if not cfg.wallet_path(args.name).exists():
        raise CliError(f"no wallet {args.name!r}; known: {', '.join(cfg.wallet_names()) or 'none'}")
    cfg.active_wallet = args.name
    cfg.save()
    emit(args, {"active": args.name}, f"Active wallet: {args.name}")
    return 0


def cmd_keyring(args: argparse.Namespace) -> int:
    from wallet.core.keyring_cache import UnlockCache
    cfg = load_config(args)
    cfg.keyring_cache = args.state == "on"
    cache = UnlockCache()
    if not cfg.keyring_cache:
        for name in cfg.wallet_names():
            cache.forget(Keystore.wallet_id_of(cfg.wallet_path(name)))
    cfg.save()
    note = "" if cache.available() or not cfg.keyring_cache else \
        " (no keyring backend here: the password will still be asked)"
    emit(args, {"keyring_cache": cfg.keyring_cache, "available": cache.available()},
         f"Keyring cache {args.state}{note}")
    return 0
