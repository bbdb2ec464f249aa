"""The whole ``analyze`` run: one function from a response file to every table.

:func:`analyze` reads the responses (:func:`cehrs_items.responses.read_codes`), scores
them against the key, makes ONE weighted pass over the response matrix to count
examinees by (DIF group, scored total, item, chosen option), and derives the item,
option, test, decision and DIF statistics from that table. Pretest items are analysed
against the scored-items total and are never part of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cehrs_items.analysis._common import check_omit
from cehrs_items.analysis.classical import (
    item_frame_from_moments,
    moments_from_table,
)
from cehrs_items.analysis.decision import (
    livingston_lewis,
    lord_csem,
    subkoviak,
)
from cehrs_items.analysis.dif import (
    FOCAL,
    OTHER,
    REFERENCE,
    frame_from_strata,
    strata_from_table,
)
from cehrs_items.analysis.dif_logistic import counts_from_table, logistic_from_counts
from cehrs_items.analysis.flags import RULES, Thresholds, item_flags
from cehrs_items.analysis.options import option_columns, option_frame_from_table
from cehrs_items.analysis.reliability import (
    block_statistics_from_counts,
    kr20_from_moments,
    kr21_from_distribution,
    split_half_from_moments,
    standard_error_of_measurement,
)
from cehrs_items.analysis.sufficient import (
    AnalysisCounts,
    CountPlan,
    count_chunk,
    count_partition,
    count_partitions,
    merge_all,
)
from cehrs_items.engine import DaskEngine, LocalEngine, make_engine
from cehrs_items.errors import DataError, EstimationError, InputError, warn_data
from cehrs_items.findings import Finding, sort_findings
from cehrs_items.forms import Form, read_form
from cehrs_items.partitions import (
    ChunkedSource,
    NotClean,
    ReadSpec,
    check_unique_ids,
    open_clean_parquet,
    rows_text,
)
from cehrs_items.responses import (
    ID_COLUMN,
    LETTERS,
    CodedResponses,
    ResponseSet,
    all_omitted_message,
    beyond_key_message,
    coded_from_response_set,
    key_letter_codes,
    read_codes,
    read_key,
    read_key_options,
)

ITEM_STATS_COLUMNS: dict[str, pl.DataType] = {
    "item_id": pl.String(),
    "role": pl.String(),
    "domain": pl.Int64(),
    "n": pl.Int64(),
    "n_omitted": pl.Int64(),
    "p_value": pl.Float64(),
    "item_total_r": pl.Float64(),
    "item_rest_r": pl.Float64(),
    "biserial": pl.Float64(),
    "alpha_if_deleted": pl.Float64(),
    "upper_lower_d": pl.Float64(),
    "flags": pl.String(),
}
"""Columns of ``item_stats`` in file order."""

Progress = Callable[[str], None]
DIF_METHODS = ("mh", "logistic")


@dataclass(frozen=True)
class AnalysisResult:
    """Everything ``analyze`` produces; the CLI only writes it out.

    ``item_stats``, ``option_stats`` and ``dif`` (None without a group) are sorted by
    item id (and option); ``test_stats`` is a JSON-ready dict (NaN as None);
    ``findings`` are data-quality notes, sorted.
    """

    item_stats: pl.DataFrame
    option_stats: pl.DataFrame
    test_stats: dict[str, Any]
    dif: pl.DataFrame | None
    findings: list[Finding] = field(default_factory=list)
    thresholds: Thresholds = field(default_factory=Thresholds)
    dif_logistic: pl.DataFrame | None = None
    counts: AnalysisCounts | None = None
    part_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Design:
    items: list[str] | None
    roles: dict[str, str]
    domains: dict[str, int]
    key: dict[str, str] | None
    form: Form | None = None


def _design(form: Form | str | Path | None, key: Mapping[str, str] | str | Path | None) -> _Design:
    form_obj = read_form(form) if isinstance(form, str | Path) else form
    key_map = dict(read_key(key)) if isinstance(key, str | Path) else (dict(key) if key else None)
    if key_map is not None:
        bad = {i: k for i, k in key_map.items() if str(k).upper() not in LETTERS}
        if bad:
            item, letter = next(iter(sorted(bad.items())))
            raise InputError(f"key: item {item}: {letter!r} is not a letter A-E")
        key_map = {i: str(k).upper() for i, k in key_map.items()}
    if form_obj is not None:
        items = form_obj.item_ids()
        roles = form_obj.roles
        domains = {p["item_id"]: int(p["domain"]) for p in form_obj.positions}
        merged = dict(form_obj.key)
        if key_map is not None:
            merged.update({i: k for i, k in key_map.items() if i in merged})
        return _Design(items=items, roles=roles, domains=domains, key=merged, form=form_obj)
    if key_map is not None:
        items = list(key_map)
        return _Design(items=items, roles={i: "scored" for i in items}, domains={}, key=key_map)
    return _Design(items=None, roles={}, domains={}, key=None)


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_nan_to_none(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def _finding(source: str, rule: str, message: str, hint: str = "") -> Finding:
    r = RULES[rule]
    return Finding(source, None, None, rule, r.severity, message, hint)


def analyze(
    responses: str | Path | ResponseSet | CodedResponses,
    *,
    key: Mapping[str, str] | str | Path | None = None,
    form: Form | str | Path | None = None,
    id_column: str = ID_COLUMN,
    weight_column: str | None = None,
    omit: str = "incorrect",
    group: str | None = None,
    reference: str | None = None,
    focal: str | None = None,
    raw_cut: float | None = None,
    conversion: str | Path | None = None,
    blueprint: str | Path | None = None,
    dif_purify: bool = False,
    dif_methods: Sequence[str] = ("mh",),
    thresholds: Thresholds | None = None,
    n_options: int | None = None,
    progress: Progress | None = None,
    engine: str | LocalEngine | DaskEngine = "local",
    scheduler: str | None = None,
    chunk_rows: int | None = None,
) -> AnalysisResult:
    """Classical item analysis, distractors, reliability, decisions at a cut and DIF.

    Parameters
    ----------
    responses
        A response file, Parquet directory or glob (``schemas/responses.md``), or
        responses already read.
    key
        ``item_id -> letter`` mapping or a key CSV (``item_id,key``); not needed for 0/1
        data. With ``form`` it overrides the form's keys (re-keying after review).
    form
        Form file or :class:`~cehrs_items.forms.Form`: its positions give the items,
        their roles (scored/pretest), domains and keys.
    id_column, weight_column
        Examinee id column; frequency-weight column (whole numbers).
    omit
        ``"incorrect"`` (operational scoring: an omit is wrong) or ``"exclude"`` (drop
        examinees with any omitted response among the analysed items).
    group, reference, focal
        DIF grouping column and the two values compared (all three or none).
    raw_cut
        Raw cut on the scored total for the decision statistics (pass: total >= raw_cut);
        an explicit value overrides ``conversion`` and ``blueprint``.
    conversion
        The form's raw-to-scale conversion (``cehrs-items scale``): the raw cut is its
        lowest passing raw score (checked against the JSON summary beside it).
    blueprint
        Blueprint YAML: its ``scale.raw_cut`` is the default raw cut for a base form (a
        form without ``anchor_form``); a form equated to another needs ``conversion``.
    dif_purify
        Two-stage purified matching total for DIF (Mantel-Haenszel).
    dif_methods
        DIF methods: ``"mh"`` (Mantel-Haenszel, ``dif``) and/or ``"logistic"``
        (logistic regression, ``dif_logistic``; matched on the scored total, the studied
        item included when scored, as R difR's default; a pretest item is matched on the
        scored total alone).
    thresholds
        Flag thresholds (:class:`~cehrs_items.analysis.flags.Thresholds`).
    n_options
        Options per item for the option table (default: highest option chosen or keyed).
    progress
        Called with a short message at each stage (the CLI prints them on stderr).
    engine, scheduler
        Where the counting runs (:mod:`cehrs_items.engine`): ``"local"`` (this process)
        or ``"dask"`` (Dask tasks on the cluster at ``scheduler``, by default a
        ``LocalCluster`` started here), or an engine object the caller owns.
    chunk_rows
        Rows per partition of a Parquet source (default
        :data:`~cehrs_items.partitions.DEFAULT_CHUNK_ROWS`). Parquet is always read in
        partitions, so memory is bounded by a partition, not by the number of examinees;
        CSV, long-format and in-memory responses are counted whole. Either way every
        statistic comes from the same mergeable counts
        (:mod:`cehrs_items.analysis.sufficient`), so the results do not depend on the
        partitioning or the engine.

    Returns
    -------
    AnalysisResult
        ``counts`` holds the merged sufficient statistics and ``part_names`` names the
        rows of ``counts.part_freq`` (domains, pretest block, odd/even halves).
    """
    t = thresholds or Thresholds()
    check_omit(omit)
    say = progress or (lambda _msg: None)
    if (group is None) != (reference is None) or (group is None) != (focal is None):
        raise InputError("DIF needs --group, --reference and --focal together")
    unknown = sorted(set(dif_methods) - set(DIF_METHODS))
    if unknown or not dif_methods:
        raise InputError(
            f"--dif-method {','.join(dif_methods)}: use one or both of {', '.join(DIF_METHODS)}"
        )
    if n_options is not None and not 1 <= n_options <= len(LETTERS):
        raise InputError(f"--n-options must be between 1 and {len(LETTERS)}")
    design = _design(form, key)
    declared: int | dict[str, int] | None = n_options
    if declared is None and isinstance(key, str | Path):
        declared = read_key_options(key) or None
    cut, cut_source = resolve_raw_cut(
        raw_cut=raw_cut, conversion=conversion, blueprint=blueprint, form=design.form
    )
    say("reading responses")
    src = _open(responses, design, id_column, weight_column, group, chunk_rows, declared)
    items, source = src.items, src.source
    roles = [design.roles.get(i, "scored") for i in items]
    in_total = np.array([r == "scored" for r in roles], dtype=bool)
    n_scored = int(in_total.sum())
    if n_scored == 0:
        raise DataError(f"{source}: no scored items (the form marks every item pretest)")
    if cut is not None and not (math.isfinite(cut) and 0 < cut <= n_scored):
        raise InputError(
            f"--raw-cut {cut:g} ({cut_source}) must be a raw score in (0, {n_scored}] "
            "(the scored items)"
        )
    key_code = _key_codes(src.kind, source, design, items)
    letters = src.kind == "letters"
    part_names, parts = _parts(items, roles, design.domains, in_total)
    plan = CountPlan(
        key_code=key_code,
        in_total=in_total,
        kind=src.kind,
        omit=omit,
        group=(group, str(reference), str(focal)) if group is not None else None,
        weight_where=f"{source}: column {weight_column}",
        parts=parts,
        hash_ids=src.chunked is not None,
        track_reads=src.chunked is not None,
        beyond_code=int(np.max(key_code)) if letters and declared is None and items else None,
    )
    findings: list[Finding] = []
    say("counting responses by score group")
    with make_engine(engine, scheduler) as runner:
        counts = src.count(plan, runner)
        _check_counts(counts, src, omit, source, findings)
        _read_warnings(counts, items, source, plan.beyond_code)
        table = counts.table
        if group is not None:
            _check_groups(counts, group, reference, focal, source)
        key_index = key_code.astype(np.int64) + 1
        purified = None
        if group is not None and dif_purify and "mh" in dif_methods:
            purified = _purify_recount(src, plan, table, key_index, in_total, items, t, runner)
    total_weight = counts.total_weight

    all_groups = table.sum(axis=0)
    key_index = key_code.astype(np.int64) + 1
    moments = moments_from_table(all_groups, key_index, in_total)
    core = item_frame_from_moments(moments, items, upper_lower_fraction=t.upper_lower_fraction)

    say("option statistics")
    if letters:
        options = _options(all_groups, key_index, items, n_options, t, source)
    else:
        options = pl.DataFrame(schema=option_columns(t.score_groups))
    positive, rare = _distractor_flags(options, items)

    dif_frame = None
    dif_info: dict[str, Any] | None = None
    logistic_frame = None
    if group is not None and "logistic" in dif_methods:
        say("logistic-regression DIF")
        logistic_frame = logistic_from_counts(*counts_from_table(table, key_index), items)
    if group is not None and "mh" in dif_methods:
        say("DIF")
        dif_frame, dif_info, dif_findings = _dif(
            table,
            purified,
            key_index,
            in_total,
            items,
            t,
            dif_purify,
            source,
            (group, reference, focal),
        )
        findings.extend(dif_findings)

    categories = None
    if dif_frame is not None:
        cat = dict(zip(dif_frame["item_id"], dif_frame["ets_category"], strict=True))
        categories = [cat.get(i) for i in items]
    flags = item_flags(
        n=moments.n,
        n_omitted=moments.n_omitted,
        p_value=moments.p,
        item_rest_r=core["item_rest_r"].to_numpy(),
        distractor_positive=positive,
        distractor_rare=rare,
        dif_category=categories,
        thresholds=t,
    )
    item_table = core.with_columns(
        pl.Series("role", roles, dtype=pl.String),
        pl.Series("domain", [design.domains.get(i) for i in items], dtype=pl.Int64),
        pl.Series("flags", flags, dtype=pl.String),
    ).select(list(ITEM_STATS_COLUMNS))
    findings.extend(_item_findings(item_table, t, source))

    say("test statistics")
    test = _test_stats(moments, core, in_total, total_weight, counts.n_rows, omit)
    test["split_half"] = _split_half(counts, part_names, n_scored)
    test["domains"] = _domain_stats(counts, part_names, moments.p, in_total, items, design.domains)
    pretest = ~in_total
    test["pretest"] = (
        block_statistics_from_counts(
            counts.part_freq[part_names.index("pretest")], moments.p[pretest]
        )
        if pretest.any()
        else None
    )
    if not math.isfinite(test["alpha"]):
        findings.append(
            _finding(
                source,
                "ANA005",
                f"reliability not defined ({n_scored} scored item(s), total-score variance "
                f"{moments.dist.var:.4g})",
                "KR-20 needs at least two scored items and examinees with different totals",
            )
        )
    if cut is not None:
        say("decision statistics")
        decision, decision_findings = _decision(moments, n_scored, float(cut), test, source)
        decision["raw_cut_source"] = cut_source
        test["decision"] = decision
        findings.extend(decision_findings)
    if dif_info is not None:
        test["dif"] = dif_info
    if logistic_frame is not None:
        test["dif_logistic"] = {
            "group": group,
            "reference": reference,
            "focal": focal,
            "matching": "scored total (a scored item is part of its own matching score)",
            "categories": {
                c: int((logistic_frame["category"] == c).sum()) for c in ("A", "B", "C")
            },
            "rule": "Jodoin & Gierl (2001): A if p_total >= .05 or r2_delta < .035; "
            "C if r2_delta >= .070; B otherwise",
        }
    test["thresholds"] = t.to_dict()
    test["n_options"] = n_options
    return AnalysisResult(
        item_stats=item_table.sort("item_id"),
        option_stats=options.sort(["item_id", "option"]),
        test_stats=_nan_to_none(test),
        dif=dif_frame.sort("item_id") if dif_frame is not None else None,
        findings=sort_findings(findings),
        thresholds=t,
        dif_logistic=logistic_frame.sort("item_id") if logistic_frame is not None else None,
        counts=counts,
        part_names=part_names,
    )


def resolve_raw_cut(
    *,
    raw_cut: float | None = None,
    conversion: str | Path | None = None,
    blueprint: str | Path | None = None,
    form: Form | None = None,
) -> tuple[float | None, str | None]:
    """The raw cut of the decision statistics and where it came from.

    In order: an explicit ``raw_cut``; the lowest passing raw score of the form's
    ``conversion`` table; the blueprint's ``scale.raw_cut`` for a base form. A form
    equated to another (``anchor_form`` set) gets no blueprint default: its raw cut is
    the conversion's, so the base form's cut is never applied to it by mistake.
    """
    if raw_cut is not None:
        return float(raw_cut), "given (--raw-cut)"
    if conversion is not None:
        from cehrs_items.scaling import read_conversion_raw_cut

        cut, where = read_conversion_raw_cut(conversion)
        return float(cut), where
    if blueprint is not None:
        from cehrs_items.blueprint import load_blueprint

        bp = load_blueprint(blueprint)
        anchor_form = form.data.get("anchor_form") if form is not None else None
        if anchor_form:
            raise InputError(
                f"form {form.form_id} is equated to {anchor_form}: the blueprint's raw cut is "
                f"the base form's; give --conversion (from `cehrs-items scale`) or --raw-cut"
            )
        return float(bp.scale.raw_cut), f"blueprint {bp.id} scale.raw_cut (base form)"
    return None, None


def _domain_stats(
    counts: AnalysisCounts,
    part_names: tuple[str, ...],
    p: np.ndarray,
    in_total: np.ndarray,
    items: list[str],
    domains: Mapping[str, int],
) -> list[dict[str, Any]]:
    """Block statistics of each domain's scored items (sorted by domain), from the part
    totals' frequencies and the items' proportions correct."""
    if not domains:
        return []
    dom = np.array([domains.get(i, -1) for i in items])
    out = []
    for d in sorted({int(v) for v in dom[in_total] if v >= 0}):
        cols = in_total & (dom == d)
        freq = counts.part_freq[part_names.index(f"domain_{d}")]
        out.append({"domain": d, **block_statistics_from_counts(freq, p[cols])})
    return out


def _split_half(
    counts: AnalysisCounts, part_names: tuple[str, ...], n_scored: int
) -> dict[str, float]:
    """Odd-even split half from the two half totals' frequencies and cross-product."""
    io, ie = part_names.index("odd"), part_names.index("even")
    freq = counts.part_freq[[io, ie]]
    total_w = float(freq[0].sum())
    if total_w <= 0:
        return split_half_from_moments(n_scored, 0.0, np.zeros(2), np.zeros((2, 2)))
    values = np.arange(freq.shape[1], dtype=np.float64)
    mean = freq @ values / total_w
    second = freq @ values**2 / total_w
    cov = np.empty((2, 2))
    cov[0, 0], cov[1, 1] = second - mean**2
    cov[0, 1] = cov[1, 0] = counts.part_cross[io, ie] / total_w - mean[0] * mean[1]
    return split_half_from_moments(n_scored, total_w, mean, cov)


