"""The dataset loaders of training.data, on tiny fixtures in the real layouts, and
(with ZOO_DATA_DIR set) on the real datasets."""

import gzip
import hashlib
import http.server
import io
import os
import tarfile
import threading
import time
import urllib.error
import urllib.request
import zipfile

import numpy as np
import pytest

from training.data import (DataError, cache_dir, fetch, load_imdb, load_multi30k, load_pairs,
                           load_shakespeare, resolve_data_dir, sha256sum)

FULL_DATA = os.environ.get("ZOO_DATA_DIR")  # read before the fixture below clears it
full_data = pytest.mark.skipif(not FULL_DATA, reason="set ZOO_DATA_DIR (e.g. ../shared/data) for full-data checks")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """No data directory from the environment, and a private download cache."""
    monkeypatch.delenv("ZOO_DATA_DIR", raising=False)
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))


def one_line(error):
    message = str(error.value)
    assert "\n" not in message
    return message


# ---------------------------------------------------------------- fixtures in the real layouts

def review_text(split, label, i):
    text = f"{split} {label} review number {i}."
    if (split, label, i) == ("train", "pos", 3):
        text = "Great film.<br /><br />Café — à voir 😀"
    return text


def review_name(label, i):
    return f"{i}_{(8 if label == 'pos' else 2) + i % 3}.txt"  # <id>_<rating>.txt


def make_aclimdb(root, n_train=15, n_test=5, skip=()):
    """``root/aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt`` plus the extra files
    of the published archive (README, vocab, urls, train/unsup)."""
    base = root / "aclImdb"
    for split, n in (("train", n_train), ("test", n_test)):
        for label in ("pos", "neg"):
            if f"{split}/{label}" in skip:
                continue
            folder = base / split / label
            folder.mkdir(parents=True)
            for i in range(n):
                (folder / review_name(label, i)).write_bytes(review_text(split, label, i).encode())
        (base / split / "urls_pos.txt").write_text("http://www.imdb.com/title/tt0000001/usercomments\n")
    (base / "train" / "unsup").mkdir()
    (base / "train" / "unsup" / "0_0.txt").write_text("an unlabelled review")
    (base / "README").write_text("Large Movie Review Dataset v1.0")
    (base / "imdb.vocab").write_text("the\nand\n")
    return base


def make_tar(folder, archive):
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="aclImdb")
    return archive


SPA_LINES = [
    "Go.\tVe.", "Go.\tVete.", "Run!\tCorre.", "Who?\t¿Quién?", "Wow!\t¡Órale!",
    "I see.\tYa veo.\tCC-BY 2.0 (France) Attribution: tatoeba.org #1 (CM) & #2 (x)",
    "Hi.\tHola.\tCC-BY 2.0 (France) Attribution: tatoeba.org #3 (CM) & #4 (y)",
    "", "   ",
    "this line has no tab",
    "Thanks.\tGracias.\r",
    "I won!\t¡He ganado!", "Help!\t¡Ayuda!", "Jump.\tSalta.", "Stop!\t¡Para!", "Wait!\t¡Espera!",
]
SPA_PAIRS = [tuple(line.rstrip("\r").split("\t")[:2]) for line in SPA_LINES if "\t" in line]


def make_zip(archive, member, lines):
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(member, "\n".join(lines) + "\n")
        z.writestr(member.rsplit("/", 1)[0] + "/_about.txt" if "/" in member else "_about.txt", "about")
    return archive


M30K = {"train": 5, "val": 2, "test_2016_flickr": 3}


def make_multi30k(folder, languages=("en", "de"), lines=M30K):
    folder.mkdir(parents=True, exist_ok=True)
    for stem, n in lines.items():
        for lang in languages:
            text = "".join(f"{stem} caption {i} in {lang}\n" for i in range(n))
            (folder / f"{stem}.{lang}.gz").write_bytes(gzip.compress(text.encode()))
    return folder


# ---------------------------------------------------------------- sources

