"""Item-writing lint (IW rules) after Haladyna, Downing & Rodriguez (2002).

Each check looks at one contract-valid item and yields findings at the stem or option
concerned. The checks are tuned for a low false-positive rate on well-written items:
words that merely look absolute ("all patients") count only when the option makes a
claim; a negative counts only in the main clause of the question sentence; a clang
association needs two content words shared by the stem and the key alone; length
rules need both a ratio and an absolute difference in characters.

Reference: Haladyna, T. M., Downing, S. M., & Rodriguez, M. C. (2002). A review of
multiple-choice item-writing guidelines for classroom assessment. *Applied Measurement
in Education*, 15(3), 309-333.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from statistics import fmean

from cehrs_items.findings import Finding
from cehrs_items.validate import bank_rules
from cehrs_items.validate.bank_rules import ItemFile
from cehrs_items.validate.rules import RULES

KEY_LONGER_RATIO = 1.5
"""IW005: the key is at least this many times the mean distractor length ..."""
KEY_LONGER_THAN_NEXT = 1.3
"""... and this many times the longest distractor ..."""
KEY_LONGER_CHARS = 12
"""... and at least this many characters longer than it."""
IMBALANCE_RATIO = 2.5
"""IW006: the longest option is at least this many times the shortest ..."""
IMBALANCE_CHARS = 30
"""... and at least this many characters longer."""
CLANG_MIN_WORDS = 2
"""IW008: content words shared by stem and key, and by no distractor, that make a cue."""

_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
_ALL_ABOVE_RE = re.compile(
    r"\ball\s+(?:of\s+)?(?:the\s+)?(?:above|these|those|the\s+options|the\s+answers|choices)\b",
    re.IGNORECASE,
)
_NONE_ABOVE_RE = re.compile(
    r"\bnone\s+of\s+(?:the\s+)?(?:above|these|those|options|answers|choices)\b",
    re.IGNORECASE,
)
_LABEL = r"(?:[A-E]|I{1,3}|IV|V)"
_COMPLEX_RE = re.compile(
    rf"^\s*(?:(?i:both|only|neither|either)\s+)?{_LABEL}(?:\s*,\s*{_LABEL})*\s*,?\s*"
    rf"(?i:and|or|nor|&)\s+{_LABEL}(?:\s+(?i:only|but\s+not\s+{_LABEL}))?\s*\.?\s*$"
)
_STRONG_ABSOLUTES = (
    "always",
    "never",
    "completely",
    "absolutely",
    "entirely",
    "totally",
    "invariably",
    "impossible",
    "guaranteed",
    "guarantees",
)
_STRONG_PHRASES = (
    "under no circumstances",
    "in all cases",
    "in every case",
    "at all times",
    "without exception",
)
_WEAK_ABSOLUTES = (
    "all",
    "only",
    "none",
    "every",
    "everyone",
    "everything",
    "nobody",
    "nothing",
)


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CLAIM_WORDS = _wordset(
    "must may can cannot can't should shall will won't is are be been being has have had "
    "need needs require requires required allowed permitted apply applies"
)
_NEGATIVES = _wordset(
    "not except least never cannot isn't aren't doesn't don't didn't won't wouldn't "
    "shouldn't can't couldn't wasn't weren't hasn't haven't"
)
_CONJUNCTIONS = _wordset(
    "if when whenever because although though unless after before while since until once whether"
)
_AUXILIARIES = _wordset("is are was were do does did can could should would will must may might")
_SUBORDINATORS = _wordset(
    "if when whenever who whom whose that which because although though unless after "
    "before while since until once where whether so"
)
_STOP_WORDS = _wordset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can cannot could did do does doing down during
    each either else few for from further had has have having he her here hers him his how
    however i if in into is it its itself just least less let like made make makes many may
    me might more most much must my near need needs neither no nor not now of off often on
    once one only or other others our out over own per rather same she should since so some
    such than that the their theirs them then there these they this those though through
    thus to too under until up upon us use used uses using very via was we were what when
    where whether which while who whom whose why will with within without would yet you your
    following best first next correct true false likely appropriate example examples type
    types kind kinds way ways part parts able new given based
    patient patients provider providers record records health information system systems
    practice practices office staff specialist specialists ehr electronic medical data
    form forms document documents field fields screen screens module modules section sections
    option options step steps task tasks process"""
)


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


@lru_cache(maxsize=65536)
def _content(word: str) -> str | None:
    """Normalised content word, or None for stop words and words under four letters."""
    w = word.casefold().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.strip("'-")
    if len(w) < 4 or w in _STOP_WORDS or w.isdigit():
        return None
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sses", "xes", "ches", "shes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    return w if w not in _STOP_WORDS else None


