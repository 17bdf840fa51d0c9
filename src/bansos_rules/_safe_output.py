"""Text output that input cannot forge, and standard streams that never fail to encode.

Names and other texts come from application files. Written to a terminal as they are, a control
character could move the cursor, an ANSI escape recolour or clear the screen, a newline start a
fake summary line, and a bidirectional override reverse what follows. :func:`neutralise` shows
every such character as a visible escape (``\\x1b``, ``\\n``, ``\\u202e``) instead.

:func:`safe_streams` makes ``stdout`` and ``stderr`` write UTF-8 (or replace what the console
cannot show) so that output redirected on a non-UTF-8 Windows console never raises
``UnicodeEncodeError``.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import sys

__all__ = ["neutralise", "safe_streams"]

# C0 and C1 controls (tab and newline included: output lines are built by the program), DEL, the
# Unicode line and paragraph separators, bidirectional marks, embeddings, overrides and isolates,
# zero-width and other invisible format characters, lone surrogates (bytes that were not UTF-8 in a
# file name or a file), the byte-order mark, interlinear annotation.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\ud800-\udfff\ufeff\ufff9-\ufffb]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralise(text: str) -> str:
    """``text`` with every control, escape, line-breaking and invisible character shown as a
    visible escape sequence, so that it prints as one line of ordinary characters."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)


def _is_utf(encoding: str | None) -> bool:
    try:
        return codecs.lookup(encoding or "ascii").name.startswith("utf")
    except LookupError:
        return False


def safe_streams() -> None:
    """Make ``sys.stdout`` and ``sys.stderr`` unable to fail on a character.

    A stream that does not encode UTF-8 is switched to UTF-8 when it is redirected (a file or a
    pipe, where UTF-8 is what other tools read) and the user did not choose an encoding with
    ``PYTHONIOENCODING``; otherwise characters its encoding lacks are replaced (``?``).
    """
    chosen = bool(os.environ.get("PYTHONIOENCODING"))
    for stream in (sys.stdout, sys.stderr):
        if not isinstance(stream, io.TextIOWrapper) or _is_utf(stream.encoding):
            continue
        try:
            if not chosen and not stream.isatty():
                stream.reconfigure(encoding="utf-8", errors="replace")
            else:
                stream.reconfigure(errors="replace")
        except (OSError, ValueError):  # pragma: no cover - a closed or detached stream
            continue
