"""Reading what a person typed: control characters dropped, accents and case folded, words split out.

Words are letters and digits only, so nothing a person types reaches an engine as query syntax: quotes,
asterisks, NEAR, AND, colons and parentheses are either dropped or searched as plain words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_QUERY_CHARS = 200
# Words beyond these add little to a name search and a lot to its cost.
MAX_WORDS = 8
MAX_WORD_CHARS = 40

_WORD = re.compile(r"[^\W_]+")
# Letters that are not a base letter plus a mark, so Unicode decomposition leaves them as they are.
_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i", "ŋ": "n"}
)


class QueryError(ValueError):
    """A query that cannot be searched as it is; the message says what to change."""


def clean(text: str) -> str:
    """Control and format characters out, runs of space made one."""
    # Printable means no character of the categories Other or Separator but the ASCII space: the usual case.
    kept = (
        text
        if text.isprintable()
        else "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)
    )
    return " ".join(kept.split())


def _unmarked(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return clean(unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c))))


def fold(text: str) -> str:
    """Lower case, without accents or compatibility forms (full-width letters, ligatures): "Styrsö" and
    "STYRSO" are "styrso"."""
    return _unmarked(text).translate(_LETTERS)


@dataclass(frozen=True)
class Query:
    text: str  # as typed, cleaned
    folded: str  # the whole query folded, compared with folded names
    words: tuple[str, ...]  # words without accents, at most MAX_WORDS
    prefix: bool = True  # the last word may be unfinished (search-as-you-type)

    @property
    def empty(self) -> bool:
        return not self.words

    def __str__(self) -> str:
        return self.text


def read_query(raw: str | None, *, prefix: bool = True) -> Query:
    text = clean(raw or "")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"Search for at most {MAX_QUERY_CHARS} characters.")
    folded = fold(text)
    # Letters such as ø stay in the words: SQLite's unicode61 tokenizer keeps them in the documents too.
    words = tuple(word[:MAX_WORD_CHARS] for word in _WORD.findall(_unmarked(text)))[:MAX_WORDS]
    return Query(text=text, folded=folded[:MAX_QUERY_CHARS], words=words, prefix=prefix)


def words_of(text: str) -> list[str]:
    return _WORD.findall(text)


def trigrams(text: str) -> set[str]:
    """The trigrams of each word, padded as pg_trgm pads them, for a similarity both engines agree on."""
    grams: set[str] = set()
    for word in _WORD.findall(text):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(left: set[str], right: set[str]) -> float:
    """Shared trigrams over all trigrams, as pg_trgm's similarity() (give each side's `trigrams`)."""
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


# A track's misspelt title is looked for among titles holding words that start as the query's words start:
# a typo after a word's first letters is forgiven, one within them is not.
SPELLING_PREFIX = 3


def spelling_prefixes(query: Query) -> list[str]:
    """The start of each of the query's words of two letters or more, as candidates are read by."""
    return [word[:SPELLING_PREFIX] for word in query.words if len(word) >= 2]


def words_similarity(query: Query, folded_name: str) -> float:
    """How nearly each of the query's words is a word of the name: the worst of their best trigram
    similarities, so every word typed must be nearly there ("wavs at nite" is "Waves at Night")."""
    names = [trigrams(word) for word in words_of(folded_name)]
    wanted = [trigrams(fold(word)) for word in query.words if len(word) >= 2]
    if not names or not wanted:
        return 0.0
    return min(max(similarity(word, name) for name in names) for word in wanted)
