"""Generators that mangle real input files by class, and a runner that checks each outcome.

The base data are real: twelve items of the shipped bank (item_bank/), a form of them, and
200 examinees simulated with ``cehrs-items simulate responses`` from the bank's statistics.
Each class of damage has a stated expected outcome per command:

- ``error``: exit 2 and one ``error: <message>`` line naming the file;
- ``warning``: the command runs (exit as for the base data), stderr carries
  ``warning: <message>`` naming the file, and ``--strict`` makes it an exit-2 error;
- ``equivalent``: the command runs and writes byte-identical output to the base run;
- ``accepted``: the command runs (exit as for the base data) without warnings;
- ``survives``: any of those, but never a crash (damage that cannot always be detected).

A case fails on any traceback, any ``internal error``, an unexpected exit code, a missing
or wrong message, or when it runs longer than its time limit (a hang).
"""

from __future__ import annotations

import io
import json
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from typer.testing import CliRunner

from cehrs_items.cli.app import build_app

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "item_bank"
N_EXAMINEES = 200
TIME_LIMIT = 60.0
RESPONSE_COMMANDS = ("analyze", "calibrate", "equate", "score")

_APP = None


def app():
    global _APP
    if _APP is None:
        _APP = build_app()
    return _APP


@dataclass(frozen=True)
class Base:
    """The real data every mangled case starts from (in ``folder``)."""

    folder: Path
    csv: bytes  # the simulated responses, as written by simulate (letters, 2% omits)
    frame: pl.DataFrame  # the same, as strings
    items: tuple[str, ...]
    outputs: dict[str, bytes]  # command -> main output bytes on the base data
    exit_codes: dict[str, int]

    @property
    def header(self) -> list[str]:
        return self.frame.columns