def test_resolve_data_dir_prefers_the_argument_then_the_environment(tmp_path, monkeypatch):
    assert resolve_data_dir() is None
    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path))
    assert resolve_data_dir() == tmp_path
    (tmp_path / "other").mkdir()
    assert resolve_data_dir(tmp_path / "other") == tmp_path / "other"
    assert cache_dir() == tmp_path / "cache"


def test_a_missing_data_directory_is_named(tmp_path, monkeypatch):
    with pytest.raises(DataError, match="nowhere.*--data-dir.*does not exist") as error:
        resolve_data_dir(tmp_path / "nowhere")
    one_line(error)
    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path / "gone"))
    with pytest.raises(DataError, match="gone.*ZOO_DATA_DIR.*does not exist"):
        load_shakespeare()


def test_a_missing_file_in_the_data_directory_is_named(tmp_path):
    with pytest.raises(DataError) as error:
        load_imdb(data_dir=tmp_path)
    assert one_line(error).startswith(f"imdb/aclImdb_labeled.tar.gz not found in {tmp_path}")
    with pytest.raises(DataError, match="multi30k/train.en.gz not found"):
        load_multi30k(data_dir=tmp_path)


@pytest.fixture
def web(tmp_path, monkeypatch):
    """A local HTTP server over ``tmp_path/www``: ``(folder, base url)``."""
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    root = tmp_path / "www"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_is_verified_cached_and_reused(web, tmp_path, capsys):
    root, url = web
    content = os.urandom(300_000)
    (root / "input.txt").write_bytes(content)
    sha = hashlib.sha256(content).hexdigest()
    path = fetch("tinyshakespeare/input.txt", f"{url}/input.txt", sha)
    assert path == tmp_path / "cache" / "tinyshakespeare" / "input.txt"
    assert path.read_bytes() == content and sha256sum(path) == sha
    assert "100%" in capsys.readouterr().err  # progress, a line per 10%
    (root / "input.txt").unlink()  # the cached copy is used, nothing is downloaded
    assert fetch("tinyshakespeare/input.txt", f"{url}/input.txt", sha) == path
    assert os.listdir(path.parent) == ["input.txt"]


def test_checksum_mismatch_keeps_nothing(web, tmp_path):
    root, url = web
    (root / "spa-eng.zip").write_bytes(b"not the published file")
    expected = "sha256 .* expected 0+; not kept: .* ZOO_DATA_DIR holding spa-eng/spa-eng.zip"
    with pytest.raises(DataError, match=expected) as error:
        fetch("spa-eng/spa-eng.zip", f"{url}/spa-eng.zip", "0" * 64)
    one_line(error)
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]  # nor a partial download


def test_a_corrupt_cached_copy_is_downloaded_again(web, tmp_path):
    root, url = web
    (root / "input.txt").write_bytes(b"good")
    (tmp_path / "cache" / "tinyshakespeare").mkdir(parents=True)
    (tmp_path / "cache" / "tinyshakespeare" / "input.txt").write_bytes(b"bad")
    path = fetch("tinyshakespeare/input.txt", f"{url}/input.txt", hashlib.sha256(b"good").hexdigest())
    assert path.read_bytes() == b"good"


def test_http_errors_are_data_errors(web):
    _, url = web
    with pytest.raises(DataError, match="cannot download .*/missing.txt"):
        fetch("x/missing.txt", f"{url}/missing.txt", None)


@pytest.mark.parametrize("offline", ["refused", "no network"])
def test_offline_download_fails_within_seconds(offline, monkeypatch):
    url = "http://127.0.0.1:9/input.txt"  # the discard port: connection refused
    if offline == "no network":
        def urlopen(*args, **kwargs):
            raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
        monkeypatch.setattr(urllib.request, "urlopen", urlopen)
        url = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
    start = time.monotonic()
    with pytest.raises(DataError) as error:
        fetch("tinyshakespeare/input.txt", url, "0" * 64)
    assert time.monotonic() - start < 5
    message = one_line(error)
    assert message.startswith(f"cannot download {url} (offline?")
    assert message.endswith("give a data directory with --data-dir or ZOO_DATA_DIR holding tinyshakespeare/input.txt")
    assert not [p for p in cache_dir().rglob("*") if p.is_file()]


