"""Rules of ``cehrs-items analyze``: data-quality findings (``ANA…``) and item flags (``FLAG…``).

``ANA`` findings are notes about the run (small groups, zero variance, fallbacks) and
are returned with the result. Each ``FLAG`` rule is one review flag of the ``flags``
column of ``item_stats`` (its name is the summary's first word); as findings they are
located at the responses file (or, given a bank, the item's file) and name the item.
Flags are for review and never fail a run; ``warning`` flags need a reviewer's look,
``info`` flags are notes.
"""

from __future__ import annotations

from cehrs_items.catalogue.rule import Rule, Scope
from cehrs_items.findings import Severity

_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO
_ANALYZE = "cehrs-items analyze (issue 6)"
_FLAGS = "cehrs-items analyze review flags; thresholds in analysis.flags.Thresholds"
_DIF = "ETS DIF categories: Zieky (1993); Holland & Thayer (1988)"


def _ana(rule_id: str, severity: Severity, summary: str, hint: str, source: str = _ANALYZE):
    return Rule(rule_id, severity, summary, hint, source, Scope.ANALYSIS)


RULES: tuple[Rule, ...] = (
    _ana("ANA001", _W, "DIF focal group smaller than min_focal", "read the DIF statistics with care, or pool more administrations"),
    _ana("ANA002", _W, "DIF reference group smaller than min_reference", "read the DIF statistics with care, or pool more administrations"),
    _ana("ANA003", _W, "item with zero variance (all correct or all incorrect)", "check the key; the item's correlations are not defined"),
    _ana("ANA004", _W, "item omitted by every examinee", "check that the item was delivered"),
    _ana("ANA005", _W, "reliability not defined (too few items or no variance)", "analyse a form with at least two scored items and varied scores"),
    _ana("ANA006", _W, "DIF statistics not estimable for an item", "look at the item's 2x2 tables; a group may have no variance"),
    _ana("ANA007", _W, "decision statistics not estimable at the cut", "check that the cut lies inside the score range"),
    _ana("ANA008", _W, "item answered by fewer than min_n examinees", "read the item's statistics with care"),
    _ana("ANA009", _I, "examinees dropped by --omit exclude", "use --omit incorrect to score omits as wrong instead"),
    _ana("ANA010", _I, "examinees outside the DIF groups left out of DIF", "check --reference and --focal"),
    _ana("ANA011", _I, "true-score model of Livingston & Lewis fell back", "none needed; the fallback model is named in the message"),
    _ana("ANA012", _I, "DIF purification removed items from the matching score", "none needed; the removed items are listed"),
    _ana("FLAG001", _W, "all_omitted: nobody answered the item", "check that the item was delivered", _FLAGS),
    _ana("FLAG002", _W, "all_correct: everybody answered correctly (zero variance)", "review whether the item still measures anything", _FLAGS),
    _ana("FLAG003", _W, "all_incorrect: nobody answered correctly (zero variance; check the key)", "check the key", _FLAGS),
    _ana("FLAG004", _W, "low_p: p below p_low (very hard)", "check the key and the content with an item writer", _FLAGS),
    _ana("FLAG005", _W, "high_p: p above p_high (very easy)", "check for cues in the stem or options", _FLAGS),
    _ana("FLAG006", _W, "low_item_rest_r: item_rest_r below item_rest_r_low (weak discrimination)", "review the item's wording and distractors", _FLAGS),
    _ana("FLAG007", _W, "negative_item_rest_r: item_rest_r below item_rest_r_negative (check the key)", "check the key", _FLAGS),
    _ana("FLAG008", _W, "distractor_positive_pb: a distractor has a point-biserial above distractor_pb_max", "check the distractor: it may be a second right answer", _FLAGS),
    _ana("FLAG009", _I, "distractor_rarely_chosen: a distractor is chosen by fewer than distractor_min_proportion", "make the distractor more plausible at the next revision", _FLAGS),
    _ana("FLAG010", _W, "small_n: fewer than min_n examinees", "read the item's statistics with care", _FLAGS),
    _ana("FLAG011", _I, "dif_a: DIF category A (listed only if dif_flag_categories includes A)", "none needed: negligible DIF", _DIF),
    _ana("FLAG012", _W, "dif_b: DIF category B (listed only if dif_flag_categories includes B)", "review the item for group-specific content", _DIF),
    _ana("FLAG013", _W, "dif_c: DIF category C: large DIF, send to fairness review", "send the item to fairness review", _DIF),
)  # fmt: skip

FLAG_RULES: dict[str, str] = {r.summary.split(":", 1)[0]: r.id for r in RULES if r.family == "FLAG"}
"""Flag name (as in the ``flags`` column) -> rule id."""
