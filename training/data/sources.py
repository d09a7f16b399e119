"""Where a dataset file comes from: a local data directory, or its published URL.

A *data directory* is laid out like ``../shared/data`` (``imdb/``, ``spa-eng/``,
...). It is the argument ``data_dir`` or, if that is None, ``$ZOO_DATA_DIR``.
Without one, the file is downloaded once from its published URL into
``cache_dir()`` and checked against its sha256.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as root:
...     (Path(root) / "tinyshakespeare").mkdir()
...     _ = (Path(root) / "tinyshakespeare" / "input.txt").write_text("First Citizen:")
...     fetch("tinyshakespeare/input.txt", "https://example.invalid/input.txt", None, root).name
'input.txt'
"""

import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from zoo.registry import sha256 as sha256sum  # one checksum function for data and weights

TIMEOUT_S = 15
HINT = "a data directory is laid out like ../shared/data; see README 'Data'"


class DataError(Exception):
    """A dataset that cannot be found or read. The message is one line that
    names the file and how to supply it; the CLI prints it without a traceback."""


def resolve_data_dir(data_dir=None):
    """The data directory: ``data_dir``, else ``$ZOO_DATA_DIR``, else None.

    >>> resolve_data_dir("/no/such/dir")   # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    training.data.sources.DataError: data directory /no/such/dir (from --data-dir) does not exist (...)
    """
    origin = "--data-dir"
    if data_dir is None:
        data_dir, origin = os.environ.get("ZOO_DATA_DIR") or None, "ZOO_DATA_DIR"
    if data_dir is None:
        return None
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise DataError(f"data directory {path} (from {origin}) does not exist ({HINT})")
    return path


def cache_dir():
    """Where downloads are kept: ``$ZOO_CACHE_DIR`` or ``~/.cache/rnn-zoo``."""
    return Path(os.environ.get("ZOO_CACHE_DIR") or Path.home() / ".cache" / "rnn-zoo").expanduser()


def fetch(relpath, url, sha256, data_dir=None):
    """The local path of the dataset file ``relpath``.

    With a data directory: ``data_dir/relpath``, which must exist. Otherwise the
    copy in ``cache_dir()/relpath`` if its sha256 matches, else ``url`` is
    downloaded (one try, ``TIMEOUT_S``), checked and moved into the cache.
    ``sha256=None`` pins nothing (a source that publishes new releases).
    """
    root = resolve_data_dir(data_dir)
    if root is not None:
        path = root / relpath
        if not path.is_file():
            raise DataError(f"{relpath} not found in {root} ({HINT})")
        return path
    target = cache_dir() / relpath
    if target.is_file() and (sha256 is None or sha256sum(target) == sha256):
        return target
    _download(url, target, sha256, relpath)
    return target


def _download(url, target, sha256, relpath):
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, part = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".part")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
                    total = int(response.headers.get("Content-Length") or 0)
                    done, shown = 0, 0
                    for block in iter(lambda: response.read(1 << 16), b""):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if total and done * 10 // total > shown:  # a line per 10%
                            shown = done * 10 // total
                            print(f"downloading {url}: {10 * shown}% of {total / 1e6:.1f} MB", file=sys.stderr)
            except (urllib.error.URLError, OSError) as e:  # includes timeouts and HTTP errors
                reason = getattr(e, "reason", None) or e
                raise DataError(f"cannot download {url} (offline? {reason}): give a data directory with "
                                f"--data-dir or ZOO_DATA_DIR holding {relpath}") from e
        if sha256 is not None and digest.hexdigest() != sha256:
            raise DataError(f"{url} downloaded with sha256 {digest.hexdigest()}, expected {sha256}; not kept: "
                            f"give a data directory with --data-dir or ZOO_DATA_DIR holding {relpath}")
        os.replace(part, target)
    finally:
        if os.path.exists(part):
            os.remove(part)