# ---------------------------------------------------------------- IMDB

def check_imdb(data, n_train=30, n_test=10, validation_size=5):
    texts = {split: data[split][0] for split in data}
    sizes = [len(texts[s]) for s in ("train", "validation", "test")]
    assert sizes == [n_train - validation_size, validation_size, n_test]
    for split, (t, labels) in data.items():
        assert labels.dtype.kind == "i" and len(labels) == len(t)
        for text, label in zip(t, labels):  # the fixture's texts name their label
            assert ("pos" in text or "Great" in text) == (label == 1)
    assert not set(texts["train"]) & set(texts["validation"])
    assert set(texts["train"]) | set(texts["validation"]) == {
        review_text("train", label, i) for label in ("pos", "neg") for i in range(15)}  # raw: <br /> kept
    assert int(data["test"][1].sum()) == n_test // 2


def test_imdb_from_directory_and_archive(tmp_path):
    base = make_aclimdb(tmp_path / "tree")
    archive = make_tar(base, tmp_path / "data" / "imdb" / "aclImdb_labeled.tar.gz")
    results = [load_imdb(path=base, validation_size=5), load_imdb(path=tmp_path / "tree", validation_size=5),
               load_imdb(path=archive, validation_size=5), load_imdb(data_dir=tmp_path / "data", validation_size=5)]
    check_imdb(results[0])
    for other in results[1:]:  # the same split, whatever the form, every time
        for split in ("train", "validation", "test"):
            assert other[split][0] == results[0][split][0]
            np.testing.assert_array_equal(other[split][1], results[0][split][1])


def test_imdb_data_directory_from_the_environment(tmp_path, monkeypatch):
    make_tar(make_aclimdb(tmp_path / "tree"), tmp_path / "data" / "imdb" / "aclImdb_labeled.tar.gz")
    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path / "data"))
    check_imdb(load_imdb(validation_size=5))


def test_imdb_split_rule(tmp_path):
    """Sorted by (label, file name), permuted by default_rng(1337); test sorted."""
    data = load_imdb(path=make_aclimdb(tmp_path), validation_size=5)
    train = sorted((int(label == "pos"), review_name(label, i), review_text("train", label, i))
                   for label in ("pos", "neg") for i in range(15))
    order = np.random.default_rng(1337).permutation(30)
    assert data["validation"][0] == [train[i][2] for i in order[:5]]
    assert data["train"][0] == [train[i][2] for i in order[5:]]
    test = sorted((int(label == "pos"), review_name(label, i), review_text("test", label, i))
                  for label in ("pos", "neg") for i in range(5))
    assert data["test"][0] == [text for _, _, text in test]
    assert data["test"][1].tolist() == [0] * 5 + [1] * 5


def test_imdb_text_is_raw_utf8_and_extra_files_ignored(tmp_path):
    data = load_imdb(path=make_tar(make_aclimdb(tmp_path / "tree"), tmp_path / "a.tar.gz"), validation_size=0)
    texts = data["train"][0]
    assert "Great film.<br /><br />Café — à voir 😀" in texts  # as a user sends it; the model reads <br />
    assert "an unlabelled review" not in texts and len(texts) == 30 and len(data["validation"][0]) == 0