def _invoke(args: list[str], cwd: Path, limit: float = TIME_LIMIT):
    """Run the CLI in-process in ``cwd`` with an alarm as the hang guard."""

    def _alarm(signum, frame):  # pragma: no cover - only on a hang
        raise TimeoutError(f"case ran longer than {limit:.0f} s: {' '.join(args)}")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    start = time.perf_counter()
    cwd_before = Path.cwd()
    try:
        import os

        os.chdir(cwd)
        result = CliRunner().invoke(app(), args, catch_exceptions=True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        import os

        os.chdir(cwd_before)
    return result, time.perf_counter() - start


def command_args(command: str, target: str, out: str, *, strict: bool = False) -> list[str]:
    """The command line of ``command`` reading responses ``target`` (paths relative to base)."""
    tail = ["--strict"] if strict else []
    if command == "analyze":
        return ["analyze", target, "--key", "key.csv", "--out", out, *tail]
    if command == "calibrate":
        return [
            "calibrate", target, "--key", "key.csv", "--model", "rasch", "--no-fit",
            "--out", f"{out}/params.csv", *tail,
        ]  # fmt: skip
    if command == "equate":
        return [
            "equate", "--x", target, "--y", "r.csv", "--form-x", "form.json", "--form-y",
            "form.json", "--design", "random-groups", "--method", "mean", "--out",
            f"{out}/eq.csv", *tail,
        ]  # fmt: skip
    if command == "score":
        return [
            "score", target, "--form", "form.json", "--conversion", "conv.csv", "--out",
            f"{out}/scores.csv", *tail,
        ]  # fmt: skip
    raise ValueError(command)


MAIN_OUTPUT = {
    "analyze": "item_stats.csv",
    "calibrate": "params.csv",
    "equate": "eq.csv",
    "score": "scores.csv",
}


def build_base(folder: Path) -> Base:
    """Simulate the base data into ``folder`` and run every command on it once."""
    folder.mkdir(parents=True, exist_ok=True)
    stats = pl.read_csv(BANK / "stats" / "item_stats.csv", infer_schema=False)
    chosen = []
    for prefix, n in (("NC", 3), ("CO", 4), ("RC", 2), ("RG", 2), ("RP", 1)):
        ids = sorted({i for i in stats["item_id"].to_list() if i.startswith(prefix)})
        chosen += ids[:n]
    from cehrs_items.bank import load_bank

    bank = load_bank(BANK, with_stats=False).items
    positions = [
        {
            "position": k + 1,
            "item_id": item_id,
            "item_version": int(bank[item_id].version),
            "role": "scored" if k < 10 else "pretest",
            "domain": int(bank[item_id].domain),
            "key": bank[item_id].key,
        }
        for k, item_id in enumerate(chosen)
    ]
    (folder / "form.json").write_text(
        json.dumps({"form_id": "ROBUST", "blueprint_id": "cehrs", "positions": positions})
    )
    run = [
        "simulate", "responses", "--form", "form.json", "--bank", str(BANK), "--examinees",
        str(N_EXAMINEES), "--seed", "12", "--omit-rate", "0.02", "--groups", "R=0.7,F=0.3",
        "--out", "r.csv",
    ]  # fmt: skip
    result, _ = _invoke(run, folder)
    if result.exit_code != 0:
        raise RuntimeError(f"simulate failed: {result.output}")
    shutil.copy(folder / "r_items.csv", folder / "key.csv")
    result, _ = _invoke(command_args("equate", "r.csv", "base_eq"), folder)
    if result.exit_code != 0:
        raise RuntimeError(f"equate failed: {result.output}")
    scale = [
        "scale", "--equating", "base_eq/eq.csv", "--blueprint", str(BANK / "blueprint.yaml"),
        "--out", "conv.csv",
    ]  # fmt: skip
    result, _ = _invoke(scale, folder)
    if result.exit_code != 0:
        raise RuntimeError(f"scale failed: {result.output}")
    data = (folder / "r.csv").read_bytes()
    frame = pl.read_csv(data, infer_schema=False)
    outputs, codes = {}, {}
    for command in RESPONSE_COMMANDS:
        out = f"base_{command}"
        result, _ = _invoke(command_args(command, "r.csv", out), folder)
        if result.exit_code not in (0, 1):
            raise RuntimeError(f"{command} on the base data failed: {result.output}")
        outputs[command] = (folder / out / MAIN_OUTPUT[command]).read_bytes()
        codes[command] = result.exit_code
    items = tuple(p["item_id"] for p in positions)
    return Base(folder, data, frame, items, outputs, codes)


# --------------------------------------------------------------------------------------
# Mangled response files
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One mangled input: files to write (relative to the case folder) and expectations."""

    cls: str
    variant: int
    files: dict[str, bytes]
    target: str
    expect: str  # error | warning | equivalent | accepted | survives
    needle: str = ""  # text the error/warning message must contain
    per_command: dict[str, tuple[str, str]] = field(default_factory=dict)

    def expectation(self, command: str) -> tuple[str, str]:
        return self.per_command.get(command, (self.expect, self.needle))

    @property
    def name(self) -> str:
        return f"{self.cls}-{self.variant}"


def _lines(data: bytes) -> list[bytes]:
    return data.rstrip(b"\n").split(b"\n")


def _join(lines: list[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n"


def _fields(line: bytes) -> list[bytes]:
    return line.split(b",")


def _pretest_ok(base: Base, column: str) -> dict[str, tuple[str, str]]:
    """equate and score read only the scored items: damage in a pretest column is unseen."""
    if column in base.items[10:]:
        return {"equate": ("equivalent", ""), "score": ("equivalent", "")}
    return {}


def _item_cols(base: Base) -> list[int]:
    return [base.header.index(i) for i in base.items]


def _csv(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def _truncate(base: Base, rng: np.random.Generator, v: int) -> Case:
    data = base.csv
    start = len(_lines(data)[0]) + 1 + len(data) // 2
    cut = int(rng.integers(start, len(data) - 1))
    text = data[:cut]
    last = text[text.rfind(b"\n") + 1 :]
    width = len(base.header)
    if text.endswith(b"\n"):
        return Case("truncated", v, {"t.csv": text}, "t.csv", "accepted")
    if len(_fields(last)) == width:
        # Cut inside the last field: indistinguishable from a complete file whose last
        # response is omitted or shorter; read as such.
        return Case("truncated", v, {"t.csv": text}, "t.csv", "accepted")
    return Case("truncated", v, {"t.csv": text}, "t.csv", "error", "cut off mid-row")


def _short_row(base: Base, rng: np.random.Generator, v: int) -> Case:
    lines = _lines(base.csv)
    row = int(rng.integers(1, len(lines)))
    k = int(rng.integers(1, 6))
    lines[row] = b",".join(_fields(lines[row])[:-k])
    return Case("short_row", v, {"s.csv": _join(lines)}, "s.csv", "error", f"row {row} (line")


def _long_row(base: Base, rng: np.random.Generator, v: int) -> Case:
    lines = _lines(base.csv)
    row = int(rng.integers(1, len(lines)))
    lines[row] = lines[row] + b",A" * int(rng.integers(1, 4))
    return Case("long_row", v, {"l.csv": _join(lines)}, "l.csv", "error", f"row {row} (line")


def _nul(base: Base, rng: np.random.Generator, v: int) -> Case:
    data = base.csv
    pos = int(rng.integers(len(_lines(data)[0]) + 1, len(data)))
    return Case(
        "nul_byte", v, {"n.csv": data[:pos] + b"\x00" + data[pos:]}, "n.csv", "error", "NUL"
    )


def _dup_header(base: Base, rng: np.random.Generator, v: int) -> Case:
    cols = list(base.header)
    a, b = rng.choice(len(cols), size=2, replace=False)
    cols[int(b)] = cols[int(a)]
    lines = _lines(base.csv)
    lines[0] = ",".join(cols).encode()
    return Case("duplicate_header", v, {"d.csv": _join(lines)}, "d.csv", "error", "appears twice")


_UNICODE = ("utf-16", "utf-16-le", "utf-16-be", "utf-32")


def _utf16(base: Base, rng: np.random.Generator, v: int) -> Case:
    enc = _UNICODE[v % len(_UNICODE)]
    data = base.csv.decode().encode(enc)
    needle = "UTF-32" if enc == "utf-32" else "UTF-16"
    return Case("utf16_utf32", v, {"u.csv": data}, "u.csv", "error", needle)


def _latin1(base: Base, rng: np.random.Generator, v: int) -> Case:
    frame = base.frame
    row = int(rng.integers(0, frame.height))
    col = "examinee_id" if v % 2 else "group"
    accent = ["é", "ü", "ñ", "ø", "à"][v % 5]
    changed = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == row)
        .then(pl.col(col) + accent)
        .otherwise(pl.col(col))
        .alias(col)
    )
    data = _csv(changed).decode().encode("latin-1")
    return Case("latin1", v, {"x.csv": data}, "x.csv", "error", "not UTF-8")


def _equivalent_text(base: Base, rng: np.random.Generator, v: int) -> Case:
    kind = v % 6
    data = base.csv
    if kind == 0:
        data = b"\xef\xbb\xbf" + data
    elif kind == 1:
        data = data.replace(b"\n", b"\r\n")
    elif kind == 2:
        lines = _lines(data)
        data = _join([b",".join(b'"' + f + b'"' for f in _fields(line)) for line in lines])
    elif kind == 3:
        data = data + b"\n" * int(rng.integers(1, 4))
    elif kind == 4:
        data = data.rstrip(b"\n")
    else:
        lines = _lines(data)
        cols = _item_cols(base)
        for r in rng.choice(np.arange(1, len(lines)), size=20, replace=False):
            fields = _fields(lines[int(r)])
            c = int(rng.choice(cols))
            if fields[c]:
                fields[c] = b" " + fields[c].lower() + b" "
            lines[int(r)] = b",".join(fields)
        data = _join(lines)
    return Case("equivalent_text", v, {"e.csv": data}, "e.csv", "equivalent")


def _delimiter(base: Base, rng: np.random.Generator, v: int) -> Case:
    sep = [b";", b"\t", b"|"][v % 3]
    data = base.csv.replace(b",", sep)
    return Case("wrong_delimiter", v, {"w.csv": data}, "w.csv", "error", "-separated")


def _tsv(base: Base, rng: np.random.Generator, v: int) -> Case:
    if v % 2:
        return Case("tsv", v, {"t.tsv": base.csv}, "t.tsv", "error", "comma-separated")
    data = base.csv.replace(b",", b"\t")
    return Case("tsv", v, {"t.tsv": data}, "t.tsv", "equivalent")


def _empty(base: Base, rng: np.random.Generator, v: int) -> Case:
    kind = v % 5
    name = "e.parquet" if kind == 4 else "e.csv"
    data = [b"", b"\n\n", b"   \n \n", _lines(base.csv)[0] + b"\n", b""][kind]
    needle = ["empty file", "blank", "", "no examinee rows", "empty file"][kind]
    return Case("empty_or_header_only", v, {name: data}, name, "error", needle)


def _garbage(base: Base, rng: np.random.Generator, v: int) -> Case:
    name = ["g.csv", "g.parquet", "g.tsv"][v % 3]
    size = int(rng.integers(1, 5000))
    data = rng.integers(0, 256, size=size, dtype=np.uint8).tobytes()
    if v % 7 == 0:
        data = b"PAR1" + data + b"PAR1"
    return Case("binary_garbage", v, {name: data}, name, "error")


def _wrong_extension(base: Base, rng: np.random.Generator, v: int) -> Case:
    kind = v % 4
    if kind == 0:
        return Case(
            "wrong_extension",
            v,
            {"r.parquet": base.csv},
            "r.parquet",
            "error",
            "not a Parquet file",
        )
    if kind == 1:
        return Case(
            "wrong_extension",
            v,
            {"p.csv": _parquet(base.frame)},
            "p.csv",
            "error",
            "rename it to .parquet",
        )
    if kind == 2:
        return Case(
            "wrong_extension",
            v,
            {"r.xlsx": base.csv},
            "r.xlsx",
            "error",
            "unknown response file type",
        )
    zipped = b"PK\x03\x04" + base.csv[:200]
    return Case("wrong_extension", v, {"z.csv": zipped}, "z.csv", "error", "ZIP")


_BAD_VALUES = ("E", "F", "2", "x", "AB", "?", "-", "0", "A B", "1.5", "é")


def _bad_value(base: Base, rng: np.random.Generator, v: int) -> Case:
    lines = _lines(base.csv)
    row = int(rng.integers(1, len(lines)))
    col = int(rng.choice(_item_cols(base)))
    value = _BAD_VALUES[v % len(_BAD_VALUES)]
    fields = _fields(lines[row])
    fields[col] = value.encode()
    lines[row] = b",".join(fields)
    where = f"row {row}, column {base.header[col]}"
    per = _pretest_ok(base, base.header[col])
    if value == "E" and not per:
        # With a key that declares n_options (analyze, calibrate) an E on a four-option item
        # is an error; scored from a form alone (equate, score) it is a warning.
        per = {"equate": ("warning", "beyond"), "score": ("warning", "beyond")}
    return Case("bad_value", v, {"b.csv": _join(lines)}, "b.csv", "error", where, per)


def _scored_with_letter(base: Base, rng: np.random.Generator, v: int) -> Case:
    key = dict(pl.read_csv(base.folder / "key.csv").select("item_id", "key").iter_rows())
    frame = base.frame.with_columns(
        [
            pl.when(pl.col(i).is_null()).then(None)
            .otherwise((pl.col(i) == key[i]).cast(pl.Int8).cast(pl.String)).alias(i)
            for i in base.items
        ]
    )  # fmt: skip
    row = int(rng.integers(0, frame.height))
    col = str(rng.choice(list(base.items)))
    letter = "ABCD"[v % 4]
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == row)
        .then(pl.lit(letter))
        .otherwise(pl.col(col))
        .alias(col)
    )
    needle = f"row {row + 1}, column {col}: response '{letter}' is an option letter"
    per = _pretest_ok(base, col)
    return Case("scores_with_a_letter", v, {"s.csv": _csv(frame)}, "s.csv", "error", needle, per)


def _ids(base: Base, rng: np.random.Generator, v: int) -> Case:
    kind = v % 5
    frame = base.frame
    row = int(rng.integers(1, frame.height))
    ids = frame["examinee_id"].to_list()
    if kind == 0:
        ids[row], expect, needle = "   ", "warning", "blank"
    elif kind == 1:
        ids[row], expect, needle = ["NaN", "NA", "null", "#N/A"][v % 4], "warning", "missing value"
    elif kind == 2:
        ids[row], expect, needle = " " + ids[row - 1] + " ", "warning", "surrounding spaces"
    elif kind == 3:
        ids[row], expect, needle = "", "error", "examinee id is empty"
    else:
        ids[row], expect, needle = ids[row - 1], "error", "repeats"
    data = _csv(frame.with_columns(pl.Series("examinee_id", ids)))
    return Case("examinee_ids", v, {"i.csv": data}, "i.csv", expect, needle)


def _unscored_column(base: Base, rng: np.random.Generator, v: int) -> Case:
    name = ["ZZ-9999", "NC-9998", "AB-0001"][v % 3]
    values = rng.choice(["A", "B", "C", "D", ""], size=base.frame.height).tolist()
    frame = base.frame.with_columns(pl.Series(name, values))
    return Case("unscored_item_column", v, {"z.csv": _csv(frame)}, "z.csv", "warning", name)


def _all_omitted(base: Base, rng: np.random.Generator, v: int) -> Case:
    k = int(rng.integers(1, 51))
    rows = rng.choice(base.frame.height, size=k, replace=False)
    blank = pl.Series(np.isin(np.arange(base.frame.height), rows))
    frame = base.frame.with_columns(
        [pl.when(blank).then(None).otherwise(pl.col(i)).alias(i) for i in base.items]
    )
    needle = f"{k} examinee(s) omitted every item"
    return Case("all_omitted", v, {"o.csv": _csv(frame)}, "o.csv", "warning", needle)


def _parquet_types(base: Base, rng: np.random.Generator, v: int) -> Case:
    col = str(rng.choice(list(base.items)))
    kind = v % 5
    frame = base.frame
    if kind == 0:
        new = pl.col(col).map_elements(lambda x: [x], return_dtype=pl.List(pl.String))
    elif kind == 1:
        new = pl.struct(pl.col(col).alias("v"))
    elif kind == 2:
        new = pl.col(col).cast(pl.Binary)
    elif kind == 3:
        new = pl.lit(None, pl.Date).fill_null(pl.date(2026, 1, 1))
    else:
        new = (
            pl.col(col)
            .map_elements(lambda x: [x, x], return_dtype=pl.List(pl.String))
            .list.to_array(2)
        )
    data = _parquet(frame.with_columns(new.alias(col)))
    return Case(
        "parquet_wrong_type", v, {"p.parquet": data}, "p.parquet", "error", f"column {col}: type",
        _pretest_ok(base, col),
    )  # fmt: skip


def _parquet_damaged(base: Base, rng: np.random.Generator, v: int) -> Case:
    data = _parquet(base.frame)
    kind = v % 3
    if kind == 0:
        data = data[: int(rng.integers(4, len(data) - 1))]
    elif kind == 1:
        # Overwritten bytes inside the file: Parquet pages carry no checksum by default, so
        # damage to unread bytes (statistics, padding) cannot be seen; it must not crash.
        pos = int(rng.integers(8, len(data) - 12))
        data = data[:pos] + bytes(rng.integers(0, 256, size=8, dtype=np.uint8)) + data[pos + 8 :]
        return Case("parquet_damaged", v, {"p.parquet": data}, "p.parquet", "survives")
    else:
        data = b"PAR1" + b"\x00" * int(rng.integers(0, 64)) + b"PAR1"
    return Case("parquet_damaged", v, {"p.parquet": data}, "p.parquet", "error")


def _parquet_equivalent(base: Base, rng: np.random.Generator, v: int) -> Case:
    kind = v % 4
    frame = base.frame
    if kind == 0:
        return Case(
            "parquet_equivalent", v, {"p.parquet": _parquet(frame)}, "p.parquet", "equivalent"
        )
    cuts = sorted(rng.choice(np.arange(1, frame.height), size=2, replace=False).tolist())
    parts = [frame[: cuts[0]], frame[cuts[0] : cuts[1]], frame[cuts[1] :]]
    files = {f"parts/{k}.parquet": _parquet(p) for k, p in enumerate(parts)}
    if kind == 1:
        return Case("parquet_equivalent", v, files, "parts", "equivalent")
    if kind == 2:
        return Case("parquet_equivalent", v, files, "parts/*.parquet", "equivalent")
    cat = frame.with_columns([pl.col(i).cast(pl.Categorical) for i in base.items])
    return Case("parquet_equivalent", v, {"c.parquet": _parquet(cat)}, "c.parquet", "equivalent")


def _mixed_folder(base: Base, rng: np.random.Generator, v: int) -> Case:
    frame = base.frame
    half = int(rng.integers(1, frame.height))
    first, second = frame[:half], frame[half:]
    kind = v % 5
    if kind == 0:
        col = str(rng.choice(list(base.items)))
        second, needle = second.drop(col), f"lacks column '{col}'"
    elif kind == 1:
        col = str(rng.choice(list(base.items)))
        second, needle = second.with_columns(pl.col(col).cast(pl.Categorical)), f"column '{col}' is"
    elif kind == 2:
        second, needle = second.with_columns(pl.lit("x").alias("extra")), "has column 'extra'"
    elif kind == 3:
        files = {"parts/a.parquet": _parquet(first), "parts/b.parquet": b""}
        return Case("mixed_folder", v, files, "parts", "error", "empty file")
    else:
        files = {"parts/a.parquet": _parquet(first), "parts/b.csv": _csv(second)}
        return Case("mixed_folder", v, files, "parts/*", "error", "Parquet files only")
    files = {"parts/a.parquet": _parquet(first), "parts/b.parquet": _parquet(second)}
    return Case("mixed_folder", v, files, "parts", "error", needle)


def _structure(base: Base, rng: np.random.Generator, v: int) -> Case:
    lines = _lines(base.csv)
    kind = v % 6
    row = int(rng.integers(1, len(lines) - 1))
    if kind == 0:
        lines.insert(row, b"")
        return Case("text_structure", v, {"s.csv": _join(lines)}, "s.csv", "error", "is blank")
    if kind == 1:
        lines[row] = b'"' + lines[row]
        return Case("text_structure", v, {"s.csv": _join(lines)}, "s.csv", "error", "never closes")
    if kind == 2:
        lines[0] = lines[0].replace(b"group", b" group")
        return Case(
            "text_structure", v, {"s.csv": _join(lines)}, "s.csv", "error", "surrounding spaces"
        )
    if kind == 3:
        lines[0] = lines[0].replace(b"group", b"")
        return Case(
            "text_structure", v, {"s.csv": _join(lines)}, "s.csv", "error", "empty column name"
        )
    if kind == 4:
        lines[0] = lines[0].replace(b"examinee_id", b"candidate")
        return Case(
            "text_structure", v, {"s.csv": _join(lines)}, "s.csv", "error", "'examinee_id' missing"
        )
    col = str(rng.choice(list(base.items)))
    data = _csv(base.frame.drop(col))
    per = _pretest_ok(base, col)
    return Case("text_structure", v, {"s.csv": data}, "s.csv", "error", col, per)


def _long_format(base: Base, rng: np.random.Generator, v: int) -> Case:
    long = (
        base.frame.select("examinee_id", *base.items)
        .unpivot(index="examinee_id", variable_name="item_id", value_name="response")
        .sample(fraction=1.0, seed=int(rng.integers(0, 2**31)), shuffle=True)
    )
    name = "long.parquet" if v % 2 else "long.csv"
    data = _parquet(long) if v % 2 else _csv(long)
    return Case("long_format", v, {name: data}, name, "equivalent")


def _huge_cell(base: Base, rng: np.random.Generator, v: int) -> Case:
    lines = _lines(base.csv)
    row = int(rng.integers(1, len(lines)))
    col = int(rng.choice(_item_cols(base)))
    fields = _fields(lines[row])
    fields[col] = b"A" * int(rng.integers(1_000, 200_000))
    lines[row] = b",".join(fields)
    where = f"row {row}, column {base.header[col]}"
    per = _pretest_ok(base, base.header[col])
    return Case("huge_cell", v, {"h.csv": _join(lines)}, "h.csv", "error", where, per)


RESPONSE_CLASSES: dict[str, Callable[[Base, np.random.Generator, int], Case]] = {
    "truncated": _truncate,
    "short_row": _short_row,
    "long_row": _long_row,
    "nul_byte": _nul,
    "duplicate_header": _dup_header,
    "utf16_utf32": _utf16,
    "latin1": _latin1,
    "equivalent_text": _equivalent_text,
    "wrong_delimiter": _delimiter,
    "tsv": _tsv,
    "empty_or_header_only": _empty,
    "binary_garbage": _garbage,
    "wrong_extension": _wrong_extension,
    "bad_value": _bad_value,
    "scores_with_a_letter": _scored_with_letter,
    "examinee_ids": _ids,
    "unscored_item_column": _unscored_column,
    "all_omitted": _all_omitted,
    "parquet_wrong_type": _parquet_types,
    "parquet_damaged": _parquet_damaged,
    "parquet_equivalent": _parquet_equivalent,
    "mixed_folder": _mixed_folder,
    "text_structure": _structure,
    "long_format": _long_format,
    "huge_cell": _huge_cell,
}


def response_cases(base: Base, per_class: int, seed: int = 0) -> Iterator[Case]:
    """``per_class`` cases of every class, reproducibly."""
    for k, make in enumerate(RESPONSE_CLASSES.values()):
        rng = np.random.default_rng([seed, k])
        for v in range(per_class):
            yield make(base, rng, v)


# --------------------------------------------------------------------------------------
# Running and checking
# --------------------------------------------------------------------------------------


@dataclass
class Outcome:
    cls: str
    command: str
    expect: str
    exit_code: int
    seconds: float
    problem: str | None  # None when the case met its expectation


def _write_case(case: Case, folder: Path) -> None:
    for rel, data in case.files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def check_response_case(base: Base, case: Case, command: str, work: Path) -> Outcome:
    """Run ``command`` on ``case`` (files written under ``work``) and judge the outcome."""
    expect, needle = case.expectation(command)
    folder = work / f"{case.name}-{command}"
    folder.mkdir(parents=True)
    for name in ("r.csv", "key.csv", "form.json", "conv.csv"):
        shutil.copy(base.folder / name, folder / name)
    _write_case(case, folder)
    try:
        result, seconds = _invoke(command_args(command, case.target, "out"), folder)
        problem = _judge(result, expect, needle, case.target, base.exit_codes[command])
        if problem is None and expect == "equivalent":
            got = (folder / "out" / MAIN_OUTPUT[command]).read_bytes()
            if got != base.outputs[command]:
                problem = f"output {MAIN_OUTPUT[command]} differs from the base run"
        if problem is None and expect == "warning":
            strict, _ = _invoke(
                command_args(command, case.target, "out_strict", strict=True), folder
            )
            if strict.exit_code != 2 or "--strict" not in strict.stderr:
                problem = f"--strict did not turn the warning into an error: {strict.stderr[-300:]}"
        return Outcome(case.cls, command, expect, result.exit_code, seconds, problem)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _judge(result, expect: str, needle: str, target: str, base_exit: int) -> str | None:
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"exception escaped: {type(result.exception).__name__}: {result.exception}"
    if "Traceback" in result.output or "internal error" in stderr:
        return f"internal error: {stderr.strip()[-400:]}"
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    warns = [line for line in stderr.splitlines() if line.startswith("warning: ")]
    if expect == "survives":
        if result.exit_code not in (0, 1, 2):
            return f"unexpected exit {result.exit_code}"
        if result.exit_code == 2 and len(errors) != 1:
            return f"expected one 'error:' line, got: {stderr.strip()[-300:]}"
        return None
    if expect == "error":
        if result.exit_code != 2:
            return f"expected exit 2, got {result.exit_code}; stderr: {stderr.strip()[-300:]}"
        if len(errors) != 1:
            return f"expected one 'error:' line, got: {stderr.strip()[-300:]}"
        if target.split("/")[0].rstrip("*") not in errors[0]:
            return f"the error does not name the file: {errors[0]}"
        if needle and needle not in errors[0]:
            return f"expected {needle!r} in: {errors[0]}"
        return None
    if result.exit_code != base_exit:
        return f"expected exit {base_exit}, got {result.exit_code}; stderr: {stderr.strip()[-300:]}"
    if expect == "warning":
        if not warns:
            return f"expected a warning, got none; stderr: {stderr.strip()[-300:]}"
        if needle and not any(needle in w for w in warns):
            return f"expected {needle!r} in a warning: {warns}"
        return None
    if warns:
        return f"unexpected warning: {warns[0]}"
    return None


# --------------------------------------------------------------------------------------
# Mangled item files (validate) and analysis folders (report)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileCase:
    """One mangled file for a command that reads one file or folder."""

    cls: str
    variant: int
    name: str  # file name inside the case folder
    data: bytes
    expect: str  # finding (exit 1) | findings_or_ok (exit 0/1) | error (exit 2) | equivalent


def _item_case(text: bytes, rng: np.random.Generator, v: int, cls: str) -> FileCase:
    name = "NC-0001.yaml"
    if cls == "truncated":
        cut = int(rng.integers(0, len(text)))
        return FileCase(cls, v, name, text[:cut], "findings_or_ok")
    if cls == "deleted_line":
        lines = text.split(b"\n")
        del lines[int(rng.integers(0, len(lines)))]
        return FileCase(cls, v, name, b"\n".join(lines), "findings_or_ok")
    if cls == "binary_garbage":
        data = rng.integers(0, 256, size=int(rng.integers(1, 4000)), dtype=np.uint8).tobytes()
        return FileCase(cls, v, name, data, "finding")
    if cls == "encoding":
        enc = ("utf-16", "utf-16-le", "utf-32", "latin-1")[v % 4]
        data = text.decode().replace("patient", "pätient").encode(enc)
        return FileCase(cls, v, name, data, "finding")
    if cls == "nul_byte":
        pos = int(rng.integers(0, len(text)))
        return FileCase(cls, v, name, text[:pos] + b"\x00" + text[pos:], "finding")
    if cls == "equivalent_text":
        data = [b"\xef\xbb\xbf" + text, text.replace(b"\n", b"\r\n"), text + b"\n\n"][v % 3]
        return FileCase(cls, v, name, data, "equivalent")
    if cls == "empty":
        return FileCase(cls, v, name, [b"", b"\n", b"---\n", b"null\n", b"[]\n"][v % 5], "finding")
    if cls == "huge_values":
        kind = v % 4
        if kind == 0:
            data = text.replace(b"version: 1", b"version: " + b"9" * int(rng.integers(20, 6000)))
        elif kind == 1:
            depth = int(rng.integers(100, 5000))
            data = text + b"extra: " + b"[" * depth + b"]" * depth + b"\n"
        elif kind == 2:
            data = text.replace(
                b"stem: >-", b"stem: >-\n  " + b"x" * int(rng.integers(1000, 500_000)), 1
            )
        else:
            data = text.replace(b"domain: 1", b"domain: 1e999")
        return FileCase(cls, v, name, data, "findings_or_ok")
    if cls == "tabs_and_duplicates":
        kind = v % 3
        if kind == 0:
            data = text.replace(b"\n  A:", b"\n\tA:", 1)
        elif kind == 1:
            data = text.replace(b"key: A", b"key: A\nkey: B", 1)
        else:
            data = text.replace(b"options:", b"options: &x", 1).replace(
                b"tags:", b"tags: *x\nold_tags:", 1
            )
        return FileCase(cls, v, name, data, "finding")
    raise ValueError(cls)


ITEM_CLASSES = (
    "truncated",
    "deleted_line",
    "binary_garbage",
    "encoding",
    "nul_byte",
    "equivalent_text",
    "empty",
    "huge_values",
    "tabs_and_duplicates",
)


def item_cases(per_class: int, seed: int = 0) -> Iterator[FileCase]:
    text = (BANK / "items" / "1" / "NC-0001.yaml").read_bytes()
    for k, cls in enumerate(ITEM_CLASSES):
        rng = np.random.default_rng([seed, 100 + k])
        for v in range(per_class):
            yield _item_case(text, rng, v, cls)


def check_item_case(case: FileCase, work: Path, base_exit: int = 0) -> Outcome:
    folder = work / f"item-{case.cls}-{case.variant}"
    folder.mkdir(parents=True)
    (folder / case.name).write_bytes(case.data)
    try:
        result, seconds = _invoke(["validate", case.name, "--format", "json"], folder)
        problem = _judge_findings(result, case.expect, case.name, base_exit)
        return Outcome(case.cls, "validate", case.expect, result.exit_code, seconds, problem)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _judge_findings(result, expect: str, name: str, base_exit: int) -> str | None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"exception escaped: {type(result.exception).__name__}: {result.exception}"
    if "Traceback" in result.output or "internal error" in result.stderr:
        return f"internal error: {result.stderr.strip()[-400:]}"
    if expect == "finding":
        if result.exit_code != 1:
            return f"expected exit 1 (a finding), got {result.exit_code}: {result.output[-300:]}"
        if name not in result.stdout:
            return f"the finding does not name the file: {result.stdout[-300:]}"
        return None
    if expect == "findings_or_ok":
        return (
            None
            if result.exit_code in (0, 1)
            else f"exit {result.exit_code}: {result.output[-300:]}"
        )
    if expect == "equivalent":
        return (
            None
            if result.exit_code == base_exit
            else f"exit {result.exit_code}: {result.output[-300:]}"
        )
    if expect == "error":
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        if result.exit_code != 2 or len(errors) != 1:
            return f"expected one error and exit 2, got {result.exit_code}: {result.stderr[-300:]}"
        if name not in errors[0]:
            return f"the error does not name the file: {errors[0]}"
        return None
    raise ValueError(expect)


REPORT_CLASSES = ("item_stats_damaged", "test_stats_damaged", "option_stats_damaged")


def report_cases(base: Base, per_class: int, seed: int = 0) -> Iterator[FileCase]:
    """Damaged tables in the analysis folder that ``report`` reads."""
    folder = base.folder / "base_analyze"
    for k, cls in enumerate(REPORT_CLASSES):
        rng = np.random.default_rng([seed, 200 + k])
        for v in range(per_class):
            if cls == "test_stats_damaged":
                text = (folder / "test_stats.json").read_bytes()
                kind = v % 5
                data = [
                    text[: int(rng.integers(0, len(text)))],
                    b"",
                    b"[1, 2, 3]",
                    text.decode().encode("utf-16"),
                    rng.integers(0, 256, size=300, dtype=np.uint8).tobytes(),
                ][kind]
                yield FileCase(cls, v, "test_stats.json", data, "error")
                continue
            stem = "item_stats.csv" if cls == "item_stats_damaged" else "option_stats.csv"
            data, expect = damage_table((folder / stem).read_bytes(), rng, v)
            yield FileCase(cls, v, stem, data, expect)


def damage_table(text: bytes, rng: np.random.Generator, v: int) -> tuple[bytes, str]:
    """A damaged copy of a CSV table and the expected outcome for its reader."""
    kind = v % 7
    if kind == 0:
        lines = _lines(text)
        row = int(rng.integers(1, len(lines)))
        lines[row] = b",".join(_fields(lines[row])[:-1])
        return _join(lines), "error"
    if kind == 1:
        pos = int(rng.integers(0, len(text)))
        return text[:pos] + b"\x00" + text[pos:], "error"
    if kind == 2:
        return text.decode().encode("utf-16"), "error"
    if kind == 3:
        return b"", "error"
    if kind == 4:
        # A semicolon table reads as one column: the reader must refuse it or cope.
        return text.replace(b",", b";"), "survives"
    if kind == 5:
        return rng.integers(0, 256, size=500, dtype=np.uint8).tobytes(), "error"
    return text[: int(rng.integers(len(_lines(text)[0]) + 2, len(text) - 1))], "survives"


def check_report_case(base: Base, case: FileCase, work: Path) -> Outcome:
    folder = work / f"report-{case.cls}-{case.variant}"
    shutil.copytree(base.folder / "base_analyze", folder / "analysis")
    (folder / "analysis" / case.name).write_bytes(case.data)
    try:
        result, seconds = _invoke(["report", "--analysis", "analysis", "--out", "r.html"], folder)
        problem = _judge(result, case.expect, "", "analysis", 0)
        return Outcome(case.cls, "report", case.expect, result.exit_code, seconds, problem)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def scale_cases(base: Base, per_class: int, seed: int = 0) -> Iterator[FileCase]:
    """Damaged equating tables read by ``scale``."""
    text = (base.folder / "base_eq" / "eq.csv").read_bytes()
    rng = np.random.default_rng([seed, 300])
    for v in range(per_class):
        data, expect = damage_table(text, rng, v)
        yield FileCase("equating_table_damaged", v, "eq.csv", data, expect)


def check_scale_case(base: Base, case: FileCase, work: Path) -> Outcome:
    folder = work / f"scale-{case.cls}-{case.variant}"
    folder.mkdir(parents=True)
    (folder / case.name).write_bytes(case.data)
    args = [
        "scale", "--equating", case.name, "--blueprint", str(BANK / "blueprint.yaml"),
        "--out", "conv.csv",
    ]  # fmt: skip
    try:
        result, seconds = _invoke(args, folder)
        problem = _judge(result, case.expect, "", case.name, 0)
        return Outcome(case.cls, "scale", case.expect, result.exit_code, seconds, problem)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
