"""Dataset loaders: each reads a local data directory (``data_dir`` or
``$ZOO_DATA_DIR``, laid out like ``../shared/data``) or downloads the published
source once into a cache, and returns fixed, deterministic splits.

>>> from training.data import load_shakespeare, DataError
>>> text = load_shakespeare()["train"]   # doctest: +SKIP
"""

from .imdb import load_imdb
from .multi30k import load_multi30k
from .shakespeare import load_shakespeare
from .sources import DataError, cache_dir, fetch, resolve_data_dir, sha256sum
from .tatoeba import load_pairs

__all__ = ["DataError", "cache_dir", "fetch", "load_imdb", "load_multi30k", "load_pairs",
           "load_shakespeare", "resolve_data_dir", "sha256sum"]