def test_imdb_corrupt_archive(tmp_path):
    archive = make_tar(make_aclimdb(tmp_path / "tree", n_train=200), tmp_path / "a.tar.gz")
    data = archive.read_bytes()
    # tarfile alone ends quietly at a truncated header: every cut point must be an error
    damaged = [os.urandom(4096), data[:-4] + b"\0\0\0\0"]  # garbage; a bad gzip trailer (length)
    damaged += [data[:cut] for cut in range(10, len(data), len(data) // 25)]
    for content in damaged:
        archive.write_bytes(content)
        with pytest.raises(DataError, match="a.tar.gz is not a readable .tar.gz of aclImdb/") as error:
            load_imdb(path=archive)
        one_line(error)


@pytest.mark.parametrize("form", ["directory", "archive"])
def test_imdb_missing_label_folder(tmp_path, form):
    path = make_aclimdb(tmp_path / "tree", skip={"test/pos"})
    if form == "archive":
        path = make_tar(path, tmp_path / "a.tar.gz")
    with pytest.raises(DataError, match=r"holds no reviews in aclImdb/test/pos/"):
        load_imdb(path=path)


def test_imdb_tfds_fails_fast_offline(monkeypatch):
    tfds = pytest.importorskip("tensorflow_datasets")
    if tfds.builder("imdb_reviews").is_prepared():
        pytest.skip("imdb_reviews is already prepared here: tfds would not download")

    def urlopen(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    start = time.monotonic()
    with pytest.raises(DataError, match="cannot reach .*aclImdb_v1.tar.gz for tensorflow-datasets") as error:
        load_imdb(source="tfds")
    assert time.monotonic() - start < 10
    one_line(error)


# ---------------------------------------------------------------- tiny shakespeare

def test_shakespeare_split(tmp_path, monkeypatch):
    text = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"
    (tmp_path / "tinyshakespeare").mkdir()
    (tmp_path / "tinyshakespeare" / "input.txt").write_text(text)
    data = load_shakespeare(data_dir=tmp_path)
    cut = int(0.9 * len(text))
    assert data == {"train": text[:cut], "validation": text[cut:]}
    assert load_shakespeare(path=tmp_path / "tinyshakespeare" / "input.txt") == data
    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path))
    assert load_shakespeare() == data


# ---------------------------------------------------------------- Tatoeba pairs

def test_pairs_two_and_three_columns_blank_and_malformed_lines(tmp_path):
    make_zip(tmp_path / "spa-eng" / "spa-eng.zip", "spa-eng/spa.txt", SPA_LINES)
    with pytest.warns(UserWarning, match="skipped 1 malformed line"):
        data = load_pairs("spa", data_dir=tmp_path, test_size=3, validation_size=2)
    assert [len(data[s]) for s in ("train", "validation", "test")] == [len(SPA_PAIRS) - 5, 2, 3]
    everything = data["train"] + data["validation"] + data["test"]
    assert sorted(everything) == sorted(SPA_PAIRS) and len(SPA_PAIRS) == 13
    assert ("I see.", "Ya veo.") in everything and ("Thanks.", "Gracias.") in everything
    assert all(len(pair) == 2 and "\t" not in pair[1] and "\r" not in pair[1] for pair in everything)


def test_pairs_split_is_fixed_and_independent_of_file_order(tmp_path):
    """Ordered by sha1(English), then sha1(pair): first test, then validation, then train."""
    lines = [line for line in SPA_LINES if "\t" in line]
    a = load_pairs(path=make_zip(tmp_path / "a.zip", "spa-eng/spa.txt", lines), test_size=3, validation_size=2)
    b = load_pairs(path=make_zip(tmp_path / "b.zip", "spa-eng/spa.txt", lines[::-1]), test_size=3, validation_size=2)
    assert a == b
    sha1 = lambda s: hashlib.sha1(s.encode()).digest()  # noqa: E731
    expected = sorted(SPA_PAIRS, key=lambda p: (sha1(p[0]), sha1("\t".join(p))))
    assert a["test"] == expected[:3] and a["validation"] == expected[3:5] and a["train"] == expected[5:]
    # a shared English sentence keeps its pairs adjacent: "Go." has two translations
    order = [p[0] for p in expected]
    first = order.index("Go.")
    assert order[first:first + 2] == ["Go.", "Go."]


def test_pairs_french_member_at_the_root(tmp_path):
    make_zip(tmp_path / "fra-eng" / "fra-eng.zip", "fra.txt", ["Go.\tVa !", "Hi.\tSalut !\tCC-BY 2.0", "Run!\tCours !"])
    data = load_pairs("fra", data_dir=tmp_path, test_size=1, validation_size=1)
    assert sorted(data["train"] + data["validation"] + data["test"]) == [
        ("Go.", "Va !"), ("Hi.", "Salut !"), ("Run!", "Cours !")]


def test_pairs_corrupt_or_wrong_zip(tmp_path):
    (tmp_path / "spa-eng").mkdir()
    (tmp_path / "spa-eng" / "spa-eng.zip").write_bytes(os.urandom(2000))
    with pytest.raises(DataError, match="spa-eng.zip is not a readable zip with spa.txt") as error:
        load_pairs("spa", data_dir=tmp_path)
    one_line(error)
    with pytest.raises(DataError, match="holds no spa.txt"):
        load_pairs("spa", path=make_zip(tmp_path / "x.zip", "fra.txt", ["Go.\tVa !"]))
    with pytest.raises(ValueError, match="language"):
        load_pairs("xyz")


# ---------------------------------------------------------------- Multi30k

def test_multi30k_pairs(tmp_path, monkeypatch):
    make_multi30k(tmp_path / "multi30k")
    data = load_multi30k("en", "de", path=tmp_path / "multi30k")
    assert {s: len(p) for s, p in data.items()} == {"train": 5, "validation": 2, "test": 3}
    assert data["test"][2] == ("test_2016_flickr caption 2 in en", "test_2016_flickr caption 2 in de")
    reverse = load_multi30k("de", "en", data_dir=tmp_path)
    assert reverse["validation"][0] == ("val caption 0 in de", "val caption 0 in en")
    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path))
    assert load_multi30k() == data


