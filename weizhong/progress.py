"""A progress line on standard error, shown only when a person is watching (a terminal)."""

from __future__ import annotations

import sys
import time

from weizhong.i18n import _


class Progress:
    def __init__(self, total: int | None, noun: str) -> None:
        self.total = total
        self.noun = noun
        self.enabled = sys.stderr.isatty()
        self.started = time.perf_counter()
        self.last = 0.0

    def update(self, done: int, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not final and now - self.last < 0.1:
            return
        self.last = now
        rate = done / max(now - self.started, 1e-9)
        if self.total:
            width = 30
            filled = int(width * done / self.total)
            bar = "#" * filled + "-" * (width - filled)
            text = "\r" + _("[{bar}] {done}/{total} {noun}, {rate}/s").format(
                bar=bar, done=done, total=self.total, noun=self.noun, rate=f"{rate:,.0f}"
            )
        else:
            text = "\r" + _("{done} {noun}, {rate}/s").format(
                done=done, noun=self.noun, rate=f"{rate:,.0f}"
            )
        sys.stderr.write(text + ("\n" if final else ""))
        sys.stderr.flush()