@dataclass
class _Source:
    """The responses to count: in memory (one chunk) or clean Parquet partitions (many).

    ``reopen`` reads the whole source instead; it is used when a partition turns out not
    to be clean (:class:`~cehrs_items.partitions.NotClean`), so that such data get the
    whole-file reader's normalisation, errors and warnings.
    """

    source: str
    items: list[str]
    kind: str
    coded: CodedResponses | None = None
    chunked: ChunkedSource | None = None
    spec: ReadSpec | None = None
    reopen: Callable[[], _Source] | None = None

    def count(self, plan: CountPlan, runner) -> AnalysisCounts:
        """The merged counts of every row; repeated examinee ids are an error."""
        if self.chunked is not None and self.spec is not None:
            try:
                counts = merge_all(plan, _count_partitions(runner, self.chunked, self.spec, plan))
            except NotClean:
                self._read_whole()
            else:
                if counts.id_hashes is not None:
                    check_unique_ids(counts.id_hashes, self.chunked, self.spec.id_column)
                return counts
        if self.coded is None:
            raise DataError(f"{self.source}: no responses read")
        whole = replace(plan, hash_ids=False, track_reads=False)
        return merge_all(whole, [count_chunk(self.coded, whole)])

    def _read_whole(self) -> None:
        if self.reopen is None:
            raise DataError(f"{self.source}: responses need the whole-file reader")
        whole = self.reopen()
        if whole.kind != self.kind:
            raise DataError(
                f"{self.source}: item columns mix option letters and 0/1 scores; use one kind"
            )
        self.coded, self.chunked, self.spec = whole.coded, None, None