def test_multi30k_misaligned_or_corrupt(tmp_path):
    folder = make_multi30k(tmp_path / "multi30k")
    (folder / "val.de.gz").write_bytes(gzip.compress(b"only one line\n"))
    with pytest.raises(DataError, match=r"val.en.gz has 2 lines but .*val.de.gz has 1") as error:
        load_multi30k(path=folder)
    one_line(error)
    (folder / "train.de.gz").write_bytes(b"not gzip")
    with pytest.raises(DataError, match="train.de.gz is not a readable gzip"):
        load_multi30k(path=folder)


# ---------------------------------------------------------------- the real data (ZOO_DATA_DIR)

@full_data
def test_full_imdb():
    data = load_imdb(data_dir=FULL_DATA)
    (train, y_train), (validation, y_validation), (test, y_test) = data["train"], data["validation"], data["test"]
    assert (len(train), len(validation), len(test)) == (22_500, 2_500, 25_000)
    assert int(y_train.sum() + y_validation.sum()) == 12_500 and int(y_test.sum()) == 12_500
    assert any("<br />" in t for t in validation)  # raw, as a user sends them: the models read <br /> as a space
    # the split is pinned: the same reviews on every machine
    assert int(y_validation.sum()) == 1276 and validation[0].startswith("A prequel to the re-imagined Battlestar")


@full_data
def test_full_shakespeare():
    data = load_shakespeare(data_dir=FULL_DATA)
    assert len(data["train"]) + len(data["validation"]) == 1_115_394
    assert len(data["train"]) == 1_003_854 and data["train"].startswith("First Citizen:")


@full_data
def test_full_spanish_pairs():
    with zipfile.ZipFile(os.path.join(FULL_DATA, "spa-eng", "spa-eng.zip")) as z:
        lines = io.TextIOWrapper(z.open("spa-eng/spa.txt"), encoding="utf-8").read().split("\n")
    nonblank = [line for line in lines if line.strip()]
    well_formed = [line for line in nonblank if "\t" in line]
    assert len(nonblank) == 118_964
    data = load_pairs("spa", data_dir=FULL_DATA)
    assert len(data["validation"]) == len(data["test"]) == 2_000
    assert len(data["train"]) + 4_000 == len(well_formed)
    assert data["test"][0] == ("Coffee will be ready in a minute.", "El café estará listo en un minuto.")


@full_data
def test_full_multi30k():
    data = load_multi30k("en", "de", data_dir=FULL_DATA)
    assert {s: len(p) for s, p in data.items()} == {"train": 29_000, "validation": 1_014, "test": 1_000}
