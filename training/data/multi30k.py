"""Multi30k task 1 (Elliott et al. 2016): Flickr30k image captions, line-aligned
in English, German, French and Czech; the files ``{train,val,test_2016_flickr}.<lang>.gz``
(29,000 / 1,014 / 1,000 lines) of ``multi30k/`` in a data directory, or of the
project's GitHub repository.

>>> data = load_multi30k("en", "de", data_dir="../shared/data")   # doctest: +SKIP
>>> [len(data[k]) for k in ("train", "validation", "test")]      # doctest: +SKIP
[29000, 1014, 1000]
"""

import gzip
import zlib
from pathlib import Path

from .sources import DataError, fetch

URL = "https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw/{}"
SPLITS = {"train": "train", "validation": "val", "test": "test_2016_flickr"}
SHA256 = {
    "train.cs.gz": "a65adb8b32e3bc664f21ecba7a6e7f6950fd1f405e135f7c312faabdb6255077",
    "train.de.gz": "726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6",
    "train.en.gz": "d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f",
    "train.fr.gz": "622e75069e9f4c577425c4f277116ce66e63a2401c0a2312d90073cb12379a3c",
    "val.cs.gz": "b63226e05c4bd5dd6a42897d74b86a1b9d2c31498252c572b1ea7f7996927fcc",
    "val.de.gz": "f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a",
    "val.en.gz": "14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28",
    "val.fr.gz": "ca3106f1a72390591d25f6c45cb4cd39dec4cd3f123e099748a3ce5256c160e9",
    "test_2016_flickr.cs.gz": "200a4a74cc9560f051924abb9803be008d1908d77f747e9141aeb86dfd2797f1",
    "test_2016_flickr.de.gz": "9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8",
    "test_2016_flickr.en.gz": "611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9",
    "test_2016_flickr.fr.gz": "6d326e188d259fb1d04ac19eae3af956559b3a0b93d7635e56c90987c40c8b90",
}
LANGUAGES = ("en", "de", "fr", "cs")


def load_multi30k(source="en", target="de", data_dir=None, path=None):
    """``{"train", "validation", "test"}``, each a list of ``(source, target)``
    caption pairs. ``path`` (a directory of the .gz files) overrides the data
    directory and the download."""
    for language in (source, target):
        if language not in LANGUAGES:
            raise ValueError(f"Multi30k languages are {LANGUAGES}, got {language!r}")
    data = {}
    for split, stem in SPLITS.items():
        src_file, src = _read_lines(f"{stem}.{source}.gz", data_dir, path)
        tgt_file, tgt = _read_lines(f"{stem}.{target}.gz", data_dir, path)
        if len(src) != len(tgt):
            raise DataError(f"{src_file} has {len(src)} lines but {tgt_file} has {len(tgt)}: "
                            f"the files must be line-aligned; replace them with good copies")
        data[split] = list(zip(src, tgt))
    return data


def _read_lines(name, data_dir, path):
    if path is not None:
        file = Path(path) / name
    else:
        file = fetch(f"multi30k/{name}", URL.format(name), SHA256[name], data_dir)
    try:
        text = gzip.decompress(file.read_bytes()).decode("utf-8")
    except FileNotFoundError as e:
        raise DataError(f"{name} not found in {path}") from e
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as e:
        raise DataError(f"{file} is not a readable gzip of UTF-8 lines ({e}): replace it with a good copy") from e
    lines = text.split("\n")
    return file, lines[:-1] if lines[-1] == "" else lines
