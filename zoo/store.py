"""Models in the BentoML model store, the registry that ``zoo serve`` serves from.

A store entry is laid out like a run directory of ``zoo train``: ``model.keras``,
``card.json`` and the vocabularies the card names; the card is also the entry's
metadata, and its labels give task and interface (``bentoml models list``).
``zoo.load("NAME:latest")`` loads it back.
"""

import json
import re
import shutil
from pathlib import Path

from zoo import registry


def export_name(entry, name=None):
    """A name for an export of ``entry`` (``name``, else the entry's), in
    BentoML's alphabet: lower case letters, digits, ``-``, ``_`` and ``.``.

    >>> export_name(registry.resolve("imdb-lstm")), export_name(registry.resolve("imdb-lstm"), "x.1")
    ('imdb-lstm', 'x.1')
    """
    raw = name or entry.name.split(":")[0]
    clean = re.sub(r"[^a-z0-9._-]+", "-", raw.lower()).strip("-._")
    if name and clean != name:
        raise ValueError(f"name {name!r}: use lower case letters, digits, '-', '_' and '.' only")
    if not clean:
        raise ValueError(f"cannot make a model name of {raw!r}: give a name")
    return clean


def write_entry(entry, folder, model_name, card_name, prefix=""):
    """Copies the model of ``entry``, its extra files, its curves and its card
    (naming those copies) into ``folder``; returns the copied card."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(registry.weights_path(entry), folder / model_name)
    card = json.loads(json.dumps(entry.card))
    card["extra_files"] = {}
    for key, name in entry.card.get("extra_files", {}).items():
        target = prefix + Path(name).name.removeprefix(f"{entry.name}.")
        shutil.copyfile(entry.extra_file(key), folder / target)
        card["extra_files"][key] = target
    card["file"] = {**card.get("file", {}), "name": model_name}
    if card.get("curve") and (entry.folder / card["curve"]).exists():
        shutil.copyfile(entry.folder / card["curve"], folder / (prefix + "curves.png"))
        card["curve"] = prefix + "curves.png"
    (folder / card_name).write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n")
    return card


def _metadata(value):
    """The card as BentoML metadata, which has no null: ``None`` values are left out.

    >>> _metadata({"a": None, "b": [1, {"c": None}]})
    {'b': [1, {}]}
    """
    if isinstance(value, dict):
        return {k: _metadata(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_metadata(v) for v in value if v is not None]
    return value


def to_store(entry, name=None):
    """The store entry of ``entry`` (a ``registry.Entry``): the one already
    there with the same name and model file (by sha256), else a new one."""
    import bentoml

    if entry.source == "store":
        return bentoml.models.get(entry.name)
    name = export_name(entry, name)
    digest = registry.sha256(registry.weights_path(entry))
    try:
        same_name = bentoml.models.list(name)
    except bentoml.exceptions.NotFound:
        same_name = []
    for stored in same_name:
        if stored.info.labels.get("sha256") == digest:
            return stored
    labels = {"task": entry.card["task"], "interface": entry.card["interface"], "framework": "keras",
              "sha256": digest}
    with bentoml.models.create(name, labels=labels, metadata=_metadata(entry.card)) as stored:
        write_entry(entry, stored.path, registry.MODEL_FILE, registry.CARD)
    return stored
