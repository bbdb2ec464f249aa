"""The output tables' columns, declared once: name, dtype and meaning of every column.

Beside :mod:`cehrs_items.contracts` (the JSON contracts: items, blueprint, forms), this
module is the contract of the tables the commands write (CSV or Parquet): one
:class:`Table` per kind of table, its columns in the order they are written. A column
family (one column per domain, per score group, per equating method, per item) is one
:class:`Column` with a ``pattern``. Writers take their dtypes from here
(:func:`table_schema`), the tests check the tables written by a demo run and by the
commands that write tables outside it against it (:meth:`Table.problems`), and
``docs/tables.md`` is generated from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Column:
    """One column, or with ``pattern`` a family of columns whose names match it."""

    name: str
    dtype: pl.DataType
    meaning: str
    pattern: str | None = None
    optional: bool = False

    def matches(self, name: str) -> bool:
        if self.pattern is None:
            return name == self.name
        return re.fullmatch(self.pattern, name) is not None


@dataclass(frozen=True)
class Table:
    """A kind of output table: where it is written and by what, what one row is, and its
    columns in the order they are written."""

    name: str
    files: str
    writer: str
    row: str
    columns: tuple[Column, ...]

    def schema(self) -> dict[str, pl.DataType]:
        """Names and dtypes of the table's fixed (not optional, not family) columns."""
        return {c.name: c.dtype for c in self.columns if c.pattern is None and not c.optional}

    def resolve(self, names: Sequence[str]) -> tuple[dict[str, pl.DataType], list[str]]:
        """The declared dtype of each of ``names`` (a written header), and the problems:
        an undeclared column, a missing required one, or columns out of declared order."""
        schema: dict[str, pl.DataType] = {}
        problems: list[str] = []
        position = 0
        seen: set[int] = set()
        for name in names:
            for index in range(position, len(self.columns)):
                if self.columns[index].matches(name):
                    break
            else:
                declared = any(c.matches(name) for c in self.columns)
                problems.append(
                    f"{self.name}: column {name!r} "
                    + ("out of the declared order" if declared else "is not declared")
                )
                continue
            position = index if self.columns[index].pattern is not None else index + 1
            seen.add(index)
            schema[name] = self.columns[index].dtype
        for index, column in enumerate(self.columns):
            required = not column.optional and column.pattern is None
            if required and index not in seen and column.name not in names:
                problems.append(f"{self.name}: column {column.name!r} missing")
        return schema, problems

    def problems(self, frame: pl.DataFrame) -> list[str]:
        """How ``frame`` departs from the declaration (names, order, dtypes); [] if not."""
        schema, problems = self.resolve(frame.columns)
        for name, dtype in schema.items():
            got = frame.schema[name]
            if got != dtype and got != pl.Null:
                problems.append(f"{self.name}: column {name!r} is {got}, declared {dtype}")
        return problems


