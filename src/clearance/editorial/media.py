"""An index of the media files under the given roots, so thousands of events resolve by
dictionary lookups rather than filesystem searches.

Memory grows with the number of media files (one path string and a few keys each); the
walk is the scanner's (no symlinked folders followed, names kept even when not UTF-8).
"""

from __future__ import annotations

import bisect
import fnmatch
import os
import re
from collections import defaultdict
from pathlib import Path

from clearance.provenance.walk import walk

#: ``shot_0042.0001.exr`` / ``shot_0042_1001.dpx`` / ``shot.[1001-1100].exr`` → ``shot_0042``:
#: frames of an image sequence share one key, so a clip named after the sequence finds it.
_FRAME_SUFFIX = re.compile(r"(?:[._](?:\d{3,8}|\[\d+-\d+\]|#+|%0\dd))$")


def key(name: str) -> str:
    return name.casefold()


def sequence_key(stem: str) -> str:
    if not stem or stem[-1] not in "0123456789]#d":  # cheap pre-check: most names are not frames
        return key(stem)
    return key(_FRAME_SUFFIX.sub("", stem))


class MediaIndex:
    """Media files by name, by name without extension and by image-sequence name."""

    def __init__(self, roots: list[Path]) -> None:
        self.roots = [os.path.abspath(r) for r in roots]
        self.by_name: dict[str, list[str]] = defaultdict(list)
        self.by_stem: dict[str, list[str]] = defaultdict(list)
        self.by_sequence: dict[str, list[str]] = defaultdict(list)
        self.files = 0
        for entry in walk(roots):
            if entry.problem:
                continue
            self.files += 1
            name = os.path.basename(entry.path)
            stem = os.path.splitext(name)[0]
            self.by_name[key(name)].append(entry.path)
            self.by_stem[key(stem)].append(entry.path)
            sequence = sequence_key(stem)
            if sequence != key(stem):  # one entry per sequence and folder: its first frame
                frames = self.by_sequence[sequence]
                folder = os.path.dirname(entry.path)
                if not any(os.path.dirname(f) == folder for f in frames):
                    frames.append(entry.path)
        self._names = sorted(self.by_name)

    def named(self, name: str) -> list[str]:
        """Files whose name is ``name`` (case-insensitive), else whose stem or sequence is."""
        folded = key(name)
        for table in (self.by_name, self.by_stem, self.by_sequence):
            if folded in table:
                return table[folded]
        stem = os.path.splitext(name)[0]
        for candidate in (sequence_key(stem), key(stem.rstrip("._-"))):  # ``shot_####``, ``shot_``
            found = self.by_sequence.get(candidate, []) or self.by_stem.get(candidate, [])
            if found:
                return found
        return []

    def matching(self, pattern: str) -> list[str]:
        """Files whose name matches a glob (``*``, ``?``, ``[…]``), case-insensitive; only
        names sharing the pattern's literal prefix are tried."""
        folded = key(pattern)
        literal = re.split(r"[*?\[]", folded, maxsplit=1)[0]
        if literal == folded:
            return self.named(pattern)
        start = bisect.bisect_left(self._names, literal)
        found: list[str] = []
        for name in self._names[start:]:
            if not name.startswith(literal):
                break
            if fnmatch.fnmatchcase(name, folded):
                found.extend(self.by_name[name])
        return sorted(found)