def _count_partitions(runner, chunked: ChunkedSource, spec: ReadSpec, plan: CountPlan):
    """Each partition's counts, in order: read ahead on a background thread in this
    process (local engine), or one task per partition on the engine."""
    if isinstance(runner, LocalEngine):
        return count_partitions(chunked.partitions, spec=spec, plan=plan)
    return runner.map(count_partition, chunked.partitions, spec=spec, plan=plan)


def _open_chunked(
    responses: str | Path,
    design: _Design,
    id_column: str,
    weight_column: str | None,
    group: str | None,
    chunk_rows: int | None,
    n_options: int | dict[str, int] | None,
) -> _Source | None:
    """Clean Parquet in partitions (None: read it whole), after the file-level checks."""
    extra = [group] if group is not None else []
    opened = open_clean_parquet(
        responses,
        items=design.items,
        id_column=id_column,
        weight_column=weight_column,
        extra_columns=extra,
        chunk_rows=chunk_rows,
        n_options=n_options,
    )
    if opened is None:
        return None
    chunked, spec, kind = opened
    return _Source(
        source=spec.source, items=list(spec.items), kind=kind, chunked=chunked, spec=spec
    )


def _open(
    responses: str | Path | ResponseSet | CodedResponses,
    design: _Design,
    id_column: str,
    weight_column: str | None,
    group: str | None,
    chunk_rows: int | None,
    n_options: int | dict[str, int] | None = None,
    partitioned: bool = True,
) -> _Source:
    """Open the responses: clean Parquet in partitions, anything else read whole."""
    extra = [group] if group is not None else []
    if partitioned and isinstance(responses, str | Path):
        chunked = _open_chunked(
            responses, design, id_column, weight_column, group, chunk_rows, n_options
        )
        if chunked is not None:
            chunked.reopen = lambda: _open(
                str(responses), design, id_column, weight_column, group, None, n_options, False
            )
            return chunked
    if isinstance(responses, CodedResponses):
        coded = responses
    elif isinstance(responses, ResponseSet):
        coded = coded_from_response_set(responses, design.items)
    else:
        coded = read_codes(
            responses,
            id_column=id_column,
            items=design.items,
            weight_column=weight_column,
            extra_columns=extra,
            n_options=n_options,
        )
    items = list(coded.item_ids)
    codes = coded.codes
    if design.items is not None:
        absent = [i for i in design.items if i not in items]
        if absent:
            raise DataError(
                f"{coded.source}: {len(absent)} item column(s) missing: {', '.join(absent[:5])}"
            )
        index = [items.index(i) for i in design.items]
        if index != list(range(len(items))):
            codes = codes[:, index]
        items = list(design.items)
    if group is not None and group not in coded.extra.columns:
        raise DataError(f"{coded.source}: group column {group!r} missing")
    coded = replace(coded, codes=codes, item_ids=tuple(items))
    return _Source(source=coded.source, items=items, kind=coded.kind, coded=coded)