_S, _I, _F, _B = pl.String(), pl.Int64(), pl.Float64(), pl.Boolean()
_METHOD = r"[a-z][a-z_]*"
"""A method name as a column suffix (``levine_observed``)."""

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "item_stats",
            "analysis/<form>/item_stats.csv",
            "analyze",
            "scored or pretest item of the form",
            (
                Column("item_id", _S, "item id"),
                Column("role", _S, "scored or pretest"),
                Column("domain", _I, "blueprint domain number"),
                Column("n", _I, "examinees used"),
                Column("n_omitted", _I, "omitted responses (scored 0 under --omit incorrect)"),
                Column("p_value", _F, "item difficulty: proportion correct"),
                Column("item_total_r", _F, "point-biserial with the scored total"),
                Column("item_rest_r", _F, "point-biserial with the total without the item"),
                Column("biserial", _F, "biserial correlation with the total"),
                Column("alpha_if_deleted", _F, "KR-20 of the scored items without this item"),
                Column(
                    "upper_lower_d",
                    _F,
                    "p in the upper minus p in the lower group (upper_lower_fraction)",
                ),
                Column("flags", _S, "review flags, ';'-separated (docs/analysis.md)"),
            ),
        ),
        Table(
            "option_stats",
            "analysis/<form>/option_stats.csv",
            "analyze",
            "option of one item",
            (
                Column("item_id", _S, "item id"),
                Column("option", _S, "option letter, or 'omit'"),
                Column("is_key", _B, "whether the option is the key"),
                Column("n", _I, "examinees who chose it"),
                Column("proportion", _F, "share of examinees who chose it"),
                Column("point_biserial", _F, "correlation of choosing it with the scored total"),
                Column(
                    "biserial", _F, "option biserial (point-biserial in the latent-normal metric)"
                ),
                Column("mean_score_of_choosers", _F, "mean scored total of its choosers"),
                Column(
                    "proportion_q<k>",
                    _F,
                    "share of score group k (lowest first) choosing it",
                    pattern=r"proportion_q[0-9]+",
                ),
                Column("flags", _S, "option flags, ';'-separated"),
            ),
        ),
        Table(
            "dif",
            "analysis/<form>/dif.csv",
            "analyze --group",
            "scored item",
            (
                Column("item_id", _S, "item id"),
                Column("n_reference", _I, "reference-group examinees"),
                Column("n_focal", _I, "focal-group examinees"),
                Column("n_strata", _I, "score strata used"),
                Column("alpha_mh", _F, "Mantel-Haenszel common odds ratio"),
                Column("delta_mh", _F, "-2.35 ln alpha_mh (ETS delta scale)"),
                Column("se_delta_mh", _F, "standard error of delta_mh"),
                Column("delta_mh_ci_low", _F, "lower end of the 95% interval of delta_mh"),
                Column("delta_mh_ci_high", _F, "upper end of the 95% interval of delta_mh"),
                Column("chi_square_mh", _F, "MH chi-square (continuity corrected)"),
                Column("p_value", _F, "p of the MH chi-square"),
                Column("ets_category", _S, "ETS category A, B or C"),
                Column("direction", _S, "favors_reference, favors_focal or none"),
                Column("std_p_dif", _F, "standardization index STD P-DIF, focal minus reference"),
            ),
        ),
        Table(
            "dif_logistic",
            "analysis/<form>/dif_logistic.csv",
            "analyze --dif-method logistic",
            "scored item",
            (
                Column("item_id", _S, "item id"),
                Column("n", _I, "examinees in either group"),
                Column("chi2_uniform", _F, "likelihood-ratio chi-square, group term"),
                Column("p_uniform", _F, "p of chi2_uniform"),
                Column("chi2_nonuniform", _F, "likelihood-ratio chi-square, interaction term"),
                Column("p_nonuniform", _F, "p of chi2_nonuniform"),
                Column("chi2_total", _F, "likelihood-ratio chi-square, both terms"),
                Column("p_total", _F, "p of chi2_total"),
                Column("r2_delta", _F, "Nagelkerke R2 gain of the full model"),
                Column("category", _S, "Jodoin-Gierl category A, B or C"),
            ),
        ),
        Table(
            "item_params",
            "calibration/<form>_params.csv",
            "calibrate",
            "calibrated or anchor item",
            (
                Column("item_id", _S, "item id"),
                Column("model", _S, "IRT model (rasch, 1pl, 2pl, 3pl)"),
                Column("a", _F, "discrimination"),
                Column("b", _F, "difficulty"),
                Column("c", _F, "lower asymptote (guessing)"),
                Column("d", _F, "scaling constant D"),
                Column("se_a", _F, "standard error of a"),
                Column("se_b", _F, "standard error of b"),
                Column("se_c", _F, "standard error of c"),
                Column("n", _I, "examinees who answered the item"),
                Column("sx2", _F, "Orlando-Thissen S-X2 item fit"),
                Column("sx2_df", _F, "degrees of freedom of sx2"),
                Column("sx2_p", _F, "p of sx2"),
                Column("warnings", _S, "calibration warnings, ';'-separated"),
                Column("fixed", _B, "held at its anchor value"),
                Column("slope", _F, "slope-intercept form: d times a"),
                Column("intercept", _F, "slope-intercept form: minus d times b"),
                Column("se_slope", _F, "standard error of slope"),
                Column("se_intercept", _F, "standard error of intercept"),
                Column("theta_mean", _F, "mean of the calibration's ability distribution"),
                Column("theta_sd", _F, "SD of the calibration's ability distribution"),
            ),
        ),
        Table(
            "bank_params",
            "calibration/bank_params.csv",
            "bank params",
            "bank item with parameters",
            (
                Column("item_id", _S, "item id"),
                Column("a", _F, "discrimination"),
                Column("b", _F, "difficulty"),
                Column("c", _F, "lower asymptote (0 where the bank has none)"),
                Column("d", _F, "scaling constant D (1 where the bank has none)"),
                Column("se_a", _F, "standard error of a"),
                Column("se_b", _F, "standard error of b"),
                Column("se_c", _F, "standard error of c"),
            ),
        ),
        Table(
            "equating",
            "equating/<x>_to_<y>.csv",
            "equate",
            "Form X raw score",
            (
                Column("score", _I, "Form X raw score"),
                Column("equated", _F, "Form Y equivalent"),
                Column("se", _F, "standard error of equated"),
                Column("theta_x", _F, "theta of the true score (IRT true-score)", optional=True),
            ),
        ),
        Table(
            "equating_compare",
            "equating/compare.csv",
            "equate --compare",
            "Form X raw score",
            (
                Column("score", _I, "Form X raw score"),
                Column(
                    "equated_<method>",
                    _F,
                    "Form Y equivalent by a method",
                    pattern=f"equated_{_METHOD}",
                ),
                Column(
                    "diff_<method>",
                    _F,
                    "equated by a method minus by the first method",
                    pattern=f"diff_{_METHOD}",
                ),
                Column("se_<method>", _F, "standard error by a method", pattern=f"se_{_METHOD}"),
            ),
        ),
        Table(
            "conversion",
            "conversion/<form>.csv",
            "scale",
            "Form X raw score",
            (
                Column("raw_score", _I, "Form X raw score"),
                Column("equated", _F, "Form Y equivalent"),
                Column("scaled", _I, "reported scaled score"),
                Column("pass", _B, "whether the score passes"),
                Column("csem_scaled", _F, "conditional SEM on the scaled score", optional=True),
            ),
        ),
        Table(
            "scores",
            "scores/<form>.csv",
            "score",
            "examinee",
            (
                Column("examinee_id", _S, "examinee id"),
                Column("raw", _I, "number-correct score"),
                Column("scaled", _I, "scaled score"),
                Column("pass", _B, "whether the examinee passes"),
                Column(
                    "domain_<n>_raw",
                    _I,
                    "number correct in blueprint domain n",
                    pattern=r"domain_[0-9]+_raw",
                ),
            ),
        ),
        Table(
            "simulation_items",
            "responses/<form>_items.csv",
            "simulate responses",
            "item position of the simulated form",
            (
                Column("item_id", _S, "item id"),
                Column("position", _I, "position on the form"),
                Column("role", _S, "scored or pretest"),
                Column("key", _S, "key letter"),
                Column("n_options", _I, "number of options"),
                Column("a", _F, "generating discrimination"),
                Column("b", _F, "generating difficulty (DIF shift not included)"),
                Column("c", _F, "generating lower asymptote"),
                Column("d", _F, "scaling constant D"),
                Column("irt_model", _S, "generating model"),
                Column("dif_shift", _F, "b shift for the focal group"),
                Column("p_model", _F, "model proportion correct in the simulated group"),
                Column(
                    "w_<letter>",
                    _F,
                    "distractor weight (empty for the key and absent options)",
                    pattern=r"w_[A-Z]",
                ),
            ),
        ),
        Table(
            "responses",
            "responses/<form>.csv",
            "simulate responses",
            "examinee",
            (
                Column("examinee_id", _S, "examinee id"),
                Column("group", _S, "DIF group of the examinee", optional=True),
                Column(
                    "<item_id>",
                    _S,
                    "the option letter chosen (empty: omitted)",
                    pattern=r"[A-Z]{2}-[0-9]{4}",
                ),
            ),
        ),
        Table(
            "ratings",
            "standard/ratings.csv",
            "demo",
            "judge's rating of one item in one round",
            (
                Column("judge_id", _S, "judge id"),
                Column("item_id", _S, "item id"),
                Column("round", _I, "round number"),
                Column(
                    "rating", _F, "Angoff rating: chance a minimally competent candidate is right"
                ),
            ),
        ),
        Table(
            "angoff_judges",
            "standard/angoff/judges.csv",
            "standard-setting angoff",
            "judge in one round",
            (
                Column("round", _I, "round number"),
                Column("judge_id", _S, "judge id"),
                Column("n_items", _I, "items rated"),
                Column("cut", _F, "the judge's raw cut (sum of ratings)"),
                Column("cut_percent", _F, "cut as a percentage of the items"),
                Column("change", _F, "change of cut since the previous round"),
                Column("z", _F, "standardised cut within the round"),
                Column("r_p_value", _F, "correlation of ratings with empirical p-values"),
                Column("theta_cut", _F, "theta at which the true score equals cut"),
                Column("flags", _S, "judge flags, ';'-separated"),
            ),
        ),
        Table(
            "angoff_items",
            "standard/angoff/items.csv",
            "standard-setting angoff",
            "item in one round",
            (
                Column("round", _I, "round number"),
                Column("item_id", _S, "item id"),
                Column("n_judges", _I, "judges who rated it"),
                Column("mean_rating", _F, "mean rating"),
                Column("sd_rating", _F, "SD of the ratings"),
                Column("min_rating", _F, "lowest rating"),
                Column("max_rating", _F, "highest rating"),
                Column("p_value", _F, "empirical proportion correct"),
                Column("gap", _F, "mean rating minus p_value"),
                Column("flags", _S, "item flags, ';'-separated"),
            ),
        ),
        Table(
            "angoff_rounds",
            "standard/angoff/rounds.csv",
            "standard-setting angoff",
            "round",
            (
                Column("round", _I, "round number"),
                Column("n_judges", _I, "judges"),
                Column("n_items", _I, "items"),
                Column("cut_mean", _F, "panel mean cut (the recommended raw cut)"),
                Column("cut_median", _F, "panel median cut"),
                Column("cut_sd", _F, "SD of the judges' cuts"),
                Column("cut_se", _F, "standard error of cut_mean"),
                Column("change", _F, "change of cut_mean since the previous round"),
                Column("icc2_1", _F, "ICC(2,1): agreement of single judges"),
                Column("icc2_k", _F, "ICC(2,k): agreement of the panel mean"),
                Column("icc3_1", _F, "ICC(3,1): consistency of single judges"),
                Column("icc3_k", _F, "ICC(3,k): consistency of the panel mean"),
                Column("theta_cut", _F, "theta at which the true score equals cut_mean"),
            ),
        ),
        Table(
            "impact",
            "standard/<method>/impact.csv",
            "standard-setting",
            "group at one raw cut",
            (
                Column("raw_cut", _F, "raw cut applied"),
                Column("group", _S, "examinee group ('all' for everyone)"),
                Column("n", _I, "examinees in the group"),
                Column("n_pass", _I, "examinees at or above the cut"),
                Column("pass_rate", _F, "n_pass / n"),
                Column("fail_rate", _F, "1 - pass_rate"),
            ),
        ),
        Table(
            "failure_curve",
            "standard/<method>/curve.csv",
            "standard-setting hofstee, beuk, impact",
            "whole raw cut 0..K",
            (
                Column("raw_cut", _I, "whole raw cut c"),
                Column("n_fail", _I, "examinees below c"),
                Column("fail_rate", _F, "observed failure rate F(c): share below c"),
                Column("pass_rate", _F, "1 - fail_rate"),
            ),
        ),
        Table(
            "hofstee_judges",
            "standard/hofstee/judges.csv",
            "standard-setting hofstee",
            "judge in one round (the checked judgements)",
            (
                Column("judge_id", _S, "judge id"),
                Column("round", _I, "round number"),
                Column("min_cut", _F, "lowest acceptable raw cut"),
                Column("max_cut", _F, "highest acceptable raw cut"),
                Column("min_fail", _F, "lowest acceptable failure rate"),
                Column("max_fail", _F, "highest acceptable failure rate"),
            ),
        ),
        Table(
            "hofstee_rounds",
            "standard/hofstee/rounds.csv",
            "standard-setting hofstee",
            "round",
            (
                Column("round", _I, "round number"),
                Column("n_judges", _I, "judges"),
                Column("min_cut", _F, "panel mean of min_cut"),
                Column("max_cut", _F, "panel mean of max_cut"),
                Column("min_fail", _F, "panel mean of min_fail"),
                Column("max_fail", _F, "panel mean of max_fail"),
                Column("raw_cut", _F, "the round's cut: the Hofstee line meets the failure curve"),
                Column("fail_rate", _F, "observed failure rate at raw_cut"),
                Column(
                    "intersects",
                    _B,
                    "whether line and curve meet (if not, the cut is an end of the range)",
                ),
            ),
        ),
        Table(
            "beuk_judges",
            "standard/beuk/judges.csv",
            "standard-setting beuk",
            "judge in one round (the checked judgements)",
            (
                Column("judge_id", _S, "judge id"),
                Column("round", _I, "round number"),
                Column("cut", _F, "the judge's raw cut"),
                Column("pass_rate", _F, "the pass rate the judge expects"),
            ),
        ),
        Table(
            "beuk_rounds",
            "standard/beuk/rounds.csv",
            "standard-setting beuk",
            "round",
            (
                Column("round", _I, "round number"),
                Column("n_judges", _I, "judges"),
                Column("mean_cut", _F, "panel mean cut"),
                Column("sd_cut", _F, "SD of the judges' cuts (divisor J-1)"),
                Column("mean_pass_rate", _F, "panel mean expected pass rate"),
                Column("sd_pass_rate", _F, "SD of the expected pass rates (divisor J-1)"),
                Column("slope", _F, "sd_pass_rate / sd_cut (empty when sd_cut is 0)"),
                Column("raw_cut", _F, "the round's cut: the Beuk line meets the pass-rate curve"),
                Column("fail_rate", _F, "observed failure rate at raw_cut"),
                Column("pass_rate", _F, "1 - fail_rate"),
                Column(
                    "intersects",
                    _B,
                    "whether line and curve meet within 0..K (if not, the nearer end)",
                ),
            ),
        ),
        Table(
            "bookmark_booklet",
            "standard/bookmark/booklet.csv",
            "standard-setting bookmark",
            "page of the ordered item booklet (easiest first)",
            (
                Column("page", _I, "page number, 1 = lowest RP location"),
                Column("item_id", _S, "item id"),
                Column("a", _F, "discrimination"),
                Column("b", _F, "difficulty"),
                Column("c", _F, "lower asymptote"),
                Column("d", _F, "scaling constant D"),
                Column("theta_rp", _F, "theta at which the item is answered with probability RP"),
                Column("raw_rp", _F, "expected raw score (TCC) at theta_rp"),
            ),
        ),
        Table(
            "bookmark_judges",
            "standard/bookmark/judges.csv",
            "standard-setting bookmark",
            "judge in one round",
            (
                Column("round", _I, "round number"),
                Column("judge_id", _S, "judge id"),
                Column("page", _I, "page the bookmark is placed on"),
                Column("item_id", _S, "item on that page"),
                Column("theta_cut", _F, "the judge's theta cut (by --location)"),
                Column("raw_cut", _F, "expected raw score (TCC) at theta_cut"),
                Column("change", _F, "change of theta_cut since the previous round"),
            ),
        ),
        Table(
            "bookmark_rounds",
            "standard/bookmark/rounds.csv",
            "standard-setting bookmark",
            "round",
            (
                Column("round", _I, "round number"),
                Column("n_judges", _I, "judges"),
                Column("page_median", _F, "median bookmarked page"),
                Column("theta_mean", _F, "mean of the judges' theta cuts"),
                Column("theta_median", _F, "median of the judges' theta cuts"),
                Column("theta_sd", _F, "SD of the judges' theta cuts"),
                Column("theta_se", _F, "standard error of theta_mean"),
                Column("theta_cut", _F, "the panel's theta cut (mean or median, by --center)"),
                Column("theta_cut_se", _F, "standard error of theta_cut"),
                Column("raw_cut", _F, "expected raw score (TCC) at theta_cut"),
                Column("raw_cut_se", _F, "delta-method standard error of raw_cut"),
                Column("change", _F, "change of theta_cut since the previous round"),
            ),
        ),
        Table(
            "bank_item_stats",
            "item_bank/stats/item_stats.csv",
            "simulate item-stats, simulate bank, calibrate --write-stats",
            "item in one administration (contract schemas/item_stats.schema.json)",
            (
                Column("item_id", _S, "item id"),
                Column("item_version", _I, "item version"),
                Column("form_id", _S, "form (or pilot) the item was administered on"),
                Column("administration_date", _S, "administration date, YYYY-MM-DD"),
                Column("source", _S, "synthetic, analysis or calibration"),
                Column("n", _I, "examinees who answered the item"),
                Column("p_value", _F, "proportion correct"),
                Column("item_total_r", _F, "point-biserial with the total score"),
                Column("irt_model", _S, "rasch, 2pl or 3pl (empty without IRT)"),
                Column("a", _F, "discrimination"),
                Column("b", _F, "difficulty"),
                Column("c", _F, "lower asymptote"),
                Column("se_a", _F, "standard error of a"),
                Column("se_b", _F, "standard error of b"),
                Column("se_c", _F, "standard error of c"),
                Column("d", _F, "scaling constant D: 1 (logistic) or 1.702 (normal metric)"),
                Column("theta_scale", _S, "name of the ability scale of a, b, c"),
            ),
        ),
        Table(
            "simulation_truth",
            "responses/<form>_truth.parquet",
            "simulate responses",
            "simulated examinee",
            (
                Column("examinee_id", _S, "examinee id (the --id-column's name)"),
                Column("theta", _F, "generating ability"),
                Column("group", _S, "simulated group (--groups)", optional=True),
                Column("speeded", _B, "whether the examinee was speeded (--speeded-share)"),
            ),
        ),
        Table(
            "link_constants",
            "<--constants> of link (e.g. link.csv)",
            "link --constants",
            "linking method (the chosen method first)",
            (
                Column("method", _S, "linking method"),
                Column("A", _F, "slope: theta_base = A theta_new + B"),
                Column("B", _F, "intercept"),
                Column(
                    "criterion", _F, "the method's own criterion at its minimum (empty: moments)"
                ),
                Column("haebara_criterion", _F, "Haebara criterion at the method's A, B"),
                Column(
                    "stocking_lord_criterion", _F, "Stocking-Lord criterion at the method's A, B"
                ),
                Column("converged", _B, "whether the minimisation converged"),
            ),
        ),
        Table(
            "link_drift",
            "<--drift-out> of link --screen-drift (e.g. drift.csv)",
            "link --screen-drift --drift-out",
            "common item",
            (
                Column("item_id", _S, "item id"),
                Column("b_new_linked", _F, "new b transformed to the base scale"),
                Column("b_base", _F, "base b"),
                Column("b_difference", _F, "b_base - b_new_linked"),
                Column("robust_z_b", _F, "robust z of b_difference (median, 0.74 IQR)"),
                Column("a_ratio", _F, "new a (linked) / base a"),
                Column("robust_z_a", _F, "robust z of a_ratio"),
                Column("flagged", _B, "whether |robust z| exceeded the threshold (dropped)"),
                Column("iteration", _I, "screening iteration of the row's values"),
            ),
        ),
        Table(
            "form_export",
            "<--out> of form export --format csv",
            "form export --format csv",
            "position of the form",
            (
                Column("position", _I, "position on the form"),
                Column("item_id", _S, "item id"),
                Column("item_version", _I, "item version"),
                Column("role", _S, "scored or pretest"),
                Column("anchor", _B, "whether the item is an anchor"),
                Column("domain", _I, "blueprint domain number"),
                Column("subdomain", _S, "blueprint subdomain"),
                Column("stem", _S, "item stem"),
                Column(
                    "option_<letter>",
                    _S,
                    "option text (empty where the item has no such option)",
                    pattern=r"option_[A-Z]",
                ),
                Column("key", _S, "key letter"),
            ),
        ),
        Table(
            "form_key",
            "<--key-out> of form export",
            "form export --key-out",
            "position of the form",
            (
                Column("position", _I, "position on the form"),
                Column("item_id", _S, "item id"),
                Column("item_version", _I, "item version"),
                Column("role", _S, "scored or pretest"),
                Column("key", _S, "key letter"),
            ),
        ),
        Table(
            "theta_scores",
            "<--out> of score-theta (e.g. theta.csv)",
            "score-theta",
            "examinee",
            (
                Column("examinee_id", _S, "examinee id (the --id-column's name)"),
                Column("n_answered", _I, "items answered (omits left out)"),
                Column("raw", _I, "number right among the answered items"),
                Column("theta_eap", _F, "EAP estimate (--method eap)", optional=True),
                Column("se_eap", _F, "posterior SD of theta_eap", optional=True),
                Column("theta_map", _F, "MAP estimate (--method map)", optional=True),
                Column("se_map", _F, "standard error of theta_map", optional=True),
                Column("theta_ml", _F, "ML estimate (--method ml)", optional=True),
                Column("se_ml", _F, "standard error of theta_ml", optional=True),
                Column(
                    "ml_status",
                    _S,
                    "ok, all_correct, all_wrong, at_bound or no_responses",
                    optional=True,
                ),
            ),
        ),
        Table(
            "information_curves",
            "<--curves> of score-theta (e.g. tif.csv)",
            "score-theta --curves",
            "theta of the grid",
            (
                Column("theta", _F, "ability"),
                Column("info", _F, "test information"),
                Column("csem", _F, "conditional SEM: 1 / sqrt(info)"),
                Column("expected_score", _F, "expected number right (TCC)"),
            ),
        ),
    )
}
"""Every declared output table by name, in the order of the exam cycle."""

