"""Reading dispatch history: which department handled which request.

Pure Python. A history file is CSV or JSON Lines with one or more text
columns (joined with a space: ``Complaint Type`` + ``Descriptor``) and a
label column (the department), in UTF-8 or GB18030 (what Chinese spreadsheets
export). Rows without text or label are skipped and
counted, never silently dropped; a missing column is a clear error naming the
columns the file has.
"""
import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from shared.platform.textfiles import guess_encoding  # noqa: F401 -- UTF-8, else GB18030


class HistoryError(ValueError):
    """The file cannot be read as history (missing column, unknown format)."""


@dataclass
class HistoryReport:
    rows: int = 0
    used: int = 0
    skipped: Counter = field(default_factory=Counter)

    def summary(self):
        skipped = ", ".join(f"{n} {why}" for why, n in self.skipped.items())
        return f"{self.used} of {self.rows} rows used" + (f" (skipped: {skipped})" if skipped else "")


def split_columns(values):
    """``("a,b", "c")`` -> ``["a", "b", "c"]``: repeated or comma-separated column names."""
    names = []
    for value in values or ():
        names.extend(part.strip() for part in str(value).split(",") if part.strip())
    return names


def guess_format(path, fmt=None):
    if fmt:
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    raise HistoryError(f"cannot tell the format of {path}: give --format csv or jsonl")


csv.field_size_limit(16 * 1024 * 1024)  # long descriptions are normal in work orders


def _records(path, fmt, report):
    """The file's records; a file that is not text in UTF-8 or GB18030, or not CSV, is a
    ``HistoryError`` naming the file, never a traceback."""
    try:
        yield from _read_records(path, fmt, report)
    except UnicodeDecodeError as exc:
        raise HistoryError(f"{path} is not text in UTF-8 or GB18030 (byte {exc.start}): "
                           f"export it as CSV or JSON Lines") from None
    except csv.Error as exc:
        raise HistoryError(f"{path} cannot be read as CSV: {exc}") from None


def _read_records(path, fmt, report):
    with open(path, encoding=guess_encoding(path), newline="") as handle:
        if fmt == "csv":
            dialect = "excel-tab" if str(path).lower().endswith(".tsv") else "excel"
            yield from csv.DictReader(handle, dialect=dialect)
            return
        first = handle.read(1)
        while first and first.isspace():
            first = handle.read(1)
        if first == "[":  # one JSON array rather than JSON Lines
            try:
                records = json.loads(first + handle.read())
            except ValueError as exc:
                raise HistoryError(f"{path} is not valid JSON: {exc}") from None
            for record in records:
                if isinstance(record, dict):
                    yield record
                else:
                    report.rows += 1
                    report.skipped["not a JSON object"] += 1
            return
        for n, line in enumerate(handle):
            line = first + line if n == 0 else line
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                report.rows += 1
                report.skipped["unreadable JSON"] += 1
                continue
            if isinstance(record, dict):
                yield record
            else:
                report.rows += 1
                report.skipped["not a JSON object"] += 1


TITLE_END = "\x1f"


def read_history(path, text_cols, label_col, fmt=None, report=None, also=()):
    """Yield ``(text, label)`` pairs; fills ``report`` with what was used and skipped.

    ``also``: further text columns, joined after the first ones and ``TITLE_END`` (a title and
    its description)."""
    fmt = guess_format(path, fmt)
    if fmt not in ("csv", "jsonl"):
        raise HistoryError(f"unknown format {fmt!r}: csv or jsonl")
    text_cols = split_columns(text_cols)
    if not text_cols:
        raise HistoryError("name at least one text column")
    report = report if report is not None else HistoryReport()
    checked = False
    for record in _records(path, fmt, report):
        if not checked and fmt == "csv":
            missing = [c for c in [*text_cols, *also, label_col] if c not in record]
            if missing:
                raise HistoryError(f"{path} has no column {', '.join(missing)}; "
                                   f"it has: {', '.join(record)}")
            checked = True
        report.rows += 1
        text = " ".join(str(record.get(c) or "").strip() for c in text_cols).strip()
        rest = " ".join(str(record.get(c) or "").strip() for c in also).strip()
        label = str(record.get(label_col) or "").strip()
        if not (text or rest):
            report.skipped["no text"] += 1
        elif not label:
            report.skipped["no department"] += 1
        else:
            report.used += 1
            yield (f"{text}{TITLE_END}{rest}" if also else text), label


def read_typed(path, text_cols, type_col, fmt=None, report=None):
    """Yield ``(title, description, request type)``: the first text column is the title, the
    others joined are the description; the type as a code (``投诉`` or ``complaint``). A row with
    no text or whose type is none of a citizen's request types is skipped and counted."""
    from shared.contract.request_types import CITIZEN_REQUEST_TYPES, parse

    text_cols = split_columns(text_cols)
    report = report if report is not None else HistoryReport()
    for text, given in read_history(path, text_cols[:1], type_col, fmt, report, also=text_cols[1:]):
        title, _, description = text.partition(TITLE_END)
        kind = parse(given)
        if kind not in CITIZEN_REQUEST_TYPES:
            report.used -= 1
            report.skipped["no request type"] += 1
            continue
        yield title, description, kind


def count_rows(path, fmt=None):
    """Data rows in the file (for a progress bar); ``None`` for a file that cannot be read
    (reading it says why)."""
    try:
        with open(path, encoding=guess_encoding(path), newline="") as handle:
            if guess_format(path, fmt) == "csv":
                return max(0, sum(1 for _ in csv.reader(handle)) - 1)
            return sum(1 for line in handle if line.strip())
    except (UnicodeDecodeError, csv.Error):
        return None


def merge_rare(texts, labels, min_rows, other="other"):
    """Labels with fewer than ``min_rows`` examples become ``other``; too few even then are dropped.

    Returns ``(texts, labels, notes)`` where notes say what happened to whom.
    """
    counts = Counter(labels)
    rare = sorted(label for label, n in counts.items() if n < min_rows)
    notes = []
    if not rare:
        return list(texts), list(labels), notes
    merged = [other if label in rare else label for label in labels]
    if Counter(merged)[other] >= min_rows:
        notes.append(f"{len(rare)} department(s) with fewer than {min_rows} rows merged into "
                     f"'{other}': {', '.join(f'{r} ({counts[r]})' for r in rare)}")
        return list(texts), merged, notes
    keep = [i for i, label in enumerate(labels) if label not in rare]
    notes.append(f"{len(rare)} department(s) with fewer than {min_rows} rows dropped "
                 f"({sum(counts[r] for r in rare)} rows): {', '.join(f'{r} ({counts[r]})' for r in rare)}")
    return [texts[i] for i in keep], [labels[i] for i in keep], notes
