"""A user's own training data, for the zoo's three tasks, read into the splits
the trainers take; a problem in the data is a one-line ``DataError`` naming the
file and, where there is one, the line or column.

* ``classification``: a ``.csv`` (Python's csv module: quoted commas and line
  breaks), a ``.tsv`` (tab-separated, no quoting, as GLUE) or a ``.jsonl`` /
  ``.json`` (a JSON object per line, or one JSON array of objects), each with a
  text and a label column; or a folder with one sub-folder of ``.txt`` files
  per label (``folder/pos/*.txt``, ``folder/neg/*.txt``: every sub-folder
  holding ``.txt`` files is a label). Texts stay raw: all preprocessing is in
  the model. Labels stay strings: ``label_names`` is their sorted list and the
  split's labels index it.
* ``text`` (a character language model): a UTF-8 text file, or a folder of
  ``.txt`` files, read recursively in sorted relative-path order and joined
  with a line break.
* ``translation``: a ``.tsv`` / ``.txt`` with source and target columns, named
  by a header (``source``/``target`` or ``src``/``tgt``) or, without one, the
  first two (the manythings.org format: a third column is ignored); or a
  manythings.org/anki ``.zip``.
* any task: ``tfds:NAME`` or ``tfds:NAME:CONFIG``, a tensorflow-datasets
  dataset, whose feature keys the column names name.

Splits not given as files (nor by tfds) are cut from the data the same way on
every machine and for any order of its rows: the examples sorted by the sha1
of their text (the source sentence for translation), then of the whole example,
then position, as in ``tatoeba.split_pairs``; the first 10% (rounded, at least
one) are test, the next 10% validation, the rest train. For ``text``,
validation is the last 10% of the characters, from a line break near there,
and test is the same text unless given.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as root:
...     path = Path(root) / "reviews.csv"
...     _ = path.write_text("review,sentiment\\n" + "".join(f'"film {i}, fine",{i % 2}\\n' for i in range(20)))
...     data = load_own("classification", str(path))
>>> data.label_names, data.columns, data.counts
(['0', '1'], {'text': 'review', 'label': 'sentiment'}, {'train': 16, 'validation': 2, 'test': 2})
>>> data.splits["test"]
(['film 7, fine', 'film 3, fine'], array([1, 1]))
>>> data.split
'test: the 10% of examples first by sha1 of the text; validation: the next 10%; train: the rest (order-independent)'
"""

import csv
import hashlib
import json
import socket
import sys
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from .sources import DataError, sha256sum
from .tatoeba import read_member, split_pairs

