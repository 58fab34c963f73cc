"""First run, driven by clicks and keys (offscreen Qt, real keystore files, the real localnet).

Create: numbered words -> a wrong quiz answer is refused -> right answers -> the wallet file is
written only then, backup confirmed, and escrow gets past the backup rule. Escape on the backup
page asks before skipping; after "Yes" the wallet exists unconfirmed: the reminder banner shows,
asks and bids are refused with a message (the CLI is exempt) and "Back up now" clears both.
Restore: a Phantom phrase gives Phantom's address (and the keyring opt-in caches the key), a Solana
CLI keypair file its address, a watch-only address no key; Settings shows the phrase again after
the password (a wrong one is refused).
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox
from solders.keypair import Keypair

from tests.gui.gui_trading import GuiWallet, profile_for, until
from tests.unit.test_keystore_keyring import MemoryKeyring
from wallet.core.config import WalletConfig
from wallet.core.keyring_cache import UnlockCache
from wallet.core.keystore import KdfParams, Keystore
from wallet.core.tx import TxSubmitted
from wallet.core.unlock import unlock_from_cache
from wallet.gui.onboarding.first_run import FirstRunDialog

PW = "onboarding pw 42"
VECTORS = json.loads((Path(__file__).resolve().parents[2].parent / "shared" / "vectors" / "phantom_vectors.json")
                     .read_text())["vectors"]


def fast() -> KdfParams:
    return KdfParams.fresh(1, 8 << 20)


def new_dialog(qtbot, path: Path, **kw) -> FirstRunDialog:
    dialog = FirstRunDialog(path, words=12, kdf=fast(), **kw)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def type_password(qtbot, dialog: FirstRunDialog, password: str = PW) -> None:
    page = dialog.password_page
    page.password.clear()
    page.repeat.clear()
    qtbot.keyClicks(page.password, password)
    qtbot.keyClicks(page.repeat, password)
    qtbot.keyClick(page.repeat, Qt.Key.Key_Return)   # Enter continues


def tab_order(start, count: int) -> list:
    """The next `count` widgets Tab reaches from `start` (the focus chain, skipping what takes no Tab)."""
    found, widget = [], start
    while len(found) < count:
        widget = widget.nextInFocusChain()
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isEnabled():
            found.append(widget)
    return found


def shown_words(dialog: FirstRunDialog) -> list[str]:
    labels = [lbl.text() for lbl in dialog.backup.grid.labels]
    assert [int(t.split(".")[0]) for t in labels] == list(range(1, len(labels) + 1))   # numbered 1..n
    return [t.split(".", 1)[1].strip() for t in labels]


async def to_backup_page(qtbot, dialog: FirstRunDialog) -> list[str]:
    """Welcome -> (keyboard) create -> password -> the numbered words."""
    assert "run on this computer" in dialog.welcome.intro.text()
    qtbot.keyClick(dialog.welcome.create_button, Qt.Key.Key_Return)
    assert dialog.pages.currentWidget() is dialog.password_page
    type_password(qtbot, dialog)
    await until(lambda: dialog.pages.currentWidget() is dialog.backup, what="the phrase page")
    words = shown_words(dialog)
    assert len(words) == 12
    return words


async def answer_quiz(qtbot, dialog_quiz, words: list[str], wrong: bool = False) -> None:
    for n, field in zip(dialog_quiz.positions, dialog_quiz.fields):
        field.clear()
        qtbot.keyClicks(field, "zoo" if wrong and n == dialog_quiz.positions[1] else words[n - 1].upper())
    qtbot.mouseClick(dialog_quiz.check_button, Qt.MouseButton.LeftButton)


def test_create_quiz_then_written_and_usable(qtbot, loop, gui_localnet, tmp_path: Path) -> None:
    path = tmp_path / "first" / "wallets" / "default.keystore"
    dialog = new_dialog(qtbot, path)

    async def scenario() -> None:
        # the password page: strength as you type, mismatch refused, keyboard order
        qtbot.keyClick(dialog.welcome.create_button, Qt.Key.Key_Return)
        page = dialog.password_page
        assert not page.keyring_box.isEnabled()   # no keyring given: the opt-in is off and says why
        assert "No keyring service" in page.keyring_text.text()
        assert tab_order(page.password, 3) == [page.repeat, page.continue_button, page.back_button]
        qtbot.keyClicks(page.password, "abc")
        assert "too short" in page.strength_label.text() and "very weak" in page.strength_label.text()
        page.password.clear()
        qtbot.keyClicks(page.password, "correct horse battery staple")
        assert "very strong" in page.strength_label.text() and page.strength_bar.value() == 4
        qtbot.keyClicks(page.repeat, "correct horse")
        assert page.match_label.text() == "the passwords differ"
        qtbot.keyClick(page.repeat, Qt.Key.Key_Return)
        assert "differ" in page.message.text() and dialog.pages.currentWidget() is page
        qtbot.mouseClick(page.back_button, Qt.MouseButton.LeftButton)
        words = await to_backup_page(qtbot, dialog)
        assert not path.exists()          # nothing on disk while the phrase is on screen
        qtbot.mouseClick(dialog.backup.continue_button, Qt.MouseButton.LeftButton)
        quiz = dialog.quiz
        assert dialog.pages.currentWidget() is quiz and len(set(quiz.positions)) == 3
        assert [lbl.text() for lbl in quiz.labels] == [f"Word #{n}" for n in quiz.positions]
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)     # Escape on the check screen asks too
        assert dialog.skip_box is not None and dialog.skip_box.isVisible()
        dialog.skip_box.button(QMessageBox.StandardButton.No).click()
        await asyncio.sleep(0.05)
        assert dialog.pages.currentWidget() is quiz and dialog.isVisible() and not path.exists()
        await answer_quiz(qtbot, quiz, words, wrong=True)
        assert f"#{quiz.positions[1]} does not match" in quiz.message.text()
        assert dialog.pages.currentWidget() is quiz and not path.exists()
        # "show the words again" goes back and returns with the same words
        qtbot.mouseClick(quiz.again_button, Qt.MouseButton.LeftButton)
        assert dialog.pages.currentWidget() is dialog.backup and shown_words(dialog) == words
        qtbot.mouseClick(dialog.backup.continue_button, Qt.MouseButton.LeftButton)
        for n, field in zip(quiz.positions, quiz.fields):
            field.clear()
            qtbot.keyClicks(field, f" {words[n - 1]} ")
        qtbot.keyClick(quiz.fields[-1], Qt.Key.Key_Return)   # Enter checks
        await until(lambda: dialog.result() == QDialog.DialogCode.Accepted, what="wallet written")
        ks = dialog.keystore
        assert ks is not None and ks.backup_confirmed and ks.mnemonic() == " ".join(words)
        on_disk = Keystore.unlock(path, PW)
        assert on_disk.backup_confirmed and on_disk.mnemonic() == " ".join(words)
        assert oct(path.stat().st_mode & 0o777) == "0o600"

        # usable: no reminder, and an ask gets past the backup rule (to the next check)
        w = GuiWallet(tmp_path, "window", profile_for(gui_localnet), qtbot, keystore=ks)
        try:
            assert w.controller.backup_banner.holder.isHidden()
            entry = w.window.book.entry
            entry.ask_size.setText("1")
            entry.ask_price.setText("285")
            entry.ask_button.click()
            await until(lambda: entry.message.text() != "", what="ask answered")
            assert "open a rail account first" in entry.message.text(), entry.message.text()
        finally:
            await w.stop()

    loop.run_until_complete(scenario())


def test_escape_asks_then_reminder_and_escrow_refused_until_backup(qtbot, loop, gui_localnet,
                                                                   tmp_path: Path) -> None:
    data = tmp_path / "first"
    path = data / "wallets" / "default.keystore"
    dialog = new_dialog(qtbot, path)

    async def scenario() -> None:
        words = await to_backup_page(qtbot, dialog)
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        box = dialog.skip_box
        assert box is not None and box.isVisible()
        assert box.text() == "Skip the backup for now? You will be reminded." and "reminder stays" in box.informativeText()
        assert not path.exists() and dialog.isVisible()
        box.button(QMessageBox.StandardButton.No).click()
        await asyncio.sleep(0.05)
        assert dialog.pages.currentWidget() is dialog.backup and dialog.isVisible() and not path.exists()
        dialog.close()                                  # the window's close button: asks too
        assert dialog.skip_box.isVisible() and dialog.isVisible()
        dialog.skip_box.button(QMessageBox.StandardButton.Yes).click()
        await until(lambda: dialog.result() == QDialog.DialogCode.Accepted, what="written unconfirmed")
        ks = dialog.keystore
        assert ks is not None and not ks.backup_confirmed and not Keystore.unlock(path, PW).backup_confirmed

        w = GuiWallet(tmp_path, "window", profile_for(gui_localnet), qtbot, keystore=ks)
        try:
            await w.fund(sol=1.0, usdc=5_000_000)
            banner = w.controller.backup_banner
            assert not banner.holder.isHidden() and "not backed up" in banner.label.text()
            entry = w.window.book.entry
            for size, price, button, outcome in ((entry.ask_size, entry.ask_price, entry.ask_button, "ask not placed"),
                                                 (entry.bid_size, entry.bid_price, entry.bid_button, "bid not placed")):
                size.setText("1")
                price.setText("285")
                entry.message.setText("")
                button.click()
                await until(lambda: entry.message.text() != "", what=outcome)
                assert outcome in entry.message.text() and "Back up now" in entry.message.text(), entry.message.text()
            assert not [e for e in w.sent if isinstance(e, TxSubmitted)] and not w.confirmations
            assert await w.usdc() == 5_000_000

            # the CLI is exempt (seed_backup.py): the same wallet's ask gets past the rule to the rail check
            env = {**os.environ, "ANOMI_DATA_DIR": str(data), "ANOMI_PASSWORD": PW}
            env.pop("ANOMI_WALLET", None)
            cli = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "wallet.cli", "ask", "--url",
                                                           gui_localnet.rpc_url, "--price", "285", "--size", "1"],
                                          env=env, capture_output=True, text=True, timeout=120,
                                          stdin=subprocess.DEVNULL)
            assert cli.returncode != 0 and "rail account" in cli.stderr and "backed up" not in cli.stderr, cli.stderr

            # "Back up now": the password (a wrong one refused), the words, the check
            qtbot.mouseClick(banner.button, Qt.MouseButton.LeftButton)
            backup = banner.dialog
            assert backup is not None and backup.isVisible()
            qtbot.keyClicks(backup.password, "not the password")
            qtbot.keyClick(backup.password, Qt.Key.Key_Return)
            await until(lambda: "wrong password" in backup.message.text(), what="wrong password refused")
            assert backup.pages.currentWidget() is backup.ask_page and not backup.grid.labels
            qtbot.keyClicks(backup.password, PW)
            qtbot.mouseClick(backup.show_button, Qt.MouseButton.LeftButton)
            await until(lambda: backup.pages.currentWidget() is backup.shown_page, what="words shown")
            assert backup.grid.words() == words
            qtbot.mouseClick(backup.check_button, Qt.MouseButton.LeftButton)
            await answer_quiz(qtbot, backup.quiz, words, wrong=True)
            assert "does not match" in backup.quiz.message.text() and not ks.backup_confirmed
            await answer_quiz(qtbot, backup.quiz, words)
            await until(lambda: banner.holder.isHidden(), what="reminder gone")
            assert ks.backup_confirmed and Keystore.unlock(path, PW).backup_confirmed
            entry.message.setText("")
            entry.ask_button.click()
            await until(lambda: entry.message.text() != "", what="ask after backup")
            assert "open a rail account first" in entry.message.text(), entry.message.text()
        finally:
            await w.stop()

    loop.run_until_complete(scenario())


def test_restore_phantom_phrase_with_keyring_opt_in(qtbot, loop, tmp_path: Path) -> None:
    vector = VECTORS[1]   # 24 words
    config = WalletConfig.load(tmp_path / "data")
    cache = UnlockCache(backend=MemoryKeyring())
    path = config.wallet_path(None)
    dialog = new_dialog(qtbot, path, config=config, cache=cache)

    async def scenario() -> None:
        qtbot.mouseClick(dialog.welcome.phrase_button, Qt.MouseButton.LeftButton)
        page = dialog.restore
        words = vector["mnemonic"].split()
        qtbot.keyClicks(page.phrase_edit, " ".join([words[1], words[0]] + words[2:]))   # two words swapped
        qtbot.mouseClick(page.continue_button, Qt.MouseButton.LeftButton)
        await until(lambda: "checksum" in page.message.text(), what=f"bad phrase refused ({page.message.text()!r})", timeout=5)
        assert dialog.pages.currentWidget() is page and not path.exists()
        page.phrase_edit.setPlainText("  " + vector["mnemonic"].upper() + "\n")
        qtbot.mouseClick(page.continue_button, Qt.MouseButton.LeftButton)
        await until(lambda: dialog.pages.currentWidget() is dialog.password_page, what="password page")
        address = vector["accounts"][0]["address"]
        assert address in dialog.password_page.subtitle.text()
        await until(lambda: dialog.password_page.keyring_box.isEnabled(), what="keyring found")
        assert "keyring" in dialog.password_page.keyring_text.text()
        qtbot.mouseClick(dialog.password_page.keyring_box, Qt.MouseButton.LeftButton)
        assert dialog.password_page.keyring_box.isChecked()
        type_password(qtbot, dialog)
        await until(lambda: dialog.result() == QDialog.DialogCode.Accepted, what="restored")
        ks = dialog.keystore
        assert [a.address for a in ks.accounts()] == [address] and ks.backup_confirmed
        assert dialog.keyring_enabled is True
        assert WalletConfig.load(tmp_path / "data").keyring_cache
        reopened = unlock_from_cache(path, cache)
        assert reopened is not None and reopened.accounts()[0].address == address

    loop.run_until_complete(scenario())


def test_restore_solana_cli_keypair_file(qtbot, loop, tmp_path: Path) -> None:
    keypair = Keypair()
    keyfile = tmp_path / "id.json"
    keyfile.write_text(json.dumps(list(bytes(keypair))))   # what solana-keygen writes
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(list(bytes(keypair))[:63]))
    path = tmp_path / "w" / "wallets" / "default.keystore"
    dialog = new_dialog(qtbot, path)

    async def scenario() -> None:
        qtbot.mouseClick(dialog.welcome.keypair_button, Qt.MouseButton.LeftButton)
        page = dialog.restore

        async def chosen(_parent, _title) -> str:
            return str(broken)
        page.choose_file = chosen
        qtbot.mouseClick(page.browse_button, Qt.MouseButton.LeftButton)
        await until(lambda: page.keypair_edit.text() == str(broken), what="file chosen")
        qtbot.mouseClick(page.continue_button, Qt.MouseButton.LeftButton)
        await until(lambda: "64 numbers" in page.message.text(), what="broken file refused")
        assert not path.exists()
        page.keypair_edit.setText(str(keyfile))
        qtbot.keyClick(page.keypair_edit, Qt.Key.Key_Return)
        await until(lambda: dialog.pages.currentWidget() is dialog.password_page, what="password page")
        assert str(keypair.pubkey()) in dialog.password_page.subtitle.text()
        type_password(qtbot, dialog)
        await until(lambda: dialog.result() == QDialog.DialogCode.Accepted, what="imported")
        acc = dialog.keystore.accounts()
        assert [(a.kind, a.address) for a in acc] == [("imported", str(keypair.pubkey()))]
        assert Keystore.unlock(path, PW).keypair().pubkey() == keypair.pubkey()
        assert json.loads(keyfile.read_text()) == list(bytes(keypair))   # the file is left as it was

    loop.run_until_complete(scenario())


def test_watch_only_address(qtbot, loop, tmp_path: Path) -> None:
    watched = str(Keypair().pubkey())
    path = tmp_path / "w" / "wallets" / "default.keystore"
    dialog = new_dialog(qtbot, path)

    async def scenario() -> None:
        qtbot.mouseClick(dialog.welcome.watch_button, Qt.MouseButton.LeftButton)
        page = dialog.restore
        qtbot.keyClick(page.watch_edit, Qt.Key.Key_Return)
        assert "type the address" in page.message.text()
        qtbot.keyClicks(page.watch_edit, "0x1234")
        qtbot.keyClick(page.watch_edit, Qt.Key.Key_Return)
        await until(lambda: "not a Solana address" in page.message.text(), what="bad address refused")
        page.watch_edit.setText(watched)
        qtbot.keyClick(page.watch_edit, Qt.Key.Key_Return)
        await until(lambda: dialog.pages.currentWidget() is dialog.password_page, what="password page")
        type_password(qtbot, dialog)
        await until(lambda: dialog.result() == QDialog.DialogCode.Accepted, what="watch wallet")
        ks = dialog.keystore
        assert [(a.kind, a.address) for a in ks.accounts()] == [("watch", watched)] and ks.backup_confirmed

    loop.run_until_complete(scenario())


def test_settings_show_phrase_again_after_password(qtbot, loop, gui_localnet, tmp_path: Path) -> None:
    """A wallet from before the backup flag (its phrase unconfirmed): the reminder shows; Settings
    shows the phrase after the password (a wrong one refused) and its check clears the reminder."""
    from tests.unit.test_seed_backup import rewrite_as_pre_flag_wallet
    phrase = VECTORS[0]["mnemonic"]
    path = tmp_path / "ks" / "w.keystore"
    Keystore.create(path, PW, mnemonic=phrase, kdf=fast())
    rewrite_as_pre_flag_wallet(path, PW)
    ks = Keystore.unlock(path, PW)
    w = GuiWallet(tmp_path, "window", profile_for(gui_localnet), qtbot, keystore=ks)
    settings, banner = w.window.settings, w.controller.backup_banner

    async def open_phrase():
        qtbot.mouseClick(settings.show_phrase_button, Qt.MouseButton.LeftButton)
        shown = settings.phrase_dialog
        assert shown is not None and shown.isVisible()
        return shown

    async def scenario() -> None:
        try:
            assert not ks.backup_confirmed and not banner.holder.isHidden()
            shown = await open_phrase()
            qtbot.keyClicks(shown.password, "wrong wrong wrong")
            qtbot.keyClick(shown.password, Qt.Key.Key_Return)
            await until(lambda: "wrong password" in shown.message.text(), what="wrong password refused")
            assert shown.pages.currentWidget() is shown.ask_page and not shown.grid.labels
            qtbot.keyClicks(shown.password, PW)
            qtbot.keyClick(shown.password, Qt.Key.Key_Return)
            await until(lambda: shown.pages.currentWidget() is shown.shown_page, what="phrase shown")
            assert shown.grid.words() == phrase.split()
            assert [lbl.text().split(".")[0].strip() for lbl in shown.grid.labels] == [str(n) for n in range(1, 13)]
            assert shown.password.text() == ""   # the typed password is not kept in the field
            assert shown.check_button.isEnabled() and "not confirmed" in shown.status_label.text()
            qtbot.mouseClick(shown.check_button, Qt.MouseButton.LeftButton)
            await answer_quiz(qtbot, shown.quiz, phrase.split())
            await until(lambda: not shown.isVisible(), what="check recorded")
            assert banner.holder.isHidden() and ks.backup_confirmed and Keystore.unlock(path, PW).backup_confirmed

            shown = await open_phrase()       # shown again later: confirmed, nothing left to check
            qtbot.keyClicks(shown.password, PW)
            qtbot.keyClick(shown.password, Qt.Key.Key_Return)
            await until(lambda: shown.pages.currentWidget() is shown.shown_page, what="phrase shown again")
            assert not shown.check_button.isEnabled() and "Backup confirmed" in shown.status_label.text()
            qtbot.mouseClick(shown.close_button, Qt.MouseButton.LeftButton)
            assert not shown.isVisible()
        finally:
            await w.stop()

    loop.run_until_complete(scenario())


def test_app_start_without_a_wallet_opens_the_first_run_screens(qtbot, loop, tmp_path: Path, monkeypatch) -> None:
    """The app's own start-up (app.unlock): no wallet file -> the first-run screens; a wallet -> the
    unlock dialog (never the first-run screens again)."""
    from PySide6.QtWidgets import QApplication

    from wallet.gui import app as wallet_app
    from wallet.gui.unlock_dialog import UnlockDialog
    monkeypatch.delenv("ANOMI_PASSWORD", raising=False)
    config = WalletConfig.load(tmp_path / "data")
    path = config.wallet_path(None)
    watched = str(Keypair().pubkey())

    def top(kind):
        return next((w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()), None)

    async def scenario() -> None:
        task = asyncio.ensure_future(wallet_app.unlock(path, config.keyring_cache, config=config))
        await until(lambda: top(FirstRunDialog) is not None, what="first-run screens")
        first = top(FirstRunDialog)
        qtbot.addWidget(first)
        assert first.path == path
        qtbot.mouseClick(first.welcome.watch_button, Qt.MouseButton.LeftButton)
        first.restore.watch_edit.setText(watched)
        qtbot.keyClick(first.restore.watch_edit, Qt.Key.Key_Return)
        await until(lambda: first.pages.currentWidget() is first.password_page, what="password page")
        type_password(qtbot, first)
        ks = await asyncio.wait_for(task, 60)
        assert ks is not None and ks.accounts()[0].address == watched and path.exists()

        task = asyncio.ensure_future(wallet_app.unlock(path, config.keyring_cache, config=config))
        await until(lambda: top(UnlockDialog) is not None, what="unlock dialog")
        assert top(FirstRunDialog) is None
        unlock = top(UnlockDialog)
        qtbot.addWidget(unlock)
        qtbot.keyClicks(unlock.password, PW)
        qtbot.keyClick(unlock.password, Qt.Key.Key_Return)
        again = await asyncio.wait_for(task, 60)
        assert again is not None and again.wallet_id == ks.wallet_id

    loop.run_until_complete(scenario())
