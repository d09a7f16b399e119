"""training.data.own: a user's own data for the three tasks, on tiny files made
here; every bad-data case is a one-line DataError naming the file and line."""

import hashlib
import json
import random
import re
import signal
import socket
import threading
import zipfile

import numpy as np
import pytest

from training.data.own import TASK_FORMATS, OwnData, load_own
from training.data.sources import DataError


def raises(pattern, path=None):
    """``pytest.raises(DataError)`` whose message matches ``pattern`` (and names ``path``)."""
    pattern = re.escape(str(path)) + ".*" + pattern if path is not None else pattern
    return pytest.raises(DataError, match=pattern)


def one_line(error):
    assert "\n" not in str(error.value)
    return str(error.value)


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def csv_reviews(n=30, labels=("neg", "pos", "neutral")):
    """Rows with quoted commas, quotes and a line break in a text."""
    rows = [f'"Film {i}, rated ""{labels[i % len(labels)]}""",{labels[i % len(labels)]}' for i in range(n)]
    rows[4] = '"A long one,\nover two lines<br />raw",pos'
    return rows


def splits_as_sets(data):
    out = {}
    for name, split in data.splits.items():
        if isinstance(split, tuple):
            texts, labels = split
            out[name] = sorted(zip(texts, (data.label_names[i] for i in labels)))
        else:
            out[name] = sorted(split) if isinstance(split, list) else split
    return out


# ---------------------------------------------------------------- classification