TABLE_FILES: tuple[tuple[str, str], ...] = (
    ("analysis/*/item_stats.csv", "item_stats"),
    ("analysis/*/option_stats.csv", "option_stats"),
    ("analysis/*/dif.csv", "dif"),
    ("analysis/*/dif_logistic.csv", "dif_logistic"),
    ("calibration/bank_params.csv", "bank_params"),
    ("calibration/*_params.csv", "item_params"),
    ("equating/compare.csv", "equating_compare"),
    ("equating/*.csv", "equating"),
    ("conversion/*.csv", "conversion"),
    ("scores/*.csv", "scores"),
    ("responses/*_items.csv", "simulation_items"),
    ("responses/*_truth.parquet", "simulation_truth"),
    ("responses/*.csv", "responses"),
    ("standard/ratings.csv", "ratings"),
    ("standard/angoff/judges.csv", "angoff_judges"),
    ("standard/angoff/items.csv", "angoff_items"),
    ("standard/angoff/rounds.csv", "angoff_rounds"),
    ("standard/*/impact.csv", "impact"),
    ("standard/*/curve.csv", "failure_curve"),
    ("standard/hofstee/judges.csv", "hofstee_judges"),
    ("standard/hofstee/rounds.csv", "hofstee_rounds"),
    ("standard/beuk/judges.csv", "beuk_judges"),
    ("standard/beuk/rounds.csv", "beuk_rounds"),
    ("standard/bookmark/booklet.csv", "bookmark_booklet"),
    ("standard/bookmark/judges.csv", "bookmark_judges"),
    ("standard/bookmark/rounds.csv", "bookmark_rounds"),
    ("stats/item_stats.csv", "bank_item_stats"),
)
"""Where each table lies in an output folder such as the demo's (first match wins)."""


