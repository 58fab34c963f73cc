"""Program log collection with Agave's 10 kB truncation rule (FACTS.md 3.5)."""
from __future__ import annotations

LOG_MESSAGES_BYTES_LIMIT = 10 * 1000


class LogCollector:
    """Collects log lines; once the byte limit is hit, adds one ``Log truncated`` line."""

    __slots__ = ("messages", "bytes_written", "truncated")

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.bytes_written = 0
        self.truncated = False

    def log(self, message: str) -> None:
        n = len(message)
        if self.bytes_written + n >= LOG_MESSAGES_BYTES_LIMIT:
            if not self.truncated:
                self.messages.append("Log truncated")
                self.truncated = True
            return
        self.bytes_written += n
        self.messages.append(message)