def _key_codes(kind: str, source: str, design: _Design, items: list[str]) -> np.ndarray:
    """The keyed code of each item (the letter's code; 1 for 0/1 data)."""
    if kind != "letters":
        return np.ones(len(items), dtype=np.int8)
    return key_letter_codes(design.key, items, source)


def _parts(
    items: list[str], roles: list[str], domains: Mapping[str, int], in_total: np.ndarray
) -> tuple[tuple[str, ...], np.ndarray]:
    """Item sets whose totals are tabulated: each domain's scored items, the pretest block,
    and the odd and even scored items in form order (split halves)."""
    names: list[str] = []
    rows: list[np.ndarray] = []
    for d in sorted({domains[i] for i in items if i in domains}):
        names.append(f"domain_{d}")
        rows.append(np.array([domains.get(i) == d for i in items]) & in_total)
    pretest = np.array([r == "pretest" for r in roles], dtype=bool)
    if pretest.any():
        names.append("pretest")
        rows.append(pretest)
    order = np.cumsum(in_total)  # 1-based rank among the scored items
    names += ["odd", "even"]
    rows += [in_total & (order % 2 == 1), in_total & (order % 2 == 0)]
    return tuple(names), np.array(rows, dtype=bool).reshape(len(names), len(items))


def _check_counts(
    counts: AnalysisCounts, src: _Source, omit: str, source: str, findings: list[Finding]
) -> None:
    """Findings and errors that need every row: examinees dropped, no weight left."""
    dropped = counts.n_read - counts.n_rows
    if omit == "exclude" and dropped:
        findings.append(
            _finding(
                source,
                "ANA009",
                f"{dropped} of {counts.n_read} examinees dropped: they omitted at least one item",
                "use --omit incorrect to score omits as wrong instead",
            )
        )
    if counts.n_rows == 0:
        raise DataError(f"{source}: no examinee answered every item; --omit exclude leaves none")
    if counts.total_weight <= 0:
        raise DataError(f"{source}: no examinees (all frequency weights are 0)")


