"""First-run screens (welcome, create / restore, password, recovery-phrase backup and quiz) and
the reminders that follow an unconfirmed backup (the banner, the phrase dialog).

Why a package of small pages: each screen is one widget with the signals its coordinator
(first_run.FirstRunDialog, phrase_dialog.PhraseDialog) listens to; the pages do no file,
keystore or keyring work themselves, so all blocking calls stay in the coordinators, which run
them on a worker thread.
"""
