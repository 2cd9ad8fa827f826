"""The table of hostile inputs: what an attacker or a clumsy user hands to every command.

Shared by ``tests/test_hostile.py`` (which asserts, for each case, exit code 2 or a documented
verdict, no traceback, no hang, nothing written) and ``bench/hostile.py`` (which runs the same
table as real processes and prints the figures quoted in the README).
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEEP = 1500

MINIMAL = textwrap.dedent(
    """\
    version: 1
    production:
      id: test-prod
    tools:
      - id: ent
        name: Enterprise tool
        enterprise: yes
        trains_on_inputs: no
        retains_inputs: no
    use_cases:
      - id: UC-1
        title: Mood boards
        tools: [ent]
        stage: ideation
        output:
          media: [image]
          destination: reference
          resembles_protected: no
    """
)

EDL = textwrap.dedent(
    """\
    TITLE: hostile
    FCM: NON-DROP FRAME

    001  AX       V     C        00:00:00:00 00:00:01:00 01:00:00:00 01:00:01:00
    * FROM CLIP NAME: shot.mov
    """
)


def _billion_laughs() -> bytes:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join(f'*a{i - 1}' for _ in range(9))}]" for i in range(1, 10)]
    return ("\n".join(lines) + "\n").encode()


#: Hostile file contents (written with each command's suffix).
CONTENTS: dict[str, bytes] = {
    "empty": b"",
    "whitespace": b"   \n\t\n",
    "not-utf8": b"version: 1\nproduction: {id: \xff\xfe}\n",
    "nul-bytes": b"version: 1\x00\x00\n",
    "binary": bytes(range(256)) * 64,
    "deep-json-array": b"[" * DEEP + b"]" * DEEP,
    "deep-json-object": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "deep-yaml-flow": b"a: " + b"[" * DEEP + b"]" * DEEP + b"\n",
    "deep-yaml-block": b"".join(b"  " * i + b"a:\n" for i in range(400)) + b"  " * 400 + b"1\n",
    "huge-int": b"version: " + b"9" * 5000 + b"\n",
    "huge-int-json": b'{"version": ' + b"9" * 5000 + b"}",
    "huge-float": b"version: 1e999999\n",
    "version-true": MINIMAL.replace("version: 1", "version: true").encode(),
    "version-float": MINIMAL.replace("version: 1", "version: 1.0").encode(),
    "no-use-cases": MINIMAL.split("use_cases:")[0].encode(),
    "alias-bomb": _billion_laughs(),
    "duplicate-keys": b"version: 1\nversion: 1\n",
    "escape-sequences": MINIMAL.replace("Mood boards", "\x1b]0;pwned\x07\x1b[2J").encode(),
    "python-tag": b"!!python/object/apply:os.system ['echo pwned']\n",
    "two-documents": b"version: 1\n---\nversion: 1\n",
    "not-a-mapping": b"- 1\n- 2\n",
    "many-keys": b"".join(b"k%d: 1\n" % i for i in range(50_000)),
    "long-line": b"a: " + b"x" * 2_000_000 + b"\n",
    "otio-deep": b'{"OTIO_SCHEMA": "Timeline.1", "tracks": '
    + b"[" * 100_000
    + b"]" * 100_000
    + b"}",
    "edl-garbage": b"001  AX V C 99:99:99:99 00:00:00:00 xx yy\n" * 100,
    "xml-entities": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><xmeml>&b;</xmeml>',
}

#: Things that are not regular files where a file belongs.
SPECIAL = ("directory", "fifo", "dev-zero", "missing")


def make_input(folder: Path, kind: str, suffix: str) -> Path:
    """Create the hostile input ``kind`` under ``folder`` with ``suffix``; returns its path."""
    path = folder / f"{kind}{suffix}"
    if kind == "directory":
        path.mkdir(exist_ok=True)
    elif kind == "fifo":
        if not path.exists():
            os.mkfifo(path)
    elif kind == "dev-zero":
        if not path.is_symlink():
            path.symlink_to("/dev/zero")
    elif kind == "missing":
        pass
    else:
        path.write_bytes(CONTENTS[kind])
    return path


@dataclass(frozen=True)
class Command:
    """A command line with one hostile input: ``args(input, folder)``; ``suffixes`` the input
    is tried with; ``register`` whether it needs one; ``valid`` what it rightly accepts."""

    name: str
    suffixes: tuple[str, ...]
    args: Callable[[Path, Path], list[str]]
    register: bool = False
    #: Inputs that are valid for this command (not tried: they are not hostile to it).
    valid: frozenset[str] = frozenset()


def _fixture(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    if not path.exists():
        path.write_text(text)
    return path


def _media(folder: Path) -> str:
    (folder / "media").mkdir(exist_ok=True)
    return str(folder / "media")


FILE_COMMANDS: list[Command] = [
    Command("check", (".yaml", ".json"), lambda f, d: ["check", str(f), "--no-register"]),
    Command("explain", (".yaml", ".json"), lambda f, d: ["explain", str(f), "UC-1"]),
    Command(
        "check --policy",
        (".yaml",),
        lambda f, d: [
            "check",
            str(_fixture(d, "valid.yaml", MINIMAL)),
            "--policy",
            str(f),
            "--no-register",
        ],
    ),
    Command(
        "intake --answers",
        (".yaml", ".json"),
        lambda f, d: [
            "intake",
            str(_fixture(d, "intake.yaml", MINIMAL)),
            "--answers",
            str(f),
            "-t",
            "x",
            "-u",
            "UC-9",
        ],
    ),
    Command(
        "cuesheet",
        (".edl", ".otio", ".xml"),
        lambda f, d: ["cuesheet", str(f), "--media", _media(d), "-f", "json"],
    ),
    Command(
        "cuesheet --rules",
        (".yaml",),
        lambda f, d: [
            "cuesheet",
            str(_fixture(d, "cut.edl", EDL)),
            "--rules",
            str(f),
            "--media",
            _media(d),
            "-f",
            "json",
        ],
    ),
    Command("policy test", (".yaml",), lambda f, d: ["policy", "test", str(f)]),
]

REGISTER_COMMANDS: list[Command] = [
    Command(
        "import",
        (".yaml", ".json"),
        lambda f, d: ["import", str(f)],
        register=True,
        valid=frozenset({"no-use-cases"}),  # withdraws what this manifest brought in
    ),
    Command("restore", (".zip", ""), lambda f, d: ["restore", str(f)], register=True),
    Command(
        "approve --attach",
        (".pdf",),
        lambda f, d: ["approve", "UC-1", "--approver", "x", "--attach", str(f)],
        register=True,
        valid=frozenset(CONTENTS),  # any regular file is a document; not a FIFO or a device
    ),
    Command(
        "asset add",
        (".png",),
        lambda f, d: ["asset", "add", "UC-1", str(f)],
        register=True,
        valid=frozenset(CONTENTS),  # any regular file can be an output; not a FIFO or device
    ),
    Command(
        "report --edit",
        (".edl", ".otio"),
        lambda f, d: ["report", "-o", str(d / "report"), "--edit", str(f), "--media", _media(d)],
        register=True,
        valid=frozenset({"many-keys", "long-line", "whitespace"}),  # an EDL with no events
    ),
    Command(
        "cut add",
        (".edl", ".otio"),
        lambda f, d: ["cut", "add", "hostile", str(f), "--media", _media(d)],
        register=True,
    ),
]

#: Hostile option values: (argv, why). Each must end with exit code 2 and nothing written.
OPTION_CASES: list[tuple[list[str], str]] = [
    (["approve", "UC-1", "--approver", "x", "--date", "86400"], "a Unix time as a date"),
    (["approve", "UC-1", "--approver", "x", "--date", "20250101"], "a basic-format date"),
    (["approve", "UC-1", "--approver", "x", "--expires", "1893456000"], "a Unix time expiry"),
    (["approve", "UC-1", "--approver", "x", "--date", "2025-13-01"], "no 13th month"),
    (["approve", "UC-1", "--approver", "x", "--date", ""], "an empty date"),
    (
        ["approve", "UC-1", "--approver", "x", "--date", "2025-06-01", "--expires", "2025-01-01"],
        "expiry before the date",
    ),
    (["report-use", "UC-1", "--contact", "x", "-P", "nope"], "an unknown production"),
    (["report-use", "UC-404", "--contact", "x"], "an unknown use case"),
    (
        ["approve", "UC-404", "--approver", "x", "--attach", "MINIMAL_FILE"],
        "an attachment to a refused record",
    ),
    (["status", "--on", "tomorrow"], "a word as a day"),
    (["audit", "log", "--limit", "1e20"], "a float as a limit"),
    (["audit", "log", "--limit", "100000000000000000000"], "a limit past 64 bits"),
    (["audit", "log", "-P", "nope"], "an unknown production"),
    (["revoke", "EV-NOPE", "--reason", "x"], "an unknown evidence id"),
    (["export", "-o", "/missing/x.zip"], "a missing folder"),
    (["manifest", "export", "-o", "/missing/m.yaml"], "a missing folder"),
    (["export", "-o", "MINIMAL_FILE"], "an existing file that is not an export"),
    (["init", "MINIMAL_FILE"], "init on a file"),
]