def _read_warnings(counts: AnalysisCounts, items: list[str], source: str, top: int | None) -> None:
    """Data warnings from what the chunk kernels recorded: examinees who omitted every
    item (chunked reads; the whole-file reader warns itself) and letters beyond the
    highest keyed option (both paths), worded as the whole-file reader words them."""
    n_empty, rows = counts.all_omitted
    if n_empty:
        warn_data(all_omitted_message(source, n_empty, rows_text(rows)))
    n_bad, cols, first = counts.beyond
    if top is not None and n_bad and cols is not None and first is not None:
        row, j, code = first
        warn_data(beyond_key_message(source, n_bad, int(cols.sum()), top, row, items[j], code))


def _check_groups(
    counts: AnalysisCounts, group: str, reference: object, focal: object, source: str
) -> None:
    """Both DIF groups must have examinees (checked on the merged counts)."""
    where = f"{source}: column {group}"
    ref, foc = str(reference), str(focal)
    if ref == foc:
        raise InputError(f"{where}: reference and focal group are both {ref!r}")
    found = sorted(counts.group_values)
    for label in (ref, foc):
        if label not in counts.group_values:
            shown = ", ".join(found[:8]) + (" ..." if len(found) > 8 else "")
            raise DataError(f"{where}: no examinee has group value {label!r} (found: {shown})")