def _options(item) -> list[tuple[str, str]]:
    return sorted(item.options.items())


def iw001_all_of_the_above(entry: ItemFile, item) -> Iterable[Finding]:
    for label, text in _options(item):
        if match := _ALL_ABOVE_RE.search(text):
            yield entry.at("IW001", ("options", label), f"option {label} says '{match.group(0)}'")


def iw002_none_of_the_above(entry: ItemFile, item) -> Iterable[Finding]:
    for label, text in _options(item):
        if match := _NONE_ABOVE_RE.search(text):
            yield entry.at("IW002", ("options", label), f"option {label} says '{match.group(0)}'")


def iw003_absolute_words(entry: ItemFile, item) -> Iterable[Finding]:
    for label, text in _options(item):
        text = _NONE_ABOVE_RE.sub(" ", _ALL_ABOVE_RE.sub(" ", text))
        lowered = text.casefold()
        words = [w.casefold().replace("’", "'") for w in _words(text)]
        found = [w for w in words if w in _STRONG_ABSOLUTES]
        found += [p for p in _STRONG_PHRASES if p in lowered]
        if any(w in _CLAIM_WORDS for w in words):
            found += [w for w in words if w in _WEAK_ABSOLUTES]
        if found:
            unique = list(dict.fromkeys(found))
            shown = ", ".join(f"'{w}'" for w in unique)
            yield entry.at(
                "IW003",
                ("options", label),
                f"option {label} uses the absolute word{'s' if len(unique) > 1 else ''} {shown}",
            )


def _question_sentence(stem: str) -> str:
    sentences = [s for s in re.split(r"(?<=[.?!])\s+", stem.strip()) if s]
    if not sentences:
        return ""
    questions = [s for s in sentences if s.rstrip().endswith("?")]
    return questions[-1] if questions else sentences[-1]


def negative_words(stem: str) -> list[str]:
    """Negatives in the main clause of the stem's question sentence, as written.

    The question sentence is the last one ending in '?' (else the last sentence). It is
    cut at commas; a part that starts with a subordinating conjunction (if, when,
    because, ...) is skipped, and within other parts the words after a subordinating or
    relative word (if, who, that, ...) are skipped, so a condition such as "if the
    patient has not signed" is not a negative stem. EXCEPT counts wherever it stands,
    and "at least" is not a negative.
    """
    sentence = _question_sentence(stem)
    found = []
    for part in re.split(r"[,;:()]", sentence):
        words = _words(part)
        if not words:
            continue
        first = words[0].casefold()
        second = words[1].casefold() if len(words) > 1 else ""
        if first in _CONJUNCTIONS and not (first == "when" and second in _AUXILIARIES):
            continue  # a subordinate clause ("if the patient has not signed, ...")
        for index, word in enumerate(words):
            low = word.casefold().replace("’", "'")
            if index > 0 and low in _SUBORDINATORS:
                break
            if low in _NEGATIVES and not (
                low == "least" and index and words[index - 1].casefold() == "at"
            ):
                found.append(word)
    found += [w for w in _words(sentence) if w.casefold() == "except" and w not in found]
    return found


def iw004_negative_stem(entry: ItemFile, item) -> Iterable[Finding]:
    weak = [w for w in negative_words(item.stem) if not w.isupper()]
    if weak:
        shown = ", ".join(f"'{w}'" for w in dict.fromkeys(weak))
        yield entry.at(
            "IW004",
            ("stem",),
            f"negative stem ({shown}) is not emphasised",
            f"word the stem positively, or write {shown.upper()} in capitals (bold if your "
            "delivery system allows)",
        )


def _lengths(item) -> dict[str, int]:
    return {label: len(" ".join(text.split())) for label, text in item.options.items()}


def _key_longer(item) -> bool:
    lengths = _lengths(item)
    if item.key not in lengths or len(lengths) < 2:
        return False
    key_len = lengths[item.key]
    others = [n for label, n in lengths.items() if label != item.key]
    longest = max(others)
    return (
        key_len >= KEY_LONGER_RATIO * fmean(others)
        and key_len >= KEY_LONGER_THAN_NEXT * longest
        and key_len - longest >= KEY_LONGER_CHARS
    )


