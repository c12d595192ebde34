"""What every helper process of a command does when it starts."""

from __future__ import annotations

import signal

__all__ = ["ignore_interrupts"]


def ignore_interrupts() -> None:
    """Leave Ctrl-C to the parent process.

    A terminal sends it to every process of its foreground group. The parent stops its
    helper processes itself and says what was kept; a helper that took the interrupt too
    would print a traceback of its own over that message.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
