"""tiny shakespeare, the char-rnn corpus (Karpathy 2015): 1,115,394 characters.

>>> data = load_shakespeare(data_dir="../shared/data")   # doctest: +SKIP
>>> len(data["train"]), len(data["validation"])          # doctest: +SKIP
(1003854, 111540)
"""

from pathlib import Path

from .sources import DataError, fetch

RELPATH = "tinyshakespeare/input.txt"
URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"


def load_shakespeare(data_dir=None, path=None):
    """``{"train": str, "validation": str}``: the first ``int(0.9 * n)`` of the
    ``n`` characters, and the rest. ``path`` overrides the data directory."""
    path = Path(path) if path is not None else fetch(RELPATH, URL, SHA256, data_dir)
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read {path} as UTF-8 text ({e})") from e
    cut = int(0.9 * len(text))
    return {"train": text[:cut], "validation": text[cut:]}