def table_schema(name: str) -> dict[str, pl.DataType]:
    """Names and dtypes of the fixed columns of the declared table ``name``."""
    return TABLES[name].schema()


def table_columns(
    name: str, families: Mapping[str, Sequence[str]] | None = None
) -> dict[str, pl.DataType]:
    """Names and dtypes of the declared table ``name`` in written order, each column family
    replaced by the names ``families`` gives for it (none where it gives none)."""
    out: dict[str, pl.DataType] = {}
    for column in TABLES[name].columns:
        if column.pattern is None:
            out[column.name] = column.dtype
            continue
        for member in (families or {}).get(column.name, ()):
            if not column.matches(member):
                raise ValueError(f"{name}: {member!r} is not a {column.name} column")
            out[member] = column.dtype
    return out


def table_for(path: str) -> Table | None:
    """The declared table of a file in an output folder (by :data:`TABLE_FILES`)."""
    from fnmatch import fnmatch

    for pattern, name in TABLE_FILES:
        if fnmatch(path, pattern):
            return TABLES[name]
    return None


def tables_markdown() -> str:
    """``docs/tables.md``: every declared table with its columns."""
    lines = [
        "# Output tables",
        "",
        "<!-- Generated from cehrs_items/tables.py by `python -m cehrs_items.cli.docs --write`;"
        " do not edit. -->",
        "",
        "Every table the commands write, its columns in the order they are written, with "
        "dtype and meaning. A name in angle brackets is a family of columns (one per "
        "domain, score group, method, letter or item). Optional columns appear only with "
        "the option that adds them.",
        "",
    ]
    for table in TABLES.values():
        lines += [
            f"## {table.name}",
            "",
            f"`{table.files}`, written by `{table.writer}`: one row per {table.row}.",
            "",
        ]
        lines += ["| column | dtype | meaning |", "|---|---|---|"]
        for c in table.columns:
            note = " (optional)" if c.optional else ""
            lines.append(f"| `{c.name}` | {c.dtype} | {c.meaning}{note} |")
        lines.append("")
    return "\n".join(lines)