def _purify_recount(
    src: _Source,
    plan: CountPlan,
    table: np.ndarray,
    key_index: np.ndarray,
    in_total: np.ndarray,
    items: list[str],
    t: Thresholds,
    runner,
) -> tuple[list[str], np.ndarray | None]:
    """Stage two of purified DIF: items flagged at stage one leave the matching total,
    and the 0/1 scores are counted again by the purified total (a second pass)."""
    frame = frame_from_strata(strata_from_table(table, key_index, in_total), items)
    cats = frame.get_column("ets_category").to_list()
    flagged = (
        np.array([c is not None and c in t.purify_categories for c in cats], dtype=bool) & in_total
    )
    removed = [i for i, f in zip(items, flagged, strict=True) if f]
    if not removed:
        return removed, None
    matching = in_total & ~flagged
    second = replace(
        plan,
        in_total=matching,
        score_only=True,
        parts=None,
        item_cross=False,
        hash_ids=False,
        track_reads=False,
        beyond_code=None,
    )
    return removed, src.count(second, runner).table


def _options(
    table: np.ndarray,
    key_index: np.ndarray,
    items: list[str],
    n_options: int | None,
    t: Thresholds,
    source: str,
) -> pl.DataFrame:
    """The option table; options run from A to the highest chosen or keyed (or n_options)."""
    n_codes = table.shape[2] - 1
    chosen = table.sum(axis=0)[:, 1:] > 0  # (k, n_codes)
    highest = np.where(chosen.any(axis=1), n_codes - np.argmax(chosen[:, ::-1], axis=1), 0)
    if n_options is not None:
        beyond = highest > n_options
        if beyond.any():
            j = int(np.argmax(beyond))
            raise DataError(
                f"{source}: item {items[j]} has option {LETTERS[highest[j] - 1]} beyond "
                f"--n-options {n_options}"
            )
        highest = np.full(len(items), n_options)
    per_item = np.maximum(highest, key_index)
    return option_frame_from_table(table, key_index, per_item, items, thresholds=t)


