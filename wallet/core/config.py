"""Wallet settings: where data lives, which wallet is active, and cluster profiles.

Why profiles: the wallet talks to a cluster only through JSON-RPC/WebSocket, so "which
cluster" is just a few URLs. The built-in `localnet` profile points at the embedded cluster
(and lets the wallet start it in the background); any other profile is a user's RPC URL with
its WebSocket, the fiat-rail URL and the notary key to trust. The file is small JSON written
atomically (see atomic_file.py) in the user's data directory.
"""
from __future__ import annotations

import json
import os
import stat
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import platformdirs

from .atomic_file import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, write_atomic

CONFIG_VERSION = 1
APP_NAME = "anomi"
LOCALNET = "localnet"
DEFAULT_RPC_URL = "http://127.0.0.1:8899"
DEFAULT_WS_URL = "ws://127.0.0.1:8900"
DEFAULT_RAIL_URL = "http://127.0.0.1:8910"
WALLET_SUFFIX = ".keystore"


class ConfigError(Exception):
    """A settings problem a user can fix (bad URL, unknown profile, damaged config file)."""


def data_dir() -> Path:
    """ANOMI_DATA_DIR if set (tests, portable installs), else the platform's user data dir."""
    override = os.environ.get("ANOMI_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


# What the wallet itself keeps directly in its data dir and in wallets/ (tightened to 0600 when
# found looser). Only these names: a data dir given by hand may hold unrelated files.
PRIVATE_NAMES = ("config.json", "*.keystore", "*.keystore.lock", ".*.tmp", "localnet-*.lock",
                 "localnet-*.log", "localnet-*.pid")


def _owned(path: Path) -> bool:
    try:
        st = path.lstat()
    except OSError:
        return False
    return not stat.S_ISLNK(st.st_mode) and st.st_uid == os.getuid()


def _tighten(path: Path, mode: int) -> None:
    if _owned(path) and stat.S_IMODE(path.lstat().st_mode) & ~mode:
        try:
            os.chmod(path, mode)
        except OSError:
            pass


def ensure_private_root(root: Path) -> Path:
    """Create the data dir owner-only (0700) and tighten an existing one and its files.

    Why: it holds the keystores (encrypted seeds), the settings and the embedded cluster's
    logs; docs/trust.md promises it private. A dir created before this rule (0755 by the
    umask) is tightened the next time the wallet opens it. Nothing we do not own is touched.
    """
    root = Path(root)
    if not root.exists():
        root.parent.mkdir(parents=True, exist_ok=True)
        root.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
    _tighten(root, PRIVATE_DIR_MODE)
    wallets = root / "wallets"
    if wallets.is_dir():
        _tighten(wallets, PRIVATE_DIR_MODE)
    for directory in (root, wallets):
        if not directory.is_dir():
            continue
        for pattern in PRIVATE_NAMES:
            for path in directory.glob(pattern):
                if path.is_file():
                    _tighten(path, PRIVATE_FILE_MODE)
    return root


def ws_url_for(rpc_url: str) -> str:
    """Solana's convention: the PubSub port is the RPC port + 1, scheme http->ws."""
    parts = urlsplit(rpc_url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme)
    if scheme is None or not parts.hostname:
        raise ConfigError(f"not an http(s) RPC URL: {rpc_url!r}")
    netloc = parts.netloc
    if parts.port is not None:
        netloc = netloc.rsplit(":", 1)[0] + f":{parts.port + 1}"
    return urlunsplit((scheme, netloc, parts.path, parts.query, ""))


def _check_url(url: str, schemes: tuple[str, ...], what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.hostname:
        raise ConfigError(f"{what} must be a {'/'.join(schemes)} URL, got {url!r}")
    try:
        parts.port
    except ValueError as exc:
        raise ConfigError(f"{what} has an invalid port: {url!r}") from exc
    return url.rstrip("/")


@dataclass(frozen=True)
class ClusterProfile:
    """One cluster the wallet can use."""
    name: str
    rpc_url: str
    ws_url: str
    rail_url: str | None = None
    # the only notary to trust: hex of its 32-byte key hash Poseidon([Ax, Ay]) or of Ax || Ay (64
    # bytes, big-endian); None: any notary in the market's attester registry (trader.pinned_notary)
    notary_key: str | None = None
    usdc_mint: str | None = None    # fallback when the cluster does not answer anomi_clusterInfo
    embedded: bool = False          # True: start the embedded localnet when nothing answers
    directory_url: str | None = None  # payee directory; None: the one the cluster advertises

    def validated(self) -> "ClusterProfile":
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            raise ConfigError(f"profile names use letters, digits, - and _: {self.name!r}")
        rail = _check_url(self.rail_url, ("http", "https"), "rail URL") if self.rail_url else None
        directory = (_check_url(self.directory_url, ("http", "https"), "directory URL")
                     if self.directory_url else None)
        if self.notary_key is not None:
            try:
                key = bytes.fromhex(self.notary_key)
            except ValueError as exc:
                raise ConfigError("notary key must be hex") from exc
            if len(key) not in (32, 64):
                raise ConfigError("notary key must be the 32-byte key hash or the 64-byte Ax || Ay, "
                                  f"in hex; got {len(key)} bytes")
        return replace(self, rpc_url=_check_url(self.rpc_url, ("http", "https"), "RPC URL"),
                       ws_url=_check_url(self.ws_url, ("ws", "wss"), "WebSocket URL"),
                       rail_url=rail, directory_url=directory)

    @property
    def rpc_port(self) -> int:
        parts = urlsplit(self.rpc_url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def is_loopback(self) -> bool:
        return urlsplit(self.rpc_url).hostname in ("127.0.0.1", "localhost", "::1")


def localnet_profile(rpc_port: int = 8899) -> ClusterProfile:
    """The embedded cluster: RPC, PubSub on the next port, the fiat rail next to it (the payee
    directory is whatever the cluster advertises in anomi_clusterInfo)."""
    rail_port = 8910 if rpc_port == 8899 else rpc_port + 11
    return ClusterProfile(LOCALNET, f"http://127.0.0.1:{rpc_port}", f"ws://127.0.0.1:{rpc_port + 1}",
                          f"http://127.0.0.1:{rail_port}", embedded=True)


@dataclass
class WalletConfig:
    """The settings file; `save()` writes it atomically."""
    path: Path
    active_profile: str = LOCALNET
    active_wallet: str = "default"
    keyring_cache: bool = False
    keep_cluster_running: bool = False   # the desktop window leaves the cluster it started running
    # appearance of the desktop window (wallet/gui/themes.py): "light" or "dark", text size factor
    theme: str = "light"
    font_scale: float = 1.0
    profiles: dict[str, ClusterProfile] = field(default_factory=lambda: {LOCALNET: localnet_profile()})

    @property
    def root(self) -> Path:
        return self.path.parent

    @classmethod
    def load(cls, root: Path | None = None) -> "WalletConfig":
        root = ensure_private_root(Path(root) if root is not None else data_dir())
        path = root / "config.json"
        cfg = cls(path)
        if not path.exists():
            return cfg
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(doc, dict) or doc.get("version") != CONFIG_VERSION:
                raise ConfigError(f"{path}: unsupported settings version")
            cfg.active_profile = str(doc.get("active_profile", LOCALNET))
            cfg.active_wallet = str(doc.get("active_wallet", "default"))
            cfg.keyring_cache = bool(doc.get("keyring_cache", False))
            cfg.keep_cluster_running = bool(doc.get("keep_cluster_running", False))
            cfg.theme = "dark" if doc.get("theme") == "dark" else "light"
            scale = float(doc.get("font_scale", 1.0))
            cfg.font_scale = scale if 0.5 <= scale <= 3.0 else 1.0
            for name, raw in dict(doc.get("profiles", {})).items():
                cfg.profiles[name] = ClusterProfile(**{**raw, "name": name}).validated()
        except ConfigError:
            raise
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(f"settings file {path} is damaged ({exc}); fix or delete it") from exc
        if cfg.active_profile not in cfg.profiles:
            cfg.active_profile = LOCALNET
        return cfg

    def save(self) -> None:
        doc: dict[str, Any] = {
            "version": CONFIG_VERSION,
            "active_profile": self.active_profile,
            "active_wallet": self.active_wallet,
            "keyring_cache": self.keyring_cache,
            "keep_cluster_running": self.keep_cluster_running,
            "theme": self.theme,
            "font_scale": self.font_scale,
            "profiles": {n: {k: v for k, v in asdict(p).items() if k != "name"}
                         for n, p in self.profiles.items()},
        }
        write_atomic(self.path, (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode())

    # ---------------------------------------------------------------- profiles
    def profile(self, name: str | None = None) -> ClusterProfile:
        name = name or self.active_profile
        try:
            return self.profiles[name]
        except KeyError:
            raise ConfigError(f"no cluster profile {name!r}; known: {', '.join(sorted(self.profiles))}") from None

    def set_profile(self, profile: ClusterProfile, *, activate: bool = False) -> ClusterProfile:
        profile = profile.validated()
        self.profiles[profile.name] = profile
        if activate:
            self.active_profile = profile.name
        return profile

    def remove_profile(self, name: str) -> None:
        if name == LOCALNET:
            raise ConfigError("the built-in localnet profile cannot be removed")
        self.profile(name)
        del self.profiles[name]
        if self.active_profile == name:
            self.active_profile = LOCALNET

    # ---------------------------------------------------------------- wallets
    @property
    def wallets_dir(self) -> Path:
        return self.root / "wallets"

    def wallet_path(self, name: str | None = None) -> Path:
        name = name or self.active_wallet
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise ConfigError(f"wallet names use letters, digits, - and _: {name!r}")
        return self.wallets_dir / f"{name}{WALLET_SUFFIX}"

    def wallet_names(self) -> list[str]:
        if not self.wallets_dir.is_dir():
            return []
        return sorted(p.name[: -len(WALLET_SUFFIX)] for p in self.wallets_dir.iterdir()
                      if p.name.endswith(WALLET_SUFFIX))
