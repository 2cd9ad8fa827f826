"""Finding listed names and style or likeness phrases in prompt text.

A name matches a run of the prompt's words (within one clause) when rapidfuzz's
``token_sort_ratio`` of the folded words is at least ``THRESHOLD`` (word order ignored: "Hanks,
Tom" style lists; one misspelt letter in a name of nine letters or more). A name shorter than
``MIN_FUZZY`` letters (spaces not counted) must match word for word: a one-letter difference in
a short name is another word ("Cher" / "chef", "Eve" / "eye"). Figures: README, "Prompt checks".
Only whole listed names and aliases match, never a surname alone ("Stone", "Wood"): add the
forms people write as aliases (``--alias Spielberg``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from clearance.prompts.model import Entry, NameMatch, PromptFacts
from clearance.prompts.text import Token, fold_name, tokens

#: Lowest rapidfuzz score (0-100) that counts as a match (measured: README, "Prompt checks").
THRESHOLD = 88
#: Names with fewer letters than this must match exactly.
MIN_FUZZY = 6
#: Longest prompt text read per source (characters); the rest is not checked.
MAX_TEXT = 8_000
#: How many words after "in the style of" / "looks like" a name still counts as introduced.
REACH = 8

#: Phrases (folded words) that make a style or a likeness reference, longest first at a place.
STYLE = (
    "in the style of", "in the manner of", "in the vein of", "after the style of", "style of",
    "inspired by", "a la", "art by", "artwork by", "painting by", "painted by", "drawn by",
    "illustrated by", "directed by", "shot by", "photographed by", "photo by", "by artist",
)  # fmt: skip
LIKENESS = (
    "looks like", "look like", "looking like", "resembling", "resembles", "resemble",
    "lookalike", "look alike", "as played by", "played by", "portrayed by", "in the likeness of",
    "likeness of", "voice of", "voiced by", "sounds like", "sound like", "sounding like",
    "face of", "dressed as", "impersonating",
)  # fmt: skip
#: Words right after a name that make it a style or likeness reference ("Greg Rutkowski
#: style", "Cher's voice").
AFTER = {
    **dict.fromkeys(("style", "styled", "aesthetic", "esque"), "style"),
    **dict.fromkeys(("voice", "face", "likeness", "lookalike"), "likeness"),
}
#: SAG-AFTRA's principal facial features (synthetic performers clause).
FACIAL = frozenset({"eye", "eyes", "nose", "noses", "mouth", "mouths", "ear", "ears"})

#: First word → (kind, phrase words), longest phrase first.
_PHRASES: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
for _kind, _phrases_of_kind in (("style", STYLE), ("likeness", LIKENESS)):
    for _phrase in _phrases_of_kind:
        _words = tuple(_phrase.split())
        _PHRASES.setdefault(_words[0], []).append((_kind, _words))
for _list in _PHRASES.values():
    _list.sort(key=lambda item: -len(item[1]))


@dataclass(slots=True)
class _Variant:
    entry: Entry
    words: tuple[str, ...]
    joined: str = field(init=False)
    exact: bool = field(init=False)

    def __post_init__(self) -> None:
        self.joined = " ".join(sorted(self.words))
        self.exact = sum(map(len, self.words)) < MIN_FUZZY


class Matcher:
    """Checks prompt texts against a fixed list of names (built once per production)."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        seen: set[tuple[str, ...]] = set()
        self.variants: list[_Variant] = []
        for entry in entries:  # talent first: a name listed twice is the production's talent
            for text in (entry.name, *entry.aliases):
                words = fold_name(text)
                if words and words not in seen:
                    seen.add(words)
                    self.variants.append(_Variant(entry, words))
        self._exact = {v.words: v for v in self.variants if v.exact}
        self._fuzzy = [v for v in self.variants if not v.exact]
        # Runs of words compared: a name's own length, and one word more or fewer (a name
        # written split or joined: "Di Caprio", "Varga Nagy")
        sizes = {len(v.words) for v in self.variants}
        self._widths = sorted({w for n in sizes for w in (n - 1, n, n + 1)} - {0})

    def check(self, texts: Sequence[str]) -> PromptFacts:
        """The facts of one use case's (or file's) prompt texts."""
        texts = [t[:MAX_TEXT] for t in texts if t and t.strip()]
        if not texts:
            return PromptFacts()
        found: dict[str, NameMatch] = {}
        references: list[str] = []
        style = likeness = facial = False
        for text in texts:
            words = tokens(text)
            reach = _phrases(text, words, references)
            style |= any(kind == "style" for kind in reach.values())
            likeness |= any(kind == "likeness" for kind in reach.values())
            facial |= any(t.word in FACIAL for t in words)
            for match in self._names(text, words, reach):
                style |= match.via == "style"
                likeness |= match.via == "likeness"
                best = found.get(match.id)
                if best is None or match.score > best.score:
                    found[match.id] = match
        matches = list(found.values())
        return PromptFacts(
            present=True,
            performers=[m.id for m in matches if m.kind == "talent"],
            protected=[m for m in matches if m.kind != "talent"],
            style_reference="yes" if style else "no",
            likeness_reference="yes" if likeness else "no",
            facial_feature="yes" if facial else "no",
            references=references,
            matches=matches,
        )

    def _names(self, text: str, words: list[Token], reach: dict[int, str]) -> list[NameMatch]:
        taken: list[tuple[int, int, NameMatch]] = []
        for start, end, variant, score in self._candidates(words):
            if any(s < end and start < e and m.score >= score for s, e, m in taken):
                continue  # an overlapping, better match already holds these words
            following = words[end].word if end < len(words) else ""
            if following in AFTER and words[end].clause == words[end - 1].clause:
                via = AFTER[following]
            else:
                via = reach.get(start, "")
            entry = variant.entry
            span = text[words[start].start : words[end - 1].end][:200]
            match = NameMatch(
                id=entry.id, name=entry.name, kind=entry.kind, text=span, score=score, via=via
            )
            taken = [t for t in taken if not (t[0] < end and start < t[1])]
            taken.append((start, end, match))
        return [m for _, _, m in sorted(taken, key=lambda t: t[0])]

    def _candidates(self, words: list[Token]) -> list[tuple[int, int, _Variant, int]]:
        """(start, end, variant, score) for every run of words a name matches, best first."""
        out: list[tuple[int, int, _Variant, int]] = []
        runs: dict[str, list[tuple[int, int]]] = {}
        for width in self._widths:
            for start in range(len(words) - width + 1):
                end = start + width
                if words[start].clause != words[end - 1].clause:
                    continue
                key = tuple(t.word for t in words[start:end])
                exact = self._exact.get(key)
                if exact is not None:
                    out.append((start, end, exact, 100))
                runs.setdefault(" ".join(sorted(key)), []).append((start, end))
        if self._fuzzy and runs:
            choices = list(runs)
            for variant in self._fuzzy:
                for _, score, index in process.extract(
                    variant.joined,
                    choices,
                    scorer=fuzz.ratio,  # token_sort_ratio: both sides' words are sorted
                    score_cutoff=THRESHOLD,
                    limit=None,
                ):
                    for start, end in runs[choices[index]]:
                        out.append((start, end, variant, round(score)))
        out.sort(key=lambda c: (-c[3], c[0] - c[1], c[0]))  # best, then longest, first
        return out


def _phrases(text: str, words: list[Token], references: list[str]) -> dict[int, str]:
    """Word index → ``style`` / ``likeness`` for the words a phrase introduces; appends each
    phrase with what follows it (up to its clause's end or ``REACH`` words) to
    ``references``."""
    reach: dict[int, str] = {}
    index = 0
    while index < len(words):
        hit = _phrase_at(words, index)
        if hit is None:
            index += 1
            continue
        kind, length = hit
        after = index + length
        last = after
        while (
            last < len(words) and last < after + REACH and words[last].clause == words[index].clause
        ):
            reach.setdefault(last, kind)
            last += 1
        if last > after:
            references.append(text[words[index].start : words[last - 1].end][:200])
        index = after
    return reach


def _phrase_at(words: list[Token], index: int) -> tuple[str, int] | None:
    """The longest style or likeness phrase starting at ``words[index]`` (within a clause)."""
    for kind, phrase in _PHRASES.get(words[index].word, ()):
        n = len(phrase)
        run = words[index : index + n]
        if (
            len(run) == n
            and all(t.word == w for t, w in zip(run, phrase, strict=True))
            and run[-1].clause == run[0].clause
        ):
            return kind, n
    return None
