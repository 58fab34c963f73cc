"""The Settings tab: a bad profile is refused and nothing is saved, a good one is saved for the
next start; identities are added, renamed and rotated (the retired one kept); the rail's notary
key is shown with its attester-registry status; the Activity tab starts empty."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from tests.gui.gui_trading import GuiWallet, cell, profile_for, until
from wallet.core.config import WalletConfig


async def click_and_wait(button, label) -> str:
    """Saving a profile and changing identities write files with fsync off the GUI thread: click,
    then wait for the outcome line."""
    label.setText("")
    button.click()
    await until(lambda: label.text() != "", what=f"{button.text()} done")
    return label.text()


def test_profile_identities_and_notary(qtbot, loop, gui_localnet, tmp_path: Path) -> None:
    w = GuiWallet(tmp_path, "settings", profile_for(gui_localnet), qtbot)
    s = w.window.settings
    config_file = tmp_path / "settings" / "config.json"

    async def scenario() -> None:
        # ---- profile: refusals change nothing; a valid one is saved and activated next start
        for name, rpc, expected in (("localnet", "http://127.0.0.1:9999", "cannot be changed"),
                                    ("devnet", "ftp://example", "RPC URL must be a http/https URL"),
                                    ("bad name!", "http://127.0.0.1:9999", "profile names use")):
            s.name_edit.setText(name)
            s.rpc_edit.setText(rpc)
            assert expected in await click_and_wait(s.save_button, s.profile_message)
            assert not config_file.exists()
        s.name_edit.setText("devnet")
        s.rpc_edit.setText("https://api.devnet.solana.com")
        s.ws_edit.setText("wss://api.devnet.solana.com")
        s.rail_edit.setText("")
        s.activate_box.setChecked(True)
        assert "profile devnet saved; active from the next start" == await click_and_wait(s.save_button, s.profile_message)
        saved = WalletConfig.load(tmp_path / "settings")
        assert saved.active_profile == "devnet" and saved.profile("devnet").rail_url is None
        assert json.loads(config_file.read_text())["profiles"]["devnet"]["rpc_url"] == "https://api.devnet.solana.com"

        # ---- identities
        assert s.id_table.rowCount() == 0
        s.label_edit.setText("OTC desk")
        await click_and_wait(s.add_button, s.id_message)
        assert s.id_table.rowCount() == 1 and cell(s.id_table, 0, 0) == "OTC desk"
        s.label_edit.setText("OTC desk")
        await click_and_wait(s.add_button, s.id_message)
        assert "already labelled" in s.id_message.text() and s.id_table.rowCount() == 1
        await click_and_wait(s.relabel_button, s.id_message)
        assert "select an identity" in s.id_message.text()
        s.id_table.selectRow(0)
        s.label_edit.setText("Desk")
        await click_and_wait(s.relabel_button, s.id_message)
        assert cell(s.id_table, 0, 0) == "Desk"
        s.id_table.selectRow(0)
        await click_and_wait(s.rotate_button, s.id_message)
        assert [cell(s.id_table, r, 2) for r in range(2)] == ["retired", "active"]
        assert cell(s.id_table, 0, 1) != cell(s.id_table, 1, 1) and len(cell(s.id_table, 1, 1)) == 64

        # ---- notary
        s.notary_button.click()
        await until(lambda: "key hash" in s.notary_label.text() or "unavailable" in s.notary_label.text(),
                    what="notary shown")
        assert "in the market's attester registry" in s.notary_label.text()
        assert "NOT" not in s.notary_label.text()
        assert "profile pins no notary" in s.notary_label.text()
        rail_hash = s.notary_label.text().split("key hash ")[1].split("\n")[0]
        for pin, verdict in ((f"{int(rail_hash):064x}", "profile pins this notary"),
                             ("11" * 32, "profile pins a DIFFERENT notary")):
            w.session.profile = dataclasses.replace(w.session.profile, notary_key=pin)
            s.notary_label.setText("-")
            s.notary_button.click()
            await until(lambda: "key hash" in s.notary_label.text(), what=f"notary re-checked ({verdict})")
            assert verdict in s.notary_label.text(), s.notary_label.text()
        assert w.window.activity.table.rowCount() == 0
        await w.stop()

    loop.run_until_complete(scenario())
