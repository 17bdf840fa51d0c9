"""The HTML report of a round, opened in a real headless Chromium: the charts are drawn."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from bansos_rules.cli import main
from tests.test_round import app, small_round, write

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (apt-get install -y chromium; .ci/run installs it)",
)

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def _pixels(png: bytes) -> list[tuple[int, int, int]]:
    """The pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    channels = 0
    while pos < len(png):
        (size,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + size]
        if kind == b"IHDR":
            width, _height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8
            assert interlace == 0
            channels = {2: 3, 6: 4}[colour]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + size
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytearray] = []
    prev = bytearray(stride)
    i = 0
    while i < len(raw):
        kind, line = raw[i], bytearray(raw[i + 1 : i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + b) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 0xFF
        rows.append(line)
        prev = line
    return [(row[x], row[x + 1], row[x + 2]) for row in rows for x in range(0, stride, channels)]


@needs_chromium
def test_the_html_report_draws_its_charts_in_chromium(tmp_path: Path) -> None:
    apps = [app(i, income=300_000 + 90_000 * i) for i in range(6)]
    apps += [app(10 + i, regency="6401", income=400_000 + 50_000 * i) for i in range(3)]
    path = write(tmp_path / "apps.jsonl", apps)
    page = tmp_path / "round.html"
    argv = ["allocate", str(path), "--on", "2025-06-01", "--round", str(small_round(tmp_path, 2))]
    assert main([*argv, "--format", "html", "--output", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html

    profile = tmp_path / "profile"
    common = [CHROMIUM or "chromium", *FLAGS, f"--user-data-dir={profile}"]
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=90
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count('class="bar bar-selected"') == 10
    assert 'id="chart-scores"' in dom.stdout
    assert 'class="cutoff"' in dom.stdout

    shot = tmp_path / "shot.png"
    done = subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    colours = set(_pixels(shot.read_bytes()))
    # The bars (slots grey, approved blue, selected green) and the cut-off line (red) are painted.
    for rgb in ((0x9A, 0xA5, 0xB1), (0x3D, 0x7E, 0xA6), (0x2E, 0x9D, 0x5B), (0xC0, 0x39, 0x2B)):
        assert rgb in colours, f"colour #{bytes(rgb).hex()} not painted"
