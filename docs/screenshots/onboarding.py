"""Render the first-run screens, the backup reminder and the phrase dialog to PNGs in this folder.

Run: `QT_QPA_PLATFORM=offscreen python docs/screenshots/onboarding.py` (or under Xvfb). The phrase
shown is a fixed public test vector, never a real wallet's; nothing is written outside a temp dir.
"""
from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

HERE = Path(__file__).resolve().parent
PHRASE = "lumber base swallow arm rabbit depth deer lyrics bomb convince nurse thumb"


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from wallet.core.keystore import KdfParams, Keystore
    from wallet.core.wallet_setup import check_source
    from wallet.gui.event_loop import WalletEventLoop
    from wallet.gui.onboarding.backup_banner import install_backup_banner
    from wallet.gui.onboarding.first_run import FirstRunDialog
    from wallet.gui.onboarding.phrase_dialog import PhraseDialog
    loop = WalletEventLoop(app, already_running=False)
    asyncio.set_event_loop(loop)

    def shot(widget, name: str) -> None:
        widget.resize(640, max(widget.sizeHint().height(), 420))
        app.processEvents()
        widget.grab().save(str(HERE / f"{name}.png"))
        print(HERE / f"{name}.png")

    with tempfile.TemporaryDirectory() as tmp:
        dialog = FirstRunDialog(Path(tmp) / "w.keystore", words=12)
        dialog.show()
        shot(dialog, "first-run-1-welcome")
        dialog.on_chosen("create")
        dialog.password_page.password.setText("correct horse battery")
        dialog.password_page.repeat.setText("correct horse battery")
        shot(dialog, "first-run-2-password")
        dialog.source = check_source("phrase", PHRASE)
        dialog.backup.show_words(dialog.source.words)
        dialog.show_page(dialog.backup)
        shot(dialog, "first-run-3-phrase")
        dialog.on_written()
        dialog.quiz.fields[0].setText(dialog.source.words[dialog.quiz.positions[0] - 1])
        dialog.quiz.fields[1].setText("zoo")
        dialog.quiz.on_check()
        shot(dialog, "first-run-4-word-check")
        dialog.ask_skip()
        app.processEvents()
        assert dialog.skip_box is not None
        shot(dialog.skip_box, "first-run-5-skip-backup")
        dialog.skip_box.done(0)
        dialog.on_chosen("phrase")
        shot(dialog, "first-run-6-restore")
        dialog.hide()

        ks = Keystore.create(Path(tmp) / "k.keystore", "correct horse battery", mnemonic=PHRASE,
                             kdf=KdfParams.fresh(1, 8 << 20), backup_confirmed=False)
        window = QMainWindow()
        window.setCentralWidget(QLabel("(the wallet's views)"))
        install_backup_banner(window, ks)
        window.show()
        shot(window, "backup-reminder-banner")
        phrase = PhraseDialog(ks, check=True, parent=window)
        phrase.show()
        phrase.grid.set_words(PHRASE.split())
        phrase._show_words()
        phrase.pages.setCurrentWidget(phrase.shown_page)
        shot(phrase, "show-recovery-phrase")
        phrase.hide()
        window.hide()
    loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
