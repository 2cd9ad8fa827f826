"""The delivery report as PDF, printed by headless Chromium from the self-contained HTML
(its print CSS lays out A4 landscape pages). Chromium is a system program, not a Python
dependency: found as ``CLEARANCE_CHROMIUM``, ``chromium`` or ``chromium-browser``."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT_SECONDS = 120


def find_browser() -> str | None:
    given = os.environ.get("CLEARANCE_CHROMIUM")
    if given:
        return given if Path(given).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html: Path, pdf: Path, browser: str) -> None:
    """Print ``html`` to ``pdf``; raises ``RuntimeError`` with Chromium's words on failure."""
    with tempfile.TemporaryDirectory(prefix="clearance-chromium-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            html.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RuntimeError(f"{browser}: {exc}") from exc
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"{browser} exited {done.returncode}: {detail[0]}")