def test_csv_three_labels_with_quoted_commas(tmp_path):
    path = write(tmp_path / "reviews.csv", "Review,Sentiment,id\n" + "".join(
        f"{row},{i}\n" for i, row in enumerate(csv_reviews())))
    data = load_own("classification", str(path))
    assert isinstance(data, OwnData)
    assert data.label_names == ["neg", "neutral", "pos"]
    assert data.columns == {"text": "Review", "label": "Sentiment"}
    assert data.counts == {"train": 24, "validation": 3, "test": 3}
    texts = [t for split in data.splits.values() for t in split[0]]
    assert len(set(texts)) == 30
    assert "A long one,\nover two lines<br />raw" in texts  # raw: no preprocessing
    assert 'Film 0, rated "neg"' in texts
    for texts, labels in data.splits.values():
        assert labels.dtype == np.int64 and len(texts) == len(labels)
    assert data.files == [{"role": "data", "path": str(path.resolve()),
                           "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "examples": 30}]
    assert data.split.startswith("test: the 10% of examples first by sha1 of the text; validation: the next 10%")


def test_split_is_order_independent(tmp_path):
    rows = [f"text number {i},{'ab'[i % 2]}" for i in range(57)]
    first = load_own("classification", str(write(tmp_path / "a.csv", "text,label\n" + "\n".join(rows))))
    random.Random(1).shuffle(rows)
    second = load_own("classification", str(write(tmp_path / "b.csv", "label_x,text,label\n" + "\n".join(
        "x," + r for r in rows))))
    assert splits_as_sets(first) == splits_as_sets(second)
    assert first.counts == {"train": 45, "validation": 6, "test": 6}
    for name, (texts, labels) in first.splits.items():  # the labels travel with their texts
        for text, label in zip(texts, labels):
            assert first.label_names[label] == "ab"[int(text.split()[-1]) % 2]


def test_numeric_labels_stay_strings_and_explicit_columns(tmp_path):
    path = write(tmp_path / "data.csv", "body,stars,label\n" + "".join(
        f"review {i},{i % 3 + 1},x{i % 2}\n" for i in range(20)))
    data = load_own("classification", str(path), text_column="body", label_column="stars")
    assert data.label_names == ["1", "2", "3"]
    assert data.columns == {"text": "body", "label": "stars"}
    auto = load_own("classification", str(path), text_column="BODY")  # case-insensitive; label found by name
    assert auto.columns == {"text": "body", "label": "label"} and auto.label_names == ["x0", "x1"]


def test_byte_order_mark_and_label_spaces(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfText,Label\r\n" + b"".join(b"t%d,%s \r\n" % (i, b"ab"[i % 2:i % 2 + 1])
                                                            for i in range(10)))
    data = load_own("classification", str(path))
    assert data.columns == {"text": "Text", "label": "Label"} and data.label_names == ["a", "b"]


def test_tsv_has_no_quoting(tmp_path):
    path = write(tmp_path / "sst.tsv", "sentence\tlabel\r\n" + "".join(
        f'"quoted" start, {i}\t{i % 2}\r\n' for i in range(10)))
    data = load_own("classification", str(path))
    assert data.columns == {"text": "sentence", "label": "label"}
    assert sorted(data.splits["train"][0] + data.splits["validation"][0] + data.splits["test"][0])[0] \
        == '"quoted" start, 0'


def test_jsonl_labels_and_json_array(tmp_path):
    lines = [json.dumps({"content": f"text {i} é", "target": bool(i % 2), "extra": [1]}) for i in range(10)]
    data = load_own("classification", str(write(tmp_path / "d.jsonl", "\n".join(lines[:5]) + "\n\n"
                                                + "\n".join(lines[5:]) + "\n")))
    assert data.label_names == ["false", "true"] and data.columns == {"text": "content", "label": "target"}
    ints = [{"text": f"t{i}", "label": i % 2} for i in range(10)]
    data = load_own("classification", str(write(tmp_path / "d.json", json.dumps(ints, indent=1))))
    assert data.label_names == ["0", "1"] and sum(data.counts.values()) == 10


def test_label_folders(tmp_path):
    root = tmp_path / "train"
    for label, n in (("pos", 6), ("neg", 5), ("unsup", 3)):
        (root / label).mkdir(parents=True)
        for i in range(n):
            write(root / label / f"{i}_7.txt", f"{label} review {i}<br />raw")
    (root / "empty").mkdir()
    (root / ".ipynb_checkpoints").mkdir()
    write(root / ".ipynb_checkpoints" / "x.txt", "hidden: not a label")
    write(root / "pos" / ".hidden.txt", "hidden: not an example")
    write(root / "urls_pos.txt", "not an example")
    data = load_own("classification", str(root))
    assert data.label_names == ["neg", "pos", "unsup"]
    assert sum(data.counts.values()) == 14 and data.columns == {}
    texts, labels = data.splits["train"]
    for text, label in zip(texts, labels):
        assert text.startswith(data.label_names[label] + " review") and text.endswith("<br />raw")
    record = data.files[0]
    assert record["path"] == str(root.resolve()) and record["examples"] == 14
    write(root / "pos" / "notes.md", "ignored")
    assert load_own("classification", str(root)).files[0]["sha256"] == record["sha256"]
    write(root / "pos" / "0_7.txt", "changed")
    assert load_own("classification", str(root)).files[0]["sha256"] != record["sha256"]


def test_given_validation_and_test_files(tmp_path):
    data_path = write(tmp_path / "train.csv", "text,label\n" + "".join(f"t{i},{'ab'[i % 2]}\n" for i in range(20)))
    val = write(tmp_path / "val.csv", "text,label\nv1,a\nv2,b\n")
    test = write(tmp_path / "test.jsonl", '{"text": "q", "label": "b"}\n')
    both = load_own("classification", str(data_path), validation_data=str(val), test_data=str(test))
    assert both.counts == {"train": 20, "validation": 2, "test": 1}
    assert both.split == "validation and test: the given files; train: all of the data"
    assert [f["role"] for f in both.files] == ["train", "validation", "test"]
    assert both.files[2]["path"] == str(test.resolve()) and both.files[2]["examples"] == 1
    assert list(both.splits["test"][1]) == [1]
    only_test = load_own("classification", str(data_path), test_data=str(test))
    assert only_test.counts == {"train": 18, "validation": 2, "test": 1}
    assert only_test.split == ("test: the given file; validation: the 10% of examples first by sha1 of the text; "
                               "train: the rest (order-independent)")
    assert [f["role"] for f in only_test.files] == ["data", "test"]
    only_val = load_own("classification", str(data_path), validation_data=str(val))
    assert only_val.counts == {"train": 18, "validation": 2, "test": 2}


def test_given_file_uses_the_data_columns(tmp_path):
    data_path = write(tmp_path / "train.csv", "review,text,label\n" + "".join(
        f"r{i},t{i},{i % 2}\n" for i in range(10)))
    val = write(tmp_path / "val.csv", "label,text,review\n1,x,vr\n0,y,vs\n")
    data = load_own("classification", str(data_path), validation_data=str(val), text_column="review")
    assert sorted(data.splits["validation"][0]) == ["vr", "vs"]


# ---------------------------------------------------------------- text

def test_text_file_cut_at_a_line_break(tmp_path):
    text = "".join(f"line {i:03d} of the corpus\n" for i in range(100))
    data = load_own("text", str(write(tmp_path / "corpus.txt", text)))
    assert data.splits["train"] + data.splits["validation"] == text
    assert data.splits["validation"].startswith("line ") and data.splits["test"] == data.splits["validation"]
    assert abs(len(data.splits["validation"]) - len(text) / 10) < 25
    assert data.counts == {k: len(v) for k, v in data.splits.items()}
    assert data.split == ("validation: the last 10% of the characters, from a line break; "
                          "test: the same text as validation; train: the rest")
    assert data.columns == {} and data.label_names == [] and data.files[0]["examples"] == len(text)


def test_text_folder_and_given_test(tmp_path):
    root = tmp_path / "books"
    (root / "b").mkdir(parents=True)
    write(root / "b" / "2.txt", "second\n")
    write(root / "a.txt", "first")
    write(root / "b" / "1.txt", "between")
    write(root / "skip.md", "not read")
    test = write(tmp_path / "test.txt", "held out")
    data = load_own("text", str(root), test_data=str(test))
    assert data.splits["train"] + data.splits["validation"] == "first\nbetween\nsecond\n"
    assert data.splits["test"] == "held out"
    assert data.split.endswith("test: the given file; train: the rest")
    val = write(tmp_path / "val.txt", "valid")
    data = load_own("text", str(root), validation_data=str(val))
    assert data.splits["train"] == "first\nbetween\nsecond\n" and data.splits["test"] == "valid"
    assert data.split == "validation and test: the given file; train: all of the data"


def test_text_without_line_breaks(tmp_path):
    data = load_own("text", str(write(tmp_path / "one.txt", "x" * 100)))
    assert len(data.splits["validation"]) == 10 and "no line break" in data.split


# ---------------------------------------------------------------- translation

PAIRS = [(f"Source {i}.", f"Cible {i}.") for i in range(40)]


def test_translation_tsv_without_header(tmp_path):
    text = "".join(f"{s}\t{t}\tCC-BY 2.0 (France) Attribution\n" for s, t in PAIRS)
    data = load_own("translation", str(write(tmp_path / "fra.txt", text)))
    assert sorted(p for split in data.splits.values() for p in split) == sorted(PAIRS)
    assert data.counts == {"train": 32, "validation": 4, "test": 4}
    assert data.columns == {"source": "column 1", "target": "column 2"}
    assert "sha1 of the source sentence" in data.split
    shuffled = [f"{s}\t{t}" for s, t in PAIRS]
    random.Random(0).shuffle(shuffled)
    again = load_own("translation", str(write(tmp_path / "shuffled.tsv", "\n".join(shuffled))))
    assert splits_as_sets(again) == splits_as_sets(data)


def test_translation_headers(tmp_path):
    for header, columns in (("SOURCE\ttarget", {"source": "SOURCE", "target": "target"}),
                            ("note\ttgt\tsrc", {"source": "src", "target": "tgt"})):
        body = [f"{s}\t{t}" if header.startswith("S") else f"n\t{t}\t{s}" for s, t in PAIRS]
        data = load_own("translation", str(write(tmp_path / "p.tsv", header + "\n" + "\n".join(body))))
        assert data.columns == columns
        assert sorted(p for split in data.splits.values() for p in split) == sorted(PAIRS)
    path = write(tmp_path / "named.tsv", "en\tes\n" + "\n".join(f"{s}\t{t}" for s, t in PAIRS))
    data = load_own("translation", str(path), text_column="en", label_column="es")
    assert data.columns == {"source": "en", "target": "es"} and sum(data.counts.values()) == 40


def test_translation_zip(tmp_path):
    path = tmp_path / "deu-eng.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("_about.txt", "about")
        archive.writestr("deu.txt", "".join(f"{s}\t{t}\tCC-BY\n" for s, t in PAIRS))
    data = load_own("translation", str(path))
    assert sorted(p for split in data.splits.values() for p in split) == sorted(PAIRS)
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as archive:
        archive.writestr("a.txt", "x\ty")
        archive.writestr("b.txt", "x\ty")
    with raises("holds 2 .txt files", tmp_path / "two.zip"):
        load_own("translation", str(tmp_path / "two.zip"))


# ---------------------------------------------------------------- errors

def test_file_errors(tmp_path):
    missing = tmp_path / "nope.csv"
    with raises("not found", missing) as error:
        load_own("classification", str(missing))
    one_line(error)
    with raises("is empty", tmp_path / "empty.csv"):
        load_own("classification", str(write(tmp_path / "empty.csv", "")))
    with raises("has a header but no examples", tmp_path / "header.csv"):
        load_own("classification", str(write(tmp_path / "header.csv", "text,label\n\n")))
    (tmp_path / "latin1.csv").write_bytes("text,label\nok,a\ncaf\xe9,b\n".encode("latin-1"))
    with raises(r"not UTF-8 text: byte 0xe9 at line 3 \(byte offset 19\)", tmp_path / "latin1.csv") as error:
        load_own("classification", str(tmp_path / "latin1.csv"))
    one_line(error)
    with raises(r"unknown extension '\.xlsx' for classification: accepted \.csv, \.tsv", tmp_path / "d.xlsx"):
        load_own("classification", str(write(tmp_path / "d.xlsx", "x")))
    with raises("not accepted for the text task", tmp_path / "d.zip"):
        load_own("text", str(write(tmp_path / "d.zip", "x")))
    with raises("is empty", tmp_path / "blank.txt"):
        load_own("text", str(write(tmp_path / "blank.txt", "\n \n")))
    (tmp_path / "folder").mkdir()
    write(tmp_path / "folder" / "a.md", "not read")
    with raises("holds no .txt files", tmp_path / "folder"):
        load_own("text", str(tmp_path / "folder"))
    with raises("its .txt files are empty", tmp_path):
        load_own("text", str(tmp_path))
    with raises("tfds: datasets are accepted only as the data"):
        load_own("text", str(tmp_path / "blank.txt"), validation_data="tfds:imdb_reviews")
    with pytest.raises(ValueError, match="task must be one of"):
        load_own("regression", str(missing))


def test_table_errors(tmp_path):
    rows = "".join(f"t{i},{i % 2}\n" for i in range(10))
    path = write(tmp_path / "ragged.csv", "text,label\n" + rows + 'a,"b\nc",1\nlast,1\n')
    with raises("line 12 has 3 field", path) as error:
        load_own("classification", str(path))
    assert "the header has 2" in one_line(error)
    path = write(tmp_path / "quote.csv", 'text,label\na,pos\n"unclosed,neg\nb,pos\n')
    with raises(r"line 3 has 1 field\(s\), the header has 2 \(an unclosed quote\?\)", path):
        load_own("classification", str(path))
    path = write(tmp_path / "ragged.tsv", "text\tlabel\nok\t1\nno label\nmore\t0\n")
    with raises("line 3 has 1 field.*the header has 2", path):
        load_own("classification", str(path))
    path = write(tmp_path / "cols.csv", "body,stars\nx,1\ny,2\n")
    with raises(r"has no text column \(looked for text, sentence.*columns: 'body', 'stars'.*text_column", path):
        load_own("classification", str(path))
    with raises(r"has no column 'comment' \(the text column\); columns: 'body', 'stars'", path):
        load_own("classification", str(path), text_column="comment")
    with raises(r"has no column 'y' \(the label column\)", path):
        load_own("classification", str(path), text_column="body", label_column="y")
    path = write(tmp_path / "semi.csv", "text;label\nx;1\n")
    with raises("separated by ';'", path):
        load_own("classification", str(path))
    path = write(tmp_path / "blank.csv", "text,label\n" + rows + '"  ",1\n')
    with raises("line 12: empty text in column 'text'", path):
        load_own("classification", str(path))
    path = write(tmp_path / "nolabel.tsv", "text\tlabel\nhello\t\n")
    with raises("line 2: empty label in column 'label'", path):
        load_own("classification", str(path))


def test_label_errors(tmp_path):
    path = write(tmp_path / "one.csv", "text,label\n" + "".join(f"t{i},pos\n" for i in range(10)))
    with raises(f"only one label 'pos' in {re.escape(str(path))}: need at least two"):
        load_own("classification", str(path))
    path = write(tmp_path / "ids.csv", "text,label\n" + "".join(f"t{i},{i}\n" for i in range(300)))
    with raises("label column 'label' of .*ids.csv has 300 distinct values .*is it the right column"):
        load_own("classification", str(path))
    train = write(tmp_path / "train.csv", "text,label\n" + "".join(f"t{i},{'ab'[i % 2]}\n" for i in range(10)))
    val = write(tmp_path / "val.csv", "text,label\nx,a\ny,c\nz,d\n")
    with raises(r"\(validation\) has label\(s\) 'c', 'd' not in the data", val) as error:
        load_own("classification", str(train), validation_data=str(val))
    assert str(train) in one_line(error)
    with raises("only 2 example", tmp_path / "tiny.csv"):
        load_own("classification", str(write(tmp_path / "tiny.csv", "text,label\na,x\nb,y\n")))


def test_jsonl_errors(tmp_path):
    path = write(tmp_path / "d.jsonl", '{"text": "a", "label": 1}\n\n["not", "an object"]\n')
    with raises("line 3: not a JSON object but list", path):
        load_own("classification", str(path))
    path = write(tmp_path / "bad.jsonl", '{"text": "a", "label": 1}\n{"text": "b", label: 0}\n')
    with raises("line 2: not JSON", path):
        load_own("classification", str(path))
    path = write(tmp_path / "key.jsonl", '{"text": "a", "label": 1}\n{"text": "b"}\n')
    with raises("line 2: no key 'label'", path):
        load_own("classification", str(path))
    path = write(tmp_path / "empty.jsonl", '{"text": "a", "label": 1}\n{"text": "", "label": 0}\n')
    with raises("line 2: empty text in key 'text'", path):
        load_own("classification", str(path))
    path = write(tmp_path / "null.jsonl", '{"text": "a", "label": 1}\n{"text": "b", "label": null}\n')
    with raises("line 2: empty label", path):
        load_own("classification", str(path))


def test_folder_errors(tmp_path):
    root = tmp_path / "reviews"
    (root / "pos").mkdir(parents=True)
    (root / "neg").mkdir()
    write(root / "pos" / "1.txt", "good")
    with raises(r"has 1 sub-folder\(s\) with .txt files \('pos'\): need one per label, at least two", root):
        load_own("classification", str(root))
    write(root / "neg" / "1.txt", "  ")
    with raises("is empty: each .txt file is one example", root / "neg" / "1.txt"):
        load_own("classification", str(root))
    (root / "neg" / "1.txt").write_bytes(b"bad \xff")
    with raises("not UTF-8 text: byte 0xff at line 1", root / "neg" / "1.txt"):
        load_own("classification", str(root))
    dataset = tmp_path / "aclImdb"
    for split in ("train", "test"):
        for label in ("pos", "neg"):
            (dataset / split / label).mkdir(parents=True)
            write(dataset / split / label / "1.txt", "x")
        write(dataset / split / "urls_pos.txt", "http://")
    with raises(f"looks like a dataset root.*give {re.escape(str(dataset / 'train'))} as the data", dataset):
        load_own("classification", str(dataset))
    with raises("is a folder: translation takes", root):
        load_own("translation", str(root))


def test_translation_errors(tmp_path):
    path = write(tmp_path / "p.tsv", "Go.\tVa !\nno tab here\n")
    with raises("line 2 has 1 field: need source<TAB>target", path):
        load_own("translation", str(path))
    path = write(tmp_path / "h.tsv", "source\ttarget\nGo.\tVa !\nRun\tCours\textra\n")
    with raises("line 3 has 3 field.*the header has 2", path):
        load_own("translation", str(path))
    path = write(tmp_path / "e.tsv", "Go.\tVa !\n\t.\n")
    with raises("line 2: empty source", path):
        load_own("translation", str(path))
    path = write(tmp_path / "n.tsv", "Go.\tVa !\nRun\tCours\n")
    with raises(r"has no column 'en' \(the source column\); columns: 'Go.', 'Va !'", path):
        load_own("translation", str(path), text_column="en")
    with raises(r"unknown extension '\.csv' for translation", tmp_path / "p.csv"):
        load_own("translation", str(write(tmp_path / "p.csv", "a,b\n")))
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with raises("not a readable zip", tmp_path / "bad.zip"):
        load_own("translation", str(tmp_path / "bad.zip"))


def test_task_formats():
    assert set(TASK_FORMATS) == {"classification", "text", "translation"}
    assert all(isinstance(v, str) and "\n" not in v for v in TASK_FORMATS.values())


# ---------------------------------------------------------------- tensorflow-datasets

@pytest.fixture
def no_network(monkeypatch):
    """Fails a test that opens a connection, and one that runs over 120 s."""
    def refuse(*args, **kwargs):
        raise OSError("no network in tests")

    monkeypatch.setattr(socket, "create_connection", refuse)
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(*args):
        raise TimeoutError("tfds test ran over 120 s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(120)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_tfds_classification_mocked(no_network):
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=40):
        data = load_own("classification", "tfds:imdb_reviews")
        with raises(r"tfds:imdb_reviews has no feature 'body' \(features: .*text"):
            load_own("classification", "tfds:imdb_reviews", text_column="body")
    assert data.label_names == ["neg", "pos"]
    assert data.columns == {"text": "text", "label": "label"}
    assert data.counts == {"train": 32, "validation": 4, "test": 4}
    assert data.files == [{"role": "data", "tfds": "imdb_reviews", "examples": 40}]
    texts, labels = data.splits["train"]
    assert all(isinstance(t, str) and t.strip() for t in texts) and labels.dtype == np.int64
    assert "train: the rest of the tfds split 'train'" in data.split


def test_tfds_offline_fails_fast(no_network, monkeypatch):
    tfds = pytest.importorskip("tensorflow_datasets")
    monkeypatch.setattr(tfds.core.DatasetBuilder, "is_prepared", lambda self: False)

    def never(self, *args, **kwargs):
        raise AssertionError("download_and_prepare must not run offline")

    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", never)
    with raises("cannot reach storage.googleapis.com to download tfds:imdb_reviews .offline") as error:
        load_own("classification", "tfds:imdb_reviews")
    one_line(error)
    with raises("tfds:no_such_dataset_xyz: no such tensorflow-datasets dataset") as error:
        load_own("classification", "tfds:no_such_dataset_xyz")
    one_line(error)
