"""Small output helpers shared by the CLI's command modules."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click


def echo_json(value: Any, *, indent: int | None = 2) -> None:
    """Print a value as JSON (UTF-8, not ASCII-escaped)."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=indent))


@contextmanager
def progress(label: str, length: int | None = None, *, narrate: str | None = None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (shown only on a terminal); yields ``advance(n)``.

    ``length`` may be unknown (``None``): the bar then counts without a total. tqdm,
    unlike click's bar, needs neither an iterable nor a length. With ``narrate``, that
    logger's INFO lines are shown above the bar as they come (what the job does once
    the bar is full, for instance): the first such line ends the bar, left on screen with
    its final count, rather than drawing it again below the line as if it were still counting.
    """
    if not sys.stderr.isatty():
        yield lambda n=1: None
        return
    from tqdm import tqdm

    with tqdm(total=length, desc=label, file=sys.stderr, dynamic_ncols=True, leave=False, unit=" records") as bar:
        if narrate is None:
            yield bar.update
            return
        def say(line: str) -> None:
            bar.leave = True  # the bar's phase is over: keep its final count above the line
            bar.close()  # closing twice is harmless
            click.echo(line, err=True)

        def advance(n: int = 1) -> None:
            if not bar.disable:  # closed: the job has moved on to what the line says
                bar.update(n)

        with narrated(narrate, say):
            yield advance


@contextmanager
def narrated(logger_name: str, write: Callable[[str], None]) -> Iterator[None]:
    """Show a logger's INFO lines (and above) as they come, through ``write``."""

    class Lines(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            write(record.getMessage())

    logger = logging.getLogger(logger_name)
    handler, level = Lines(logging.INFO), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def plural(n: int, noun: str, many: str | None = None) -> str:
    """'1 resource', '2 resources': a number with its noun in the right form."""
    return f"{n} {noun if n == 1 else (many or noun + 's')}"


def shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
