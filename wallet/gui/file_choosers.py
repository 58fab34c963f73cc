"""File dialogs for proof request and proof files, awaitable from an asyncSlot.

Why asyncWrap: a modal QFileDialog runs a nested event loop; qasync.asyncWrap starts it from
the plain Qt loop (one-shot timer) so the asyncio task that asked for a path simply awaits it
and no other task is re-entered. Views keep these as overridable attributes (tests supply paths).
"""
from __future__ import annotations

import qasync
from PySide6.QtWidgets import QFileDialog, QWidget

JSON_FILTER = "JSON files (*.json)"


async def choose_save_path(parent: QWidget, title: str, default_name: str) -> str | None:
    path, _ = await qasync.asyncWrap(lambda: QFileDialog.getSaveFileName(parent, title, default_name, JSON_FILTER))
    return path or None


async def choose_open_path(parent: QWidget, title: str) -> str | None:
    path, _ = await qasync.asyncWrap(lambda: QFileDialog.getOpenFileName(parent, title, "", JSON_FILTER))
    return path or None
