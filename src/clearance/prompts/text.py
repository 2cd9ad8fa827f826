"""Folding and tokenising prompt text, keeping where each word came from.

Names and prompts are compared after the same folding: Unicode compatibility decomposition
with the combining marks dropped (``Zoë`` → ``zoe``), a few letters that do not decompose
(``ø``, ``æ``, ``ł`` …), case folding (``ß`` → ``ss``), apostrophes inside a word dropped and a
possessive ``'s`` removed (``O'Brien's`` → ``obrien``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

#: Letters NFKD leaves whole (no combining mark to drop).
_LETTERS = str.maketrans(
    {"ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "đ": "d", "Đ": "d",
     "ł": "l", "Ł": "l", "þ": "th", "Þ": "th", "ð": "d", "Ð": "d", "ı": "i"}
)  # fmt: skip
_WORD = re.compile(r"[^\W_]+(?:['’ʼ][^\W_]+)*")
#: Punctuation that ends a clause: names and "in the style of …" phrases do not run across it.
_BREAK = re.compile(r"[,.;:!?()\[\]{}|<>\n\"“”/\\]")


@lru_cache(maxsize=65_536)
def fold(word: str) -> str:
    """One word, folded for comparison (see the module docstring)."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_LETTERS))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    for mark in ("'s", "’s", "ʼs"):
        plain = plain.removesuffix(mark)
    return plain.replace("'", "").replace("’", "").replace("ʼ", "")


def fold_name(name: str) -> tuple[str, ...]:
    """A listed name as folded words: ``"Zoë Saldaña"`` → ``("zoe", "saldana")``."""
    return tuple(w for w in (fold(m.group()) for m in _WORD.finditer(name)) if w)


@dataclass(frozen=True, slots=True)
class Token:
    word: str  # folded
    start: int  # span in the original text
    end: int
    clause: int  # tokens of one clause share this number


def tokens(text: str) -> list[Token]:
    """The folded words of ``text`` with their spans and clause numbers."""
    out: list[Token] = []
    clause, last = 0, 0
    for match in _WORD.finditer(text):
        if _BREAK.search(text, last, match.start()):
            clause += 1
        last = match.end()
        word = fold(match.group())
        if word:
            out.append(Token(word, match.start(), match.end(), clause))
    return out
