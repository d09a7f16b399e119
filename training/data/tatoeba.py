"""English-Spanish and English-French sentence pairs from Tatoeba, as packaged by
manythings.org/anki: a zip holding ``spa.txt`` / ``fra.txt`` with lines
``English<TAB>Other`` (newer releases add ``<TAB>attribution``).

The split does not depend on the order of the file: pairs are ordered by the
sha1 of the UTF-8 English sentence (ties: sha1 of ``English<TAB>Other``, then
position in the file); the first ``test_size`` (2,000) are test, the next
``validation_size`` (2,000) validation, the rest train. All pairs sharing an
English sentence are adjacent in that order, so they fall in one split except
at the two boundaries.

>>> parse_pairs("Go.\\tVe.\\n\\nRun!\\tCorre.\\tCC-BY 2.0 (France)\\nno tab\\n")
([('Go.', 'Ve.'), ('Run!', 'Corre.')], 1)
>>> data = load_pairs("spa", data_dir="../shared/data")   # doctest: +SKIP
>>> [len(data[k]) for k in ("train", "validation", "test")]   # doctest: +SKIP
[114964, 2000, 2000]
"""

import hashlib
import warnings
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from .sources import DataError, fetch

SOURCES = {  # language: (path in a data directory, published URL, its sha256 or None: not pinned)
    "spa": ("spa-eng/spa-eng.zip", "http://storage.googleapis.com/download.tensorflow.org/data/spa-eng.zip",
            "0c4fd7825d3d872488d38c157f784e035edab4f2ff0df25a2a208790ecb5b58f"),
    "fra": ("fra-eng/fra-eng.zip", "http://www.manythings.org/anki/fra-eng.zip", None),  # new releases
}


def load_pairs(language="spa", data_dir=None, path=None, test_size=2000, validation_size=2000):
    """``{"train", "validation", "test"}``, each a list of ``(english, other)``.

    ``path`` (a zip) overrides the data directory and the download; with it any
    manythings.org language code works. Blank lines are skipped; lines without
    a tab are skipped with a warning giving their number.
    """
    if path is None:
        if language not in SOURCES:
            raise ValueError(f"language must be one of {sorted(SOURCES)} (or give path=), got {language!r}")
        path = fetch(*SOURCES[language], data_dir)
    pairs, malformed = parse_pairs(read_member(Path(path), f"{language}.txt"))
    if malformed:
        warnings.warn(f"{path}: skipped {malformed} malformed line(s) (no tab)", stacklevel=2)
    return split_pairs(pairs, test_size, validation_size)


def read_member(path, basename):
    """The UTF-8 text of the member of zip ``path`` named ``basename`` (in any folder)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if PurePosixPath(n).name == basename]
            if not names:
                raise DataError(f"{path} holds no {basename}: give the manythings.org/anki zip")
            return archive.read(names[0]).decode("utf-8")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path} is not a readable zip with {basename} ({e}): "
                        f"replace it with the published zip or a good copy") from e


def parse_pairs(text):
    """``(pairs, malformed)``: the ``(english, other)`` of each line with a tab
    (a third column is ignored), and the count of non-blank lines without one."""
    pairs, malformed = [], 0
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2:
            malformed += 1
        else:
            pairs.append((fields[0], fields[1]))
    return pairs, malformed


def split_pairs(pairs, test_size=2000, validation_size=2000):
    """The fixed split described in the module docstring.

    >>> pairs = [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")]
    >>> split = split_pairs(pairs, test_size=1, validation_size=1)
    >>> split["test"], split["validation"], split["train"]
    ([('d', '4')], [('c', '3')], [('a', '1'), ('b', '2')])
    >>> split_pairs(pairs[::-1], 1, 1) == split
    True
    """
    def sha1(s):
        return hashlib.sha1(s.encode("utf-8")).digest()

    order = sorted(range(len(pairs)), key=lambda i: (sha1(pairs[i][0]), sha1("\t".join(pairs[i])), i))
    ordered = [pairs[i] for i in order]
    cut = test_size + validation_size
    return {"train": ordered[cut:], "validation": ordered[test_size:cut], "test": ordered[:test_size]}
