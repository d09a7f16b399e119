"""The Large Movie Review Dataset (Maas et al., ACL 2011): 50,000 labelled reviews.

Read from the ``aclImdb/`` tree, ``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt``,
as a directory or a ``.tar.gz`` of it (``imdb/aclImdb_labeled.tar.gz`` in a data
directory, or the published ``aclImdb_v1.tar.gz``; other files, such as
``train/unsup/``, are ignored), or from tensorflow-datasets (``source="tfds"``).

>>> data = load_imdb(data_dir="../shared/data")   # doctest: +SKIP
>>> texts, labels = data["train"]                 # doctest: +SKIP
>>> len(texts), labels[:3]                        # doctest: +SKIP
(22500, array([0, 0, 1]))
"""

import gzip
import re
import tarfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from .sources import TIMEOUT_S, DataError, fetch

RELPATH = "imdb/aclImdb_labeled.tar.gz"
URL = "http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"  # of URL
SEED = 1337
LABELS = {"neg": 0, "pos": 1}
_REVIEW = re.compile(r"(?:^|/)(train|test)/(pos|neg)/(\d+_\d+\.txt)$")


def load_imdb(data_dir=None, source="auto", path=None, validation_size=2500):
    """``{"train", "validation", "test"}``, each ``(texts, labels)``: a list of
    str and an int array, 1 = positive, 0 = negative. The texts are kept raw, as
    a user would send them (the models' vectorizer reads ``<br />`` as a space).

    The split is the same on every machine: the official train reviews sorted
    by (label, file name as a string), permuted by
    ``numpy.random.default_rng(1337)``; the first ``validation_size`` are
    validation, the rest train. Test: the official test reviews, sorted.
    With ``source="tfds"`` the reviews have no file names and are sorted by
    (label, text) instead, then split by the same rule.

    ``path`` (a directory or a .tar.gz) overrides the data directory and the
    download.
    """
    if source == "tfds":
        reviews = _read_tfds()
    elif source == "auto":
        reviews = read_acl_imdb(Path(path) if path is not None else fetch(RELPATH, URL, SHA256, data_dir))
    else:
        raise ValueError(f"source must be 'auto' or 'tfds', got {source!r}")
    train = sorted(reviews["train"])
    order = np.random.default_rng(SEED).permutation(len(train))
    validation = [train[i] for i in order[:validation_size]]
    train = [train[i] for i in order[validation_size:]]
    return {"train": _columns(train), "validation": _columns(validation), "test": _columns(sorted(reviews["test"]))}


def _columns(reviews):
    return [text for _, _, text in reviews], np.array([label for label, _, _ in reviews], dtype="int64")


def _clean(raw, name):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"{name} is not UTF-8 text ({e})") from e


def read_acl_imdb(path):
    """``{"train": [...], "test": [...]}`` of ``(label, file name, text)`` from an
    ``aclImdb/`` directory (or its parent) or a .tar.gz of it, unsorted."""
    reviews = {"train": [], "test": []}
    if path.is_dir():
        root = path / "aclImdb" if (path / "aclImdb").is_dir() else path
        for split in reviews:
            for label in LABELS:
                for file in (root / split / label).glob("*_*.txt"):
                    reviews[split].append((LABELS[label], file.name, _clean(file.read_bytes(), file)))
    elif path.is_file():
        try:  # streamed, one pass; gzip (not tarfile, which stops quietly) detects a truncated archive
            with gzip.open(path) as stream, tarfile.open(fileobj=stream, mode="r|") as archive:
                for member in archive:
                    match = _REVIEW.search(member.name)
                    if match and member.isfile():
                        split, label, name = match.groups()
                        text = _clean(archive.extractfile(member).read(), f"{path}:{member.name}")
                        reviews[split].append((LABELS[label], name, text))
                while stream.read(1 << 20):  # to the end of the gzip stream: checks its length and CRC
                    pass
        except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
            raise DataError(f"{path} is not a readable .tar.gz of aclImdb/ ({e}): "
                            f"replace it with the published archive or a good copy") from e
    else:
        raise DataError(f"{path} not found: give the aclImdb/ directory or its .tar.gz")
    for split in reviews:
        for label, value in LABELS.items():
            if not any(r[0] == value for r in reviews[split]):
                raise DataError(f"{path} holds no reviews in aclImdb/{split}/{label}/ "
                                f"(expected aclImdb/{{train,test}}/{{pos,neg}}/<id>_<rating>.txt)")
    return reviews


def _read_tfds():
    """The reviews of ``tfds.load("imdb_reviews")`` as ``(label, text, text)``."""
    try:
        import tensorflow_datasets as tfds
    except ImportError as e:
        raise DataError("source='tfds' needs tensorflow-datasets: pip install tensorflow-datasets") from e
    builder = tfds.builder("imdb_reviews")
    if not builder.is_prepared():  # tfds retries for minutes offline: fail fast instead
        try:
            urllib.request.urlopen(urllib.request.Request(URL, method="HEAD"), timeout=TIMEOUT_S).close()
        except (urllib.error.URLError, OSError) as e:
            raise DataError(f"cannot reach {URL} for tensorflow-datasets (offline? {getattr(e, 'reason', e)}): "
                            f"use source='auto' with --data-dir or ZOO_DATA_DIR holding {RELPATH}") from e
    builder.download_and_prepare()
    reviews = {}
    for split in ("train", "test"):
        reviews[split] = []
        for raw, label in tfds.as_numpy(builder.as_dataset(split=split, as_supervised=True)):
            text = _clean(raw, "imdb_reviews")
            reviews[split].append((int(label), text, text))  # no file names: sorted by (label, text)
    return reviews
