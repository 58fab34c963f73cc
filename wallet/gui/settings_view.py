"""Settings: the cluster profile, x25519 encryption identities, and the notary this wallet trusts.

Why the profile is only saved here: the running window's services are bound to the cluster
they started with; a saved profile (validated URLs) becomes active at the next start, the same
as `anomi profile add/use`. Identities are derived from the seed phrase; rotating retires one
(kept, so results sealed to it still open) and derives the next. The notary key is read from
the rail and checked against the market's on-chain attester registry - a proof signed by a
notary outside the registry would be refused by the programs.
"""
from __future__ import annotations

import asyncio
import time

from PySide6.QtWidgets import (
    QCheckBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout,
    QWidget)

from protocol.attestation import notary_key_hash
from wallet.core.trader import pinned_notary
from wallet.core.config import LOCALNET, ClusterProfile, WalletConfig
from wallet.core import offthread
from wallet.core.identities import IdentityBook

from .appearance_settings import AppearanceBox
from .bridge import CoreBridge
from .onboarding.phrase_dialog import PhraseDialog
from .session import USER_ERRORS, GuiSession, action_slot
from .table_widgets import MessageLabel, fill_table, make_table, selected_key


class SettingsView(QWidget):
    def __init__(self, bridge: CoreBridge, session: GuiSession, config: WalletConfig | None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.bridge = bridge
        self.session = session
        self.config = config
        self.identities = IdentityBook(session.keystore)
        p = session.profile
        self.name_edit = QLineEdit(p.name)
        self.rpc_edit = QLineEdit(p.rpc_url)
        self.ws_edit = QLineEdit(p.ws_url)
        self.rail_edit = QLineEdit(p.rail_url or "")
        self.directory_edit = QLineEdit(p.directory_url or "")
        self.activate_box = QCheckBox("use this profile from the next start")
        self.keep_cluster_box = QCheckBox("keep the local cluster running after the window closes")
        self.keep_cluster_box.setToolTip("The cluster this window started is stopped when it closes unless "
                                         "this is checked; a cluster started elsewhere is never stopped.")
        self.keep_cluster_box.setChecked(bool(config and config.keep_cluster_running))
        self.keep_cluster_box.setEnabled(config is not None)
        self.save_button = QPushButton("Save profile")
        self.save_button.setEnabled(config is not None)
        self.profile_message = MessageLabel()
        self.id_table = make_table(["Label", "x25519 public key", "Status", "Created (UTC)"], stretch=1)
        self.label_edit = QLineEdit()
        self.label_edit.setPlaceholderText("label")
        self.add_button = QPushButton("Add identity")
        self.relabel_button = QPushButton("Rename selected")
        self.rotate_button = QPushButton("Rotate selected")
        self.id_message = MessageLabel()
        self.account_label = QLabel(session.owner)
        self.notary_label = QLabel("-")
        self.notary_label.setWordWrap(True)
        self.notary_button = QPushButton("Check the rail's notary")

        cluster = QGroupBox(f"Cluster profile (running: {p.name})")
        cf = QFormLayout(cluster)
        cf.addRow("Name", self.name_edit)
        cf.addRow("RPC URL", self.rpc_edit)
        cf.addRow("WebSocket URL", self.ws_edit)
        cf.addRow("Rail URL", self.rail_edit)
        cf.addRow("Directory URL", self.directory_edit)
        row = QHBoxLayout()
        row.addWidget(self.activate_box, 1)
        row.addWidget(self.save_button)
        cf.addRow(row)
        cf.addRow(self.keep_cluster_box)
        cf.addRow(self.profile_message)
        ids = QGroupBox("Encryption identities (x25519, derived from the seed phrase)")
        il = QVBoxLayout(ids)
        il.addWidget(self.id_table, 1)
        irow = QHBoxLayout()
        for w in (self.label_edit, self.add_button, self.relabel_button, self.rotate_button):
            irow.addWidget(w)
        il.addLayout(irow)
        il.addWidget(self.id_message)
        notary = QGroupBox("Trading account and notary")
        nf = QFormLayout(notary)
        nf.addRow("Signing account", self.account_label)
        nf.addRow("Notary", self.notary_label)
        nf.addRow("", self.notary_button)
        # issue 14: the recovery phrase can be shown again (after the password), and checked
        self.show_phrase_button = QPushButton("Show recovery phrase...")
        self.show_phrase_button.setAccessibleName("Show recovery phrase")
        self.show_phrase_button.setEnabled(bool(session.keystore.seed_ids()))
        self.phrase_dialog: PhraseDialog | None = None
        phrase = QGroupBox("Recovery phrase")
        pl = QHBoxLayout(phrase)
        phrase_note = QLabel("Shown after you type the wallet password."
                             if session.keystore.seed_ids() else "This wallet has no recovery phrase.")
        phrase_note.setWordWrap(True)
        pl.addWidget(phrase_note, 1)
        pl.addWidget(self.show_phrase_button)
        self.show_phrase_button.clicked.connect(self.on_show_phrase)
        layout = QVBoxLayout(self)
        layout.addWidget(cluster)
        layout.addWidget(ids, 1)
        layout.addWidget(notary)
        layout.addWidget(phrase)
        # ---- appearance (theme, text size): its own module, appearance_settings.py
        self.appearance = AppearanceBox(config)
        layout.addWidget(self.appearance)

        self.save_button.clicked.connect(self.on_save_profile)
        self.keep_cluster_box.toggled.connect(self.on_keep_cluster)
        self.add_button.clicked.connect(self.on_add)
        self.relabel_button.clicked.connect(self.on_relabel)
        self.rotate_button.clicked.connect(self.on_rotate)
        self.notary_button.clicked.connect(self.on_notary)
        bridge.tradingAccountChanged.connect(lambda e: self.account_label.setText(
            e.address if e.can_sign else f"{e.address} (watch-only: cannot trade)"))
        self.refresh_identities()

    def on_show_phrase(self) -> None:
        """The password, then the words (and the backup check while it is not confirmed)."""
        self.phrase_dialog = PhraseDialog(self.session.keystore, parent=self)
        self.phrase_dialog.open()

    # ------------------------------------------------------------------ profile
    @action_slot()
    async def on_save_profile(self) -> None:
        name = self.name_edit.text().strip()
        if name == LOCALNET:
            self.profile_message.error("the built-in localnet profile cannot be changed; "
                                       "save under another name")
            return
        try:
            profile = ClusterProfile(name, self.rpc_edit.text().strip(), self.ws_edit.text().strip(),
                                     self.rail_edit.text().strip() or None,
                                     directory_url=self.directory_edit.text().strip() or None).validated()
            assert self.config is not None
            self.config.set_profile(profile, activate=self.activate_box.isChecked())
            await asyncio.to_thread(self.config.save)   # fsync: off the GUI thread
        except USER_ERRORS as exc:
            self.profile_message.error(f"not saved: {exc}")
            return
        except OSError as exc:
            self.profile_message.error(f"not saved: cannot write the settings file ({exc})")
            return
        when = "; active from the next start" if self.activate_box.isChecked() else ""
        self.profile_message.info(f"profile {profile.name} saved{when}")

    @action_slot(bool)
    async def on_keep_cluster(self, keep: bool) -> None:
        if self.config is None:
            return
        self.config.keep_cluster_running = keep
        try:
            await asyncio.to_thread(self.config.save)
        except OSError as exc:
            self.profile_message.error(f"not saved: cannot write the settings file ({exc})")
            return
        self.profile_message.info("the local cluster keeps running after the window closes" if keep
                                  else "the local cluster this window started stops when it closes")

    # ------------------------------------------------------------------ identities
    def refresh_identities(self) -> None:
        items = self.identities.list()
        fill_table(self.id_table, [[i.label, i.public_key.hex(), "retired" if i.retired else "active",
                                    time.strftime("%Y-%m-%d %H:%M", time.gmtime(i.created_at))] for i in items],
                   [i.id for i in items])

    async def _identity_action(self, what: str, action, *args) -> None:
        """An identity change: the keystore write (seal + fsync) runs on a worker thread."""
        try:
            ident = await offthread.keystore_write(self.session.keystore, action, *args)
        except USER_ERRORS as exc:
            self.id_message.error(f"{what}: {exc}")
            return
        self.id_message.info(f"{what}: {ident.label} ({ident.public_key.hex()[:16]}…)")
        self.label_edit.clear()
        self.refresh_identities()

    @action_slot()
    async def on_add(self) -> None:
        label = self.label_edit.text().strip() or None
        await self._identity_action("added", self.identities.create, label)

    @action_slot()
    async def on_relabel(self) -> None:
        ref, label = selected_key(self.id_table), self.label_edit.text().strip()
        if ref is None or not label:
            self.id_message.error("select an identity and type its new label")
            return
        await self._identity_action("renamed", self.identities.relabel, ref, label)

    @action_slot()
    async def on_rotate(self) -> None:
        ref = selected_key(self.id_table)
        if ref is None:
            self.id_message.error("select the identity to rotate")
            return
        await self._identity_action("rotated", self.identities.rotate, ref, self.label_edit.text().strip() or None)

    # ------------------------------------------------------------------ notary
    @action_slot()
    async def on_notary(self) -> None:
        self.notary_button.setEnabled(False)
        try:
            rail = await self.session.base.rail()
            if not self.rail_edit.text():
                self.rail_edit.setPlaceholderText(f"{rail.base_url} (advertised by the cluster)")
            doc = await rail.notary()
            key = (int(doc["x"]), int(doc["y"]))
            registered = notary_key_hash(key) in await self.session.base.market.registered_notaries()
        except (KeyError, TypeError, *USER_ERRORS) as exc:
            self.notary_label.setText(f"unavailable: {exc}")
            return
        finally:
            self.notary_button.setEnabled(True)
        self.notary_label.setText(
            f"{doc.get('scheme', 'eddsa-poseidon')} key x={doc['x']}, y={doc['y']}\n"
            f"key hash {notary_key_hash(key)}\n"
            + ("in the market's attester registry" if registered else "NOT in the market's attester registry: "
               "its attestations cannot be used here")
            + "\n" + self._pin_verdict(notary_key_hash(key)))

    def _pin_verdict(self, rail_key_hash: int) -> str:
        """Whether the profile's pinned notary is the rail's: a mismatch means every proof from
        this rail's attestations would be refused before proving, so say so here, up front."""
        pinned = pinned_notary(self.session.profile)
        if pinned is None:
            return "profile pins no notary: any notary in the registry is accepted"
        if pinned == rail_key_hash:
            return "profile pins this notary"
        return (f"profile pins a DIFFERENT notary ({pinned:064x}): this rail's attestations and "
                "receipts will be refused; fix the rail URL or the pin")