def _distractor_flags(options: pl.DataFrame, items: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per item: has a distractor with a positive point-biserial / a rarely chosen one."""
    positive = np.zeros(len(items), dtype=bool)
    rare = np.zeros(len(items), dtype=bool)
    if options.height:
        per = options.group_by("item_id").agg(
            pl.col("flags").str.contains("distractor_positive_pb").any().alias("pos"),
            pl.col("flags").str.contains("distractor_rarely_chosen").any().alias("rare"),
        )
        lookup = {r["item_id"]: (r["pos"], r["rare"]) for r in per.iter_rows(named=True)}
        for j, item in enumerate(items):
            positive[j], rare[j] = lookup.get(item, (False, False))
    return positive, rare


def _item_findings(item_table: pl.DataFrame, t: Thresholds, source: str) -> list[Finding]:
    out = []
    for row in item_table.iter_rows(named=True):
        flags = set(filter(None, (row["flags"] or "").split(";")))
        item = row["item_id"]
        if "all_omitted" in flags:
            out.append(_finding(source, "ANA004", f"item {item}: omitted by every examinee"))
        if "all_correct" in flags or "all_incorrect" in flags:
            what = "everybody" if "all_correct" in flags else "nobody"
            out.append(
                _finding(
                    source,
                    "ANA003",
                    f"item {item}: {what} answered correctly; its correlations are NaN",
                    "check the key" if what == "nobody" else "",
                )
            )
        if "small_n" in flags:
            out.append(
                _finding(
                    source,
                    "ANA008",
                    f"item {item}: {row['n']} examinees (< min_n {t.min_n}); statistics unstable",
                )
            )
    return out


def _test_stats(
    moments, core: pl.DataFrame, in_total: np.ndarray, total_weight: float, n_rows: int, omit: str
) -> dict[str, Any]:
    dist = moments.dist
    present = np.nonzero(dist.freq > 0)[0]
    var = dist.var
    sd = math.sqrt(var) if var >= 0 else math.nan
    m3, m4 = dist.central_moment(3), dist.central_moment(4)
    skew = m3 / var**1.5 if var > 0 else math.nan
    kurt = m4 / var**2 - 3.0 if var > 0 else math.nan
    alpha = kr20_from_moments(moments)
    n_scored = int(in_total.sum())
    rest = core["item_rest_r"].to_numpy()[in_total]
    rest = rest[np.isfinite(rest)]
    freq = dist.freq
    return {
        "n_examinees": int(round(total_weight)),
        "n_rows": int(n_rows),
        "n_items": n_scored,
        "n_pretest": int((~in_total).sum()),
        "omit": omit,
        "mean": dist.mean,
        "sd": sd,
        "min": int(present.min()) if present.size else None,
        "max": int(present.max()) if present.size else None,
        "skewness": skew,
        "kurtosis": kurt,
        "alpha": alpha,
        "kr21": kr21_from_distribution(dist, n_scored),
        "sem": standard_error_of_measurement(sd, alpha),
        "mean_p": float(moments.p[in_total].mean()),
        "mean_item_rest_r": float(rest.mean()) if rest.size else math.nan,
        "score_distribution": {
            "score": list(range(freq.shape[0])),
            "freq": [int(round(f)) for f in freq],
        },
    }


def _decision(
    moments, n_items: int, cut: float, test: dict[str, Any], source: str
) -> tuple[dict[str, Any], list[Finding]]:
    dist = moments.dist
    scores = np.arange(dist.freq.shape[0], dtype=np.float64)
    freq = dist.freq
    findings: list[Finding] = []
    out: dict[str, Any] = {
        "raw_cut": cut,
        "pass_rate": float(freq[scores >= cut - 1e-9].sum() / dist.n),
        "csem_at_cut": lord_csem(cut, n_items),
        "reliability": test["alpha"],
    }
    keys = (
        "effective_test_length",
        "n_effective",
        "true_score_model",
        "true_score_alpha",
        "true_score_beta",
        "true_score_lower",
        "true_score_upper",
        "true_score_mean",
        "true_score_variance",
        "accuracy",
        "false_positive",
        "false_negative",
        "consistency_agreement",
        "consistency_chance",
        "consistency_kappa",
    )
    try:
        ll = livingston_lewis(
            scores, weights=freq, reliability=test["alpha"], cut=cut, max_score=n_items
        )
        out.update(ll.to_dict())
        if ll.true_score.model != "beta4":
            findings.append(
                _finding(
                    source,
                    "ANA011",
                    f"Livingston-Lewis: the four-parameter beta fit left [0, 1]; used "
                    f"{ll.true_score.model}",
                )
            )
    except EstimationError as exc:
        out.update(dict.fromkeys(keys))
        findings.append(_finding(source, "ANA007", f"Livingston-Lewis at cut {cut:g}: {exc}"))
    try:
        sk = subkoviak(scores, weights=freq, n_items=n_items, cut=cut, reliability=test["kr21"])
        out.update(sk.to_dict())
    except EstimationError as exc:
        out.update(
            dict.fromkeys(
                (
                    "subkoviak_agreement",
                    "subkoviak_chance",
                    "subkoviak_kappa",
                    "subkoviak_reliability",
                )
            )
        )
        findings.append(_finding(source, "ANA007", f"Subkoviak at cut {cut:g}: {exc}"))
    return out, findings


def _dif(
    table: np.ndarray,
    purified: tuple[list[str], np.ndarray | None] | None,
    key_index: np.ndarray,
    in_total: np.ndarray,
    items: list[str],
    t: Thresholds,
    purify: bool,
    source: str,
    groups: tuple[str, str, str],
) -> tuple[pl.DataFrame, dict[str, Any], list[Finding]]:
    group, reference, focal = groups
    findings: list[Finding] = []
    group_n = table[:, :, 0, :].sum(axis=(1, 2))
    n_ref, n_foc, n_other = (int(round(group_n[g])) for g in (REFERENCE, FOCAL, OTHER))
    if n_foc < t.min_focal:
        findings.append(
            _finding(
                source,
                "ANA001",
                f"DIF focal group {group}={focal!r} has {n_foc} examinees (< min_focal "
                f"{t.min_focal}); MH statistics are unstable",
                "interpret DIF with caution or pool administrations",
            )
        )
    if n_ref < t.min_reference:
        findings.append(
            _finding(
                source,
                "ANA002",
                f"DIF reference group {group}={reference!r} has {n_ref} examinees (< "
                f"min_reference {t.min_reference})",
            )
        )
    if n_other:
        findings.append(
            _finding(
                source,
                "ANA010",
                f"{n_other} examinees are in neither DIF group ({group} not {reference!r} or "
                f"{focal!r}); left out of DIF",
            )
        )
    frame = frame_from_strata(strata_from_table(table, key_index, in_total), items)
    removed: list[str] = []
    if purify and purified is not None:
        removed, purified_table = purified
        if purified_table is not None:
            matching = in_total & ~np.isin(np.array(items), removed)
            strata = strata_from_table(purified_table, np.full(len(items), 2), matching)
            frame = frame_from_strata(strata, items)
            findings.append(
                _finding(
                    source,
                    "ANA012",
                    f"DIF purification removed {len(removed)} item(s) from the matching score: "
                    f"{', '.join(sorted(removed)[:10])}{' ...' if len(removed) > 10 else ''}",
                )
            )
    for row in frame.iter_rows(named=True):
        if row["ets_category"] is None:
            findings.append(
                _finding(
                    source,
                    "ANA006",
                    f"item {row['item_id']}: MH DIF not estimable (odds ratio "
                    f"{row['alpha_mh']}); no ETS category",
                    "usually an item (nearly) everybody or nobody answers correctly",
                )
            )
    info = {
        "group": group,
        "reference": reference,
        "focal": focal,
        "n_reference": n_ref,
        "n_focal": n_foc,
        "n_other": n_other,
        "purified": purify,
        "purify_categories": t.purify_categories if purify else None,
        "removed_from_matching": sorted(removed),
        "matching": (
            "scored total; a pretest or purified-out item adds its own score"
            if not removed
            else "purified scored total; a removed or pretest item adds its own score"
        ),
    }
    return frame, info, findings