def iw005_key_longer(entry: ItemFile, item) -> Iterable[Finding]:
    if _key_longer(item):
        lengths = _lengths(item)
        others = [n for label, n in lengths.items() if label != item.key]
        yield entry.at(
            "IW005",
            ("options", item.key),
            f"key {item.key} has {lengths[item.key]} characters; the distractors "
            f"{round(fmean(others))} on average (longest {max(others)})",
        )


def iw006_length_imbalance(entry: ItemFile, item) -> Iterable[Finding]:
    lengths = _lengths(item)
    if len(lengths) < 2 or _key_longer(item):
        return  # a long key is IW005's finding
    longest = max(lengths, key=lambda k: (lengths[k], k))
    shortest = min(lengths, key=lambda k: (lengths[k], k))
    hi, lo = lengths[longest], lengths[shortest]
    if hi >= IMBALANCE_RATIO * max(lo, 1) and hi - lo >= IMBALANCE_CHARS:
        yield entry.at(
            "IW006",
            ("options", longest),
            f"option {longest} has {hi} characters, option {shortest} only {lo}",
        )


def article_sound(text: str) -> str | None:
    """'vowel' or 'consonant' for the sound a text starts with, None when unsure.

    Handles the usual exceptions (an hour, a unit, a one-time) and acronyms: letters
    whose names start with a vowel sound (F, H, L, M, N, R, S, X) are ambiguous because
    an acronym may be spelt out (an MRI) or read as a word (a HIPAA form).
    """
    words = _words(text)
    if not words:
        return None
    word = words[0]
    low = word.casefold()
    if word[0].isdigit():
        digits = re.match(r"[0-9]+", word).group()  # type: ignore[union-attr]
        if (
            digits.startswith("8")
            or digits in ("11", "18")
            or (len(digits) in (5, 6) and digits.startswith(("11", "18")))
        ):
            return "vowel"
        return "consonant"
    letters = re.sub(r"[^A-Za-z]", "", word)
    if len(letters) >= 2 and letters.isupper():
        first = letters[0]
        if first in "FHLMNRSX":
            return None
        if first == "U":
            return "consonant"
        return "vowel" if first in "AEIO" else "consonant"
    if low.startswith(("hour", "honest", "honor", "honour", "heir")):
        return "vowel"
    if low.startswith(("uni", "use", "usu", "uti", "ura", "uri", "euro", "eu", "one", "once")):
        return "consonant"
    if low in ("u",):
        return "consonant"
    return "vowel" if low[0] in "aeiou" else "consonant"


def iw007_article_cue(entry: ItemFile, item) -> Iterable[Finding]:
    tail = re.sub(r"[\s_.:…]+$", "", item.stem)
    words = _words(tail)
    if not words or words[-1].casefold() not in ("a", "an"):
        return
    article = words[-1].casefold()
    wanted = "vowel" if article == "an" else "consonant"
    wrong = [
        label
        for label, text in _options(item)
        if (sound := article_sound(text)) is not None and sound != wanted
    ]
    if wrong:
        key_note = " (including the key)" if item.key in wrong else ""
        yield entry.at(
            "IW007",
            ("stem",),
            f"stem ends with '{words[-1]}', which does not fit option"
            f"{'s' if len(wrong) > 1 else ''} {', '.join(wrong)}{key_note}",
        )


def clang_words(stem: str, key: str, distractors: Iterable[str]) -> list[str]:
    """Content words of the stem that the key repeats and no distractor does."""

    def content(text: str) -> set[str]:
        return {c for w in _words(text) if (c := _content(w))}

    shared = content(stem) & content(key)
    for text in distractors:
        shared -= content(text)
    return sorted(shared)


def iw008_clang(entry: ItemFile, item) -> Iterable[Finding]:
    if item.key not in item.options:
        return
    distractors = [t for label, t in _options(item) if label != item.key]
    words = clang_words(item.stem, item.options[item.key], distractors)
    if len(words) >= CLANG_MIN_WORDS:
        shown = ", ".join(f"'{w}'" for w in words)
        yield entry.at(
            "IW008",
            ("options", item.key),
            f"key {item.key} repeats stem words {shown} that no distractor uses",
        )