TASKS = ("classification", "text", "translation")
TASK_FORMATS = {
    "classification": ".csv or .tsv with a header, or .jsonl (a JSON object per line), with a text and a label "
                      "column; or a folder with one sub-folder of .txt files per label; or tfds:NAME[:CONFIG]",
    "text": "a UTF-8 text file, or a folder of .txt files (read recursively); or tfds:NAME[:CONFIG]",
    "translation": ".tsv or .txt, source<TAB>target per line (a header naming source/target is optional), "
                   "or a manythings.org/anki .zip; or tfds:NAME[:CONFIG]",
}
TEXT_NAMES = ("text", "sentence", "review", "content", "document")
LABEL_NAMES = ("label", "class", "sentiment", "category", "target")
SOURCE_NAMES = ("source", "src")
TARGET_NAMES = ("target", "tgt")
EXTENSIONS = {"classification": (".csv", ".tsv", ".jsonl", ".json"), "translation": (".tsv", ".txt", ".zip")}
BINARY = (".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".tar", ".parquet", ".pkl", ".npy", ".npz", ".xlsx", ".pdf")
MAX_LABELS = 1000
TFDS_HOST = ("storage.googleapis.com", 443)
TIMEOUT_S = 5


@dataclass
class OwnData:
    """What ``load_own`` read. ``splits``: ``{"train", "validation", "test"}``
    (classification: ``(texts, labels)``, labels an int64 array indexing
    ``label_names``; text: a str; translation: a list of ``(source, target)``).
    ``files``: a record per input (role, path, sha256, examples); ``split``:
    a sentence saying how the splits were made; ``columns``: the columns read;
    ``counts``: examples per split (characters for text)."""

    splits: dict
    label_names: list
    files: list
    split: str
    columns: dict
    counts: dict


@dataclass
class _Read:  # one input: its examples per split (a file has only "train"), columns and record
    splits: dict
    columns: dict
    record: dict
    name: str


def load_own(task, data, *, validation_data=None, test_data=None, text_column=None, label_column=None):
    """Reads ``data`` (a file, a folder or ``tfds:NAME[:CONFIG]``) for ``task``
    and the optional ``validation_data`` / ``test_data`` files into ``OwnData``.

    ``text_column`` / ``label_column`` name the text and label columns (for
    translation: the source and target columns); by default they are found by
    name (the first of ``TEXT_NAMES`` / ``LABEL_NAMES`` present, case-insensitive).
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    for role, value in (("validation_data", validation_data), ("test_data", test_data)):
        if value is not None and str(value).startswith("tfds:"):
            raise DataError(f"{role} {value}: tfds: datasets are accepted only as the data; give a file or folder")
    explicit = {"text": text_column, "label": label_column}
    if str(data).startswith("tfds:"):
        main = _read_tfds(task, str(data)[len("tfds:"):], text_column, label_column)
    else:
        main = _read_path(task, data, explicit, None, "data")
    given = {}
    for role, value in (("validation", validation_data), ("test", test_data)):
        if value is not None:
            given[role] = _read_path(task, value, explicit, main.columns, role)

    label_names = []
    if task == "classification":
        label_names = _check_labels(main, given)
    if task == "text":
        splits, how = _split_text(main, given)
        counts = {k: len(v) for k, v in splits.items()}
    else:
        splits, how = _split_examples(main, given)
        counts = {k: len(v) for k, v in splits.items()}
        if task == "classification":
            index = {name: i for i, name in enumerate(label_names)}
            splits = {k: ([t for t, _ in v], np.array([index[y] for _, y in v], dtype="int64"))
                      for k, v in splits.items()}

    carved = any(h.startswith("carved") for h in how.values())
    files = [{"role": "data" if carved or "tfds" in main.record else "train", **main.record}]
    files += [{"role": role, **given[role].record} for role in ("validation", "test") if role in given]
    return OwnData(splits=splits, label_names=label_names, files=files, split=_describe(task, how, main),
                   columns=dict(main.columns), counts=counts)


# ---------------------------------------------------------------- splitting

def _fraction(n):
    """10% of ``n``, rounded half up, at least 1.

    >>> [_fraction(n) for n in (1, 14, 15, 100)]
    [1, 1, 2, 10]
    """
    return max(1, (n + 5) // 10)


def _split_examples(main, given):
    """The three splits of a pair task (classification, translation) and how
    each was made: "given", "tfds" or "carved"."""
    pool = main.splits["train"]
    how = {}
    for role in ("test", "validation"):
        how[role] = "given" if role in given else "tfds" if role in main.splits else "carved"
    sizes = {role: _fraction(len(pool)) if how[role] == "carved" else 0 for role in how}
    if sizes["test"] + sizes["validation"] >= len(pool):
        raise DataError(f"{main.name} has only {len(pool)} example(s): too few to cut "
                        f"{' and '.join(r for r in ('validation', 'test') if sizes[r])} from "
                        f"(give more, or validation_data and test_data)")
    parts = split_pairs(pool, sizes["test"], sizes["validation"])
    for role in ("test", "validation"):
        if how[role] != "carved":
            parts[role] = (given[role].splits["train"] if role in given else main.splits[role])
    return parts, how


def _split_text(main, given):
    """The three splits of the text task, and how each was made."""
    train = main.splits["train"]
    how = {"validation": "given" if "validation" in given else "tfds" if "validation" in main.splits else "carved"}
    if how["validation"] == "carved":
        cut, at_line = _text_cut(train)
        if cut <= 0:
            raise DataError(f"{main.name} has only {len(train)} character(s): too few to cut validation from")
        train, validation = train[:cut], train[cut:]
        how["validation"] = "carved" if at_line else "carved-mid-line"
    elif how["validation"] == "given":
        validation = given["validation"].splits["train"]
    else:
        validation = main.splits["validation"]
    if "test" in given:
        how["test"], test = "given", given["test"].splits["train"]
    elif "test" in main.splits:
        how["test"], test = "tfds", main.splits["test"]
    else:
        how["test"], test = "same", validation
    return {"train": train, "validation": validation, "test": test}, how


def _text_cut(text):
    """``(cut, at_line)``: where validation starts, the last 10% of ``text``
    (at least one character); moved to just after the line break nearest
    there among those in the last 20%, if any.

    >>> _text_cut("a" * 85 + "\\n" + "b" * 14)   # the target is 90
    (86, True)
    >>> _text_cut("x" * 50)
    (45, False)
    """
    n = len(text)
    target, low = n - _fraction(n), max(n - 2 * _fraction(n), 0)
    cuts = [i + 1 for i in (text.rfind("\n", low, target), text.find("\n", target, n - 1)) if i >= 0]
    if not cuts:
        return target, False
    return min(cuts, key=lambda c: (abs(c - target), c)), True


def _describe(task, how, main):
    """One sentence on how the splits were made, for the model card.

    >>> _describe("translation", {"test": "given", "validation": "carved"}, None)  # doctest: +ELLIPSIS
    'test: the given file; validation: the 10% of examples first by sha1 of the source sentence; train: the rest ...'
    >>> _describe("text", {"validation": "carved", "test": "same"}, None)
    'validation: the last 10% of the characters, from a line break; test: the same text as validation; train: the rest'
    """
    source = {"given": "the given file", "tfds": "the tfds split '{}'"}
    train_from = "the tfds split 'train'" if main is not None and "tfds" in main.record else "the data"
    parts = []
    if task == "text":
        v, t = how["validation"], how["test"]
        if v.startswith("carved"):
            parts.append("validation: the last 10% of the characters"
                         + (", from a line break" if v == "carved" else " (no line break near there)"))
        if t == "same" and not v.startswith("carved"):
            parts.append(f"validation and test: {source[v].format('validation')}")
        else:
            if not v.startswith("carved"):
                parts.append(f"validation: {source[v].format('validation')}")
            parts.append("test: the same text as validation" if t == "same" else f"test: {source[t].format('test')}")
        parts.append(f"train: the rest of {train_from}" if v.startswith("carved") else f"train: all of {train_from}")
        return "; ".join(parts).replace("the rest of the data", "the rest")
    by = "the source sentence" if task == "translation" else "the text"
    if how["test"] == how["validation"] == "given":
        parts.append("validation and test: the given files")
    else:
        first = True
        for role in ("test", "validation"):
            if how[role] == "carved":
                parts.append(f"{role}: the 10% of examples first by sha1 of {by}" if first else f"{role}: the next 10%")
                first = False
            else:
                parts.append(f"{role}: {source[how[role]].format(role)}")
    if "carved" in how.values():
        parts.append("train: the rest (order-independent)" if train_from == "the data"
                     else f"train: the rest of {train_from} (order-independent)")
    else:
        parts.append(f"train: all of {train_from}")
    return "; ".join(parts)


# ---------------------------------------------------------------- labels

def _check_labels(main, given):
    """The sorted label names of the data, after checking their number and
    that the given validation and test files use no others."""
    counts = {}
    for examples in main.splits.values():
        for _, label in examples:
            counts[label] = counts.get(label, 0) + 1
    column = main.columns.get("label")
    what = f"label column {column!r} of {main.name}" if column else f"the labels of {main.name}"
    if len(counts) == 1:
        raise DataError(f"only one label {next(iter(counts))!r} in {main.name}: need at least two")
    n = sum(counts.values())
    if len(counts) > MAX_LABELS or (len(counts) > 100 and len(counts) > n / 2):
        raise DataError(f"{what} has {len(counts):,} distinct values "
                        f"(in {n:,} examples): is it the right column?")
    names = sorted(counts)
    for role, read in given.items():
        unseen = sorted({label for _, label in read.splits["train"]} - set(counts))
        if unseen:
            shown = ", ".join(repr(u) for u in unseen[:10]) + (", ..." if len(unseen) > 10 else "")
            raise DataError(f"{read.name} ({role}) has label(s) {shown} not in the data {main.name} "
                            f"(its labels: {', '.join(repr(x) for x in names[:20])})")
    return names


# ---------------------------------------------------------------- files and folders

def _read_path(task, value, explicit, prefer, role):
    """One input file or folder, as ``_Read`` with its examples under "train"."""
    path = Path(value).expanduser()
    what = "data" if role == "data" else f"{role}_data"
    if not path.exists():
        raise DataError(f"{what} {path} not found: give a file or folder ({TASK_FORMATS[task]})")
    path = path.resolve()
    name = str(path)
    if path.is_dir():
        if task == "classification":
            examples, files = _read_label_folders(path)
            columns = {}
        elif task == "text":
            examples, files = _read_text_folder(path)
            columns = {}
        else:
            raise DataError(f"{path} is a folder: translation takes a .tsv/.txt file or a .zip "
                            f"({TASK_FORMATS[task]})")
        record = {"path": name, "sha256": _folder_sha256(path, files), "examples": len(examples)}
        return _Read({"train": examples}, columns, record, name)

    suffix = path.suffix.lower()
    if task == "text":
        if suffix in BINARY:
            raise DataError(f"{path}: a {suffix} file is not accepted for the text task: "
                            f"give a UTF-8 text file or a folder of .txt files")
        examples, columns = _decode(_read_bytes(path), path), {}
        if not examples.strip():
            raise DataError(f"{path} is empty: the text task needs some text")
    elif suffix not in EXTENSIONS[task]:
        raise DataError(f"{path}: unknown extension {suffix or '(none)'!r} for {task}: "
                        f"accepted {', '.join(EXTENSIONS[task])} (or a folder; see {TASK_FORMATS[task]})")
    elif task == "classification":
        names = _column_choices(explicit, prefer)
        if suffix in (".jsonl", ".json"):
            examples, columns = _read_jsonl(path, names)
        else:
            examples, columns = _read_table(path, "," if suffix == ".csv" else "\t", names)
    else:
        examples, columns = _read_translation(path, explicit, prefer)
    return _Read({"train": examples}, columns, {"path": name, "sha256": sha256sum(path), "examples": len(examples)},
                 name)


def _read_bytes(path):
    try:
        return path.read_bytes()
    except OSError as e:
        raise DataError(f"cannot read {path} ({e.strerror or e})") from e


def _decode(raw, name):
    """``raw`` as text (a UTF-8 byte order mark is dropped); else a DataError
    giving the line and byte offset of the first bad byte.

    >>> _decode(b"ok\\nbad \\xff", "f.txt")
    Traceback (most recent call last):
    ...
    training.data.sources.DataError: f.txt is not UTF-8 text: byte 0xff at line 2 (byte offset 7); save it as UTF-8
    """
    skip = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        return raw[skip:].decode("utf-8")
    except UnicodeDecodeError as e:
        offset = e.start + skip
        line = raw[:offset].count(b"\n") + 1
        raise DataError(f"{name} is not UTF-8 text: byte 0x{raw[offset]:02x} at line {line} "
                        f"(byte offset {offset}); save it as UTF-8") from None


def _read_file_text(path):
    return _decode(_read_bytes(path), path)


def _folder_sha256(root, files):
    """The sha256 over the sorted relative paths and bytes of ``files`` (those read)."""
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.relative_to(root).as_posix()):
        data = file.read_bytes()
        digest.update(f"{file.relative_to(root).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _hidden(path):
    """Hidden files and folders, and the __MACOSX folder of zips made on a Mac."""
    return path.name.startswith(".") or path.name == "__MACOSX"


def _txt_files(folder):
    return sorted(f for f in folder.glob("*.txt") if f.is_file() and not _hidden(f))


def _read_label_folders(root):
    """``[(text, label)]`` from ``root/<label>/*.txt``, and the files read."""
    subs = sorted(p for p in root.iterdir() if p.is_dir() and not _hidden(p))
    nested = [s.name for s in subs if any(_txt_files(q) for q in s.iterdir() if q.is_dir() and not _hidden(q))]
    if nested:
        first = "train" if "train" in nested else nested[0]
        raise DataError(f"{root}: sub-folder(s) {', '.join(nested)} hold folders of .txt files, so it looks like "
                        f"a dataset root, not one sub-folder per label: give {root / first} as the data "
                        f"(and the others as validation_data / test_data)")
    labels = {sub.name: _txt_files(sub) for sub in subs if _txt_files(sub)}
    if len(labels) < 2:
        found = f" ({', '.join(repr(k) for k in labels)})" if labels else ""
        raise DataError(f"{root} has {len(labels)} sub-folder(s) with .txt files{found}: need one per label, "
                        f"at least two")
    examples, read = [], []
    for label, files in labels.items():
        for file in files:
            text = _read_file_text(file)
            if not text.strip():
                raise DataError(f"{file} is empty: each .txt file is one example")
            examples.append((text, label))
            read.append(file)
    return examples, read


def _read_text_folder(root):
    """The ``.txt`` files under ``root``, in sorted relative-path order, joined
    with a line break; and the files read."""
    files = sorted((f for f in root.rglob("*.txt") if f.is_file()
                    and not any(_hidden(p) for p in f.relative_to(root).parents if p.name) and not _hidden(f)),
                   key=lambda f: f.relative_to(root).as_posix())
    if not files:
        raise DataError(f"{root} holds no .txt files: the text task takes a text file or a folder of .txt files")
    text = "\n".join(_read_file_text(f) for f in files)
    if not text.strip():
        raise DataError(f"{root}: its .txt files are empty")
    return text, files


# ---------------------------------------------------------------- tables

def _column_choices(explicit, prefer):
    """``{"text": (names...), "label": (names...)}``: an explicit name alone;
    else the data's columns (for its validation and test files), then the usual names."""
    choices = {}
    for key, usual in (("text", TEXT_NAMES), ("label", LABEL_NAMES)):
        if explicit.get(key):
            choices[key] = (explicit[key], True)
        else:
            choices[key] = (tuple(n for n in ((prefer or {}).get(key),) if n) + usual, False)
    return choices


def _find_columns(header, choices, path, where="column"):
    """The index of each column of ``choices`` in ``header`` (case-insensitive)."""
    folded = [h.strip().casefold() for h in header]
    found = {}
    for key, (names, strict) in choices.items():
        names = (names,) if strict else names
        for wanted in names:
            if wanted in header:
                found[key] = header.index(wanted)
                break
            if wanted.strip().casefold() in folded:
                found[key] = folded.index(wanted.strip().casefold())
                break
        else:
            present = ", ".join(repr(h) for h in header[:30]) + (", ..." if len(header) > 30 else "")
            hint = ""
            if len(header) == 1 and ";" in header[0]:
                hint = " (separated by ';'? a .csv is read with ',')"
            if strict:
                raise DataError(f"{path} has no {where} {names[0]!r} (the {key} {where}); {where}s: {present}{hint}")
            option = {"text": "text_column", "label": "label_column",
                      "source": "text_column", "target": "label_column"}[key]
            raise DataError(f"{path} has no {key} {where} (looked for {', '.join(dict.fromkeys(names))}); "
                            f"{where}s: {present}{hint}: name it with {option}")
    if len(set(found.values())) < len(found):
        raise DataError(f"{path}: the same {where} {header[next(iter(found.values()))]!r} is named for "
                        f"{' and '.join(found)}")
    return found


def _csv_rows(text, delimiter):
    """``(line, fields)`` of each non-blank record; ``line``: where it starts.
    A .tsv is split at tabs, with no quoting (as GLUE and manythings.org)."""
    if delimiter == "\t":
        for number, line in enumerate(text.split("\n"), 1):
            line = line.rstrip("\r")
            if line.strip():
                yield number, line.split("\t")
        return
    csv.field_size_limit(min(sys.maxsize, 2 ** 31 - 1))  # a long document is one field
    reader = csv.reader(_lines(text))
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise _LineError(start, f"not CSV ({e})") from e
        if any(cell.strip() for cell in row):
            yield start, row


def _lines(text):
    """The lines of ``text`` with their endings, split at \\n only (so \\r\\n,
    but not the other line breaks of str.splitlines, ends a line)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


class _LineError(Exception):
    def __init__(self, line, message):
        super().__init__(message)
        self.line = line


def _read_table(path, delimiter, choices):
    """``[(text, label)]`` from a .csv / .tsv with a header, and the columns used."""
    text = _read_file_text(path)
    rows = _csv_rows(text, delimiter)
    try:
        first = next(rows, None)
        if first is None:
            raise DataError(f"{path} is empty: give a header line and one example per line")
        _, header = first
        header = [h.strip() for h in header]
        index = _find_columns(header, choices, path)
        examples = []
        for line, row in rows:
            if len(row) != len(header):
                hint = ("an unclosed quote?" if any("\n" in cell for cell in row) else
                        "" if len(row) < len(header) else "a tab in a text?" if delimiter == "\t" else
                        "an unquoted comma?")
                raise DataError(f"{path} line {line} has {len(row)} field(s), the header has {len(header)}"
                                + (f" ({hint})" if hint else ""))
            examples.append(_cells(row, index, header, path, line))
    except _LineError as e:
        raise DataError(f"{path} line {e.line}: {e}") from None
    if not examples:
        raise DataError(f"{path} has a header but no examples")
    return examples, {k: header[i] for k, i in index.items()}


def _cells(row, index, header, path, line):
    """The cells of ``row`` named by ``index``, in its order; a label is stripped."""
    out = []
    for key, i in index.items():
        if not row[i].strip():
            raise DataError(f"{path} line {line}: empty {key} in column {header[i]!r}")
        out.append(row[i].strip() if key == "label" else row[i])
    return tuple(out)


def _read_jsonl(path, choices):
    """``[(text, label)]`` from JSON Lines (or one JSON array of objects)."""
    text = _read_file_text(path)
    if not text.strip():
        raise DataError(f"{path} is empty: give one JSON object per line")
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as e:
            raise DataError(f"{path} line {e.lineno}: not JSON ({e.msg}); give one JSON object per line "
                            f"or an array of objects") from None
        records = [(f"item {i}", item) for i, item in enumerate(items, 1)]
    else:
        records = []
        for number, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                records.append((f"line {number}", json.loads(line)))
            except json.JSONDecodeError as e:
                raise DataError(f"{path} line {number}: not JSON ({e.msg}); give one JSON object per line") from None
    keys = {}
    for where, item in records:
        if not isinstance(item, dict):
            raise DataError(f"{path} {where}: not a JSON object but {type(item).__name__}; "
                            f"give one object per line, e.g. {{\"text\": ..., \"label\": ...}}")
        keys.update(dict.fromkeys(item))
    header = [str(k) for k in keys]
    index = _find_columns(header, choices, path, where="key")
    columns = {k: header[i] for k, i in index.items()}
    examples = []
    for where, item in records:
        if columns["text"] not in item or columns["label"] not in item:
            missing = columns["text"] if columns["text"] not in item else columns["label"]
            raise DataError(f"{path} {where}: no key {missing!r} (keys: {', '.join(map(repr, item))})")
        value = item[columns["text"]]
        if not isinstance(value, str):
            raise DataError(f"{path} {where}: text {columns['text']!r} is {type(value).__name__}, not a string")
        if not value.strip():
            raise DataError(f"{path} {where}: empty text in key {columns['text']!r}")
        examples.append((value, _label_string(item[columns["label"]], f"{path} {where}", columns["label"])))
    return examples, columns


def _label_string(value, where, key):
    """A JSON label as a string: booleans "true"/"false", integers ``str``.

    >>> [_label_string(v, "f", "y") for v in ("pos", True, 3, 2.0)]
    ['pos', 'true', '3', '2']
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and value.strip():
        return value.strip()
    if value is None or isinstance(value, str):
        raise DataError(f"{where}: empty label in key {key!r}")
    raise DataError(f"{where}: label {key!r} is {type(value).__name__} {value!r}: give a string, "
                    f"an integer or a boolean")


def _read_translation(path, explicit, prefer):
    """``[(source, target)]`` from a .tsv / .txt or a manythings.org .zip, and the columns used."""
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                members = [n for n in archive.namelist()
                           if n.lower().endswith(".txt") and PurePosixPath(n).name != "_about.txt"
                           and not any(part.startswith(".") or part == "__MACOSX" for part in PurePosixPath(n).parts)]
        except (zipfile.BadZipFile, OSError) as e:
            raise DataError(f"{path} is not a readable zip ({e})") from e
        if len(members) != 1:
            raise DataError(f"{path} holds {len(members)} .txt files besides _about.txt "
                            f"({', '.join(members[:5])}): need exactly one, as in the manythings.org zips")
        text = read_member(path, PurePosixPath(members[0]).name)
        name = f"{path}:{members[0]}"
    else:
        text, name = _read_file_text(path), path
    rows = list(_csv_rows(text, "\t"))
    if not rows:
        raise DataError(f"{name} is empty: give one source<TAB>target pair per line")
    header = [h.strip() for h in rows[0][1]]
    named = {"source": explicit.get("text"), "target": explicit.get("label")}
    folded = [h.casefold() for h in header]
    if any(named.values()):
        choices = {k: ((v, True) if v else (usual, False))
                   for (k, v), usual in zip(named.items(), (SOURCE_NAMES, TARGET_NAMES))}
    else:
        choices = {"source": (tuple(n for n in ((prefer or {}).get("source"),) if n) + SOURCE_NAMES, False),
                   "target": (tuple(n for n in ((prefer or {}).get("target"),) if n) + TARGET_NAMES, False)}
    has_header = any(named.values()) or (any(n.casefold() in folded for n in choices["source"][0])
                                         and any(n.casefold() in folded for n in choices["target"][0]))
    if has_header:
        index = _find_columns(header, choices, name)
        columns = {k: header[i] for k, i in index.items()}
        body = rows[1:]
    else:
        index, columns, body = {"source": 0, "target": 1}, {"source": "column 1", "target": "column 2"}, rows
    examples = []
    for line, row in body:
        if has_header and len(row) != len(header):
            raise DataError(f"{name} line {line} has {len(row)} field(s), the header has {len(header)}")
        if len(row) < 2:
            raise DataError(f"{name} line {line} has 1 field: need source<TAB>target")
        examples.append(_cells(row, index, header if has_header else ["column 1", "column 2"], name, line))
    if not examples:
        raise DataError(f"{name} has a header but no examples")
    return examples, columns


# ---------------------------------------------------------------- tensorflow-datasets

def _read_tfds(task, spec, text_column, label_column):
    """The splits of ``tfds:NAME[:CONFIG]`` that the dataset has (train, and
    validation and test if present), as ``_Read``."""
    name, _, config = spec.partition(":")
    full = f"{name}/{config}" if config else name
    label = f"tfds:{spec}"
    if not name:
        raise DataError(f"{label}: give tfds:NAME or tfds:NAME:CONFIG")
    try:
        import tensorflow_datasets as tfds
    except ImportError as e:
        raise DataError(f"{label} needs tensorflow-datasets: pip install tensorflow-datasets") from e
    try:
        builder = tfds.builder(full)
    except Exception as e:  # DatasetNotFoundError, a bad config, ...: tfds' messages span lines
        raise DataError(f"{label}: no such tensorflow-datasets dataset ({_first_line(e)})") from e
    if not builder.is_prepared():
        if not _mocked(builder):
            _check_online(label)
        try:
            builder.download_and_prepare()
        except Exception as e:
            raise DataError(f"{label}: tensorflow-datasets could not download and prepare it "
                            f"({_first_line(e)})") from e
    available = set(builder.info.splits.keys())  # empty when unknown (as under tfds.testing.mock_data)
    if available and "train" not in available:
        raise DataError(f"{label} has no 'train' split (splits: {', '.join(sorted(available))})")
    features = builder.info.features
    keys = list(features.keys()) if hasattr(features, "keys") else []
    supervised = tuple(builder.info.supervised_keys or ()) if isinstance(builder.info.supervised_keys, tuple) else ()

    def pick(given, defaults, role, option):
        if given:
            if given not in keys:
                raise DataError(f"{label} has no feature {given!r} (features: {', '.join(keys)})")
            return given
        for key in defaults:
            if key in keys:
                return key
        raise DataError(f"{label}: no {role} feature among {', '.join(keys)}: name it with {option}")

    sup = [k for k in supervised if isinstance(k, str)]
    if task == "classification":
        columns = {"text": pick(text_column, sup[:1] + list(TEXT_NAMES[:4]), "text", "text_column"),
                   "label": pick(label_column, sup[1:2] + ["label"], "label", "label_column")}
    elif task == "text":
        columns = {"text": pick(text_column, list(TEXT_NAMES) + sup[:1], "text", "text_column")}
    else:
        columns = {"source": pick(text_column, sup[:1] + list(SOURCE_NAMES), "source", "text_column"),
                   "target": pick(label_column, sup[1:2] + list(TARGET_NAMES), "target", "label_column")}
    class_names = None
    if task == "classification" and isinstance(features[columns["label"]], tfds.features.ClassLabel):
        class_names = features[columns["label"]].names

    splits, skipped = {}, 0
    for split in ("train", "validation", "test"):
        if split != "train" and split not in available:
            continue
        examples = []
        for example in tfds.as_numpy(builder.as_dataset(split=split)):
            values = [_tfds_string(example[columns[k]], label, columns[k]) for k in columns if k != "label"]
            if not all(v.strip() for v in values):
                skipped += 1
                continue
            if task == "classification":
                y = example[columns["label"]]
                values.append(class_names[int(y)] if class_names else _tfds_string(y, label, columns["label"]))
            examples.append(tuple(values))
        if not examples:
            raise DataError(f"{label} split {split!r} has no examples with text")
        splits[split] = "\n".join(t for (t,) in examples) if task == "text" else examples
    if skipped:
        warnings.warn(f"{label}: skipped {skipped} example(s) with an empty text", stacklevel=3)
    n = sum(len(v) for v in splits.values())
    return _Read(splits, columns, {"tfds": spec, "examples": n}, label)


def _tfds_string(value, label, key):
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as e:
            raise DataError(f"{label}: feature {key!r} holds bytes that are not UTF-8 ({e})") from None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, np.ndarray) and value.shape:
        raise DataError(f"{label}: feature {key!r} is a sequence, not a text or a single label")
    if isinstance(value, (np.integer, int)):
        return str(int(value))
    return str(value)


def _first_line(e):
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _mocked(builder):
    """True under ``tfds.testing.mock_data``, whose download_and_prepare is a no-op."""
    return getattr(type(builder).download_and_prepare, "__module__", "").startswith("tensorflow_datasets.testing")


def _check_online(label):
    """tfds retries for minutes offline: fail fast instead."""
    try:
        socket.create_connection(TFDS_HOST, timeout=TIMEOUT_S).close()
    except OSError as e:
        raise DataError(f"cannot reach {TFDS_HOST[0]} to download {label} (offline? {e}): "
                        f"prepare it with tensorflow-datasets where online, or give the data as a file") from e