def _same_text(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip(".;")


def iw009_duplicate_options(entry: ItemFile, item) -> Iterable[Finding]:
    seen: dict[str, str] = {}
    for label, text in _options(item):
        norm = _same_text(text)
        if norm in seen:
            yield entry.at(
                "IW009", ("options", label), f"option {label} repeats option {seen[norm]}"
            )
        else:
            seen[norm] = label


def iw010_missing_rationale(entry: ItemFile, item) -> Iterable[Finding]:
    for label, _ in _options(item):
        role = "the key" if label == item.key else "a distractor"
        text = item.rationale.get(label)
        if text is None:
            yield entry.at_key("IW010", ("rationale",), f"no rationale for option {label} ({role})")
        elif not text.strip():
            yield entry.at(
                "IW010", ("rationale", label), f"rationale for option {label} ({role}) is empty"
            )


def iw011_complex_options(entry: ItemFile, item) -> Iterable[Finding]:
    for label, text in _options(item):
        if _COMPLEX_RE.match(text):
            yield entry.at(
                "IW011", ("options", label), f"option {label} ('{text.strip()}') combines options"
            )


CHECKS: dict[str, Callable[[ItemFile, object], Iterable[Finding]]] = {
    "IW001": iw001_all_of_the_above,
    "IW002": iw002_none_of_the_above,
    "IW003": iw003_absolute_words,
    "IW004": iw004_negative_stem,
    "IW005": iw005_key_longer,
    "IW006": iw006_length_imbalance,
    "IW007": iw007_article_cue,
    "IW008": iw008_clang,
    "IW009": iw009_duplicate_options,
    "IW010": iw010_missing_rationale,
    "IW011": iw011_complex_options,
}
"""Each IW rule's check, by rule id."""

NEEDS: dict[str, tuple[str, ...]] = {
    "IW001": ("options",),
    "IW002": ("options",),
    "IW003": ("options",),
    "IW004": ("stem",),
    "IW005": ("options", "key"),
    "IW006": ("options", "key"),
    "IW007": ("stem", "options", "key"),
    "IW008": ("stem", "options", "key"),
    "IW009": ("options",),
    "IW010": ("options", "key", "rationale"),
    "IW011": ("options",),
}
"""The item fields each check reads; it runs only when they met the contract."""


def lint_item(entry: ItemFile, *, skip: Iterable[str] = ()) -> list[Finding]:
    """IW findings for one item, leaving out its ``lint_ignore`` rules and ``skip``.

    A check runs only when the fields it reads (:data:`NEEDS`) met the item contract.
    """
    item = entry.item
    if item is None:
        return []
    off = set(skip) | (set(item.lint_ignore) if entry.has("lint_ignore") else set())
    findings: list[Finding] = []
    for rule_id, check in CHECKS.items():
        if rule_id not in off and entry.has(*NEEDS[rule_id]):
            findings.extend(check(entry, item))
    return findings


if set(CHECKS) != {r for r in RULES if r.startswith("IW")} or set(NEEDS) != set(
    CHECKS
):  # pragma: no cover
    raise RuntimeError("every IW rule needs a check in cehrs_items.validate.lint.CHECKS")


def rule_notes() -> list[str]:
    """How the heuristic rules decide, with the thresholds in force (for docs/rules.md)."""
    return [
        "## How the heuristic rules decide",
        "",
        f"- **BANK009/BANK010**: stems are lower-cased, punctuation removed, and cut into "
        f"character {bank_rules.SHINGLE_SIZE}-grams; two stems are near-duplicates when the "
        f"Jaccard similarity of those sets is at least "
        f"{bank_rules.NEAR_DUPLICATE_THRESHOLD} (identical after normalising: BANK009). "
        "Pairs declared enemies, and pairs with a retired item, are exempt.",
        "- **IW003**: always, never, completely, absolutely (and similar) count anywhere in "
        "an option; all, only, none, every only when the option makes a claim (has a verb "
        "such as must, may, is, requires).",
        "- **IW004**: only the question sentence's main clause counts; a negative inside a "
        "condition (if the patient has not signed, ...) does not. EXCEPT counts anywhere; "
        "words in capitals are emphasised.",
        f"- **IW005**: the key is at least {KEY_LONGER_RATIO} times the mean distractor "
        f"length, {KEY_LONGER_THAN_NEXT} times the longest distractor, and "
        f"{KEY_LONGER_CHARS} characters longer than it.",
        f"- **IW006**: the longest option is at least {IMBALANCE_RATIO} times the "
        f"shortest and {IMBALANCE_CHARS} characters longer (not reported when IW005 is).",
        "- **IW007**: the stem's last word is 'a' or 'an' and an option starts with the other "
        "sound; acronyms read either way (MRI, HIPAA) are not judged.",
        f"- **IW008**: at least {CLANG_MIN_WORDS} content words (four letters or more, "
        "not common or generic EHR words, plurals folded) appear in the stem and the key but "
        "in no distractor.",
        "- An item with schema errors still gets every check whose fields are fine.",
        "",
    ]
