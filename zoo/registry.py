"""Finding a model by name: the shipped zoo, a trained run, or the BentoML model store.

A MODEL is, checked in this order:

1. a path: a run directory of ``zoo train`` (``model.keras`` and ``card.json``
   in it; a BentoML store entry has the same layout), or a ``.keras`` file with
   its card beside it (``NAME.json`` next to ``NAME.keras``, or ``card.json``);
2. a zoo name: an entry shipped in ``zoo/pretrained/`` (``NAME.keras``, its
   card ``NAME.json``, its curves ``NAME.png`` and vocabulary files);
3. a BentoML model-store tag (``langid:latest``, ``langid:<version>``), as
   written by ``zoo export MODEL --format bentoml``.

Every model has a card: task, interface (its kind, ``zoo.kinds``), data,
splits, metrics as printed by ``zoo evaluate``, size, recipe, training command,
time and machine; its ``extra_files`` (vocabularies) are named relative to the
card. The metadata lives next to the weights it describes.

>>> resolve("imdb-lstm").source, resolve("imdb-lstm").card["interface"]
('zoo', 'classifier')
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

PRETRAINED = Path(__file__).parent / "pretrained"
CARD = "card.json"
MODEL_FILE = "model.keras"


class ZooError(Exception):
    """A model that is unknown, missing or corrupted (one-line message)."""


@dataclass(frozen=True)
class Entry:
    """A model found by ``resolve``: its card, its file and where it came from."""
    name: str          # the zoo name, the run directory's name, or the store tag
    card: dict
    model_file: Path
    source: str        # "zoo", "path" or "store"

    @property
    def folder(self):
        return self.model_file.parent

    def extra_file(self, key):
        """The path of the card's extra file ``key`` (e.g. "vocabulary")."""
        name = self.card.get("extra_files", {}).get(key)
        path = self.folder / name if name else None
        if path is None or not path.exists():
            raise ZooError(f"{self.name}: its {key} file {path or '(not named on its card)'} is missing.")
        return path

    def extras(self):
        """``{key: parsed JSON}`` of every extra file of the card."""
        return {key: json.loads(self.extra_file(key).read_text()) for key in self.card.get("extra_files", {})}


def list_models():
    """Names of the shipped entries, sorted."""
    return sorted(p.stem for p in PRETRAINED.glob("*.json") if "." not in p.stem)


def _read_card(path, what):
    try:
        card = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ZooError(f"{what}: cannot read its card {path} ({error}).") from None
    if not isinstance(card, dict) or "interface" not in card:
        raise ZooError(f"{what}: {path} is not a model card (no 'interface').")
    return card


def _from_path(path):
    if path.is_dir():
        model_file, card_file = path / MODEL_FILE, path / CARD
        if not model_file.exists():
            raise ZooError(f"{path} holds no {MODEL_FILE}: not a finished run of `zoo train` "
                           "(an interrupted run continues with --resume).")
    else:
        if path.suffix != ".keras":
            raise ZooError(f"{path} is not a .keras file nor a run directory.")
        model_file = path
        card_file = next((p for p in (path.with_suffix(".json"), path.with_name(CARD)) if p.exists()),
                         path.with_suffix(".json"))
    if not card_file.exists():
        raise ZooError(f"{path} has no card ({card_file.name} beside the model): "
                       "models trained by `zoo train` or exported by `zoo export` have one.")
    return Entry(path.name if path.is_dir() else path.stem, _read_card(card_file, str(path)),
                 model_file.resolve(), "path")


def _from_store(tag):
    """The store entry ``tag``, or ``None`` if it is not one (or BentoML is missing)."""
    try:
        import bentoml
        from bentoml.exceptions import BentoMLException
    except ImportError:
        return None
    try:
        stored = bentoml.models.get(tag)
    except (BentoMLException, ValueError):
        return None
    folder = Path(stored.path)
    if not (folder / CARD).exists():
        raise ZooError(f"{stored.tag} in the BentoML model store was not exported by `zoo export` "
                       f"(it has no {CARD}).")
    return Entry(str(stored.tag), _read_card(folder / CARD, str(stored.tag)), folder / MODEL_FILE, "store")


def resolve(model):
    """The ``Entry`` of MODEL (a path, a zoo name or a store tag; see the module)."""
    model = str(model)
    path = Path(model).expanduser()
    if model and path.exists():
        return _from_path(path)
    if model in list_models():
        info = _read_card(PRETRAINED / f"{model}.json", model)
        return Entry(model, info, PRETRAINED / info["file"]["name"], "zoo")
    entry = _from_store(model) if model else None
    if entry is not None:
        return entry
    raise ZooError(f"unknown model {model!r}: not a file or directory, not a zoo name "
                   f"({', '.join(list_models()) or 'none shipped'}), not a tag in the BentoML model store "
                   "(`bentoml models list`).")


def card(model):
    """The card of MODEL as a dict (also valid JSON)."""
    return resolve(model).card


def best_model(interface):
    """The shipped entry of a kind ("classifier", "generator", "translator")
    with the best headline metric of its card, or ``None``."""
    from zoo import kinds

    return kinds.best({name: card(name) for name in list_models()}, interface)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_path(entry, verify=True):
    """The entry's model file; a shipped one is checked against its card's sha256."""
    path = entry.model_file
    if not path.exists():
        raise ZooError(f"{path} is missing: reinstall rnn-zoo or retrain with `zoo train {entry.name}`.")
    expected = entry.card.get("file", {}).get("sha256")
    if verify and entry.source == "zoo" and expected and sha256(path) != expected:
        raise ZooError(f"{path} does not match the sha256 of its card: the file is corrupted "
                       "or was replaced; reinstall rnn-zoo, or train your own model with "
                       f"`zoo train {entry.name} --output-dir DIR` and use DIR.")
    return path


def load(model, verify=True):
    """A ready model: ``.classify(texts)`` / ``.predict(texts)`` for classifiers,
    ``.generate(prompt, length)`` for character models, ``.translate(texts)``
    for translators. MODEL: a zoo name, a run directory, a ``.keras`` file with
    its card, or a BentoML store tag."""
    import keras

    import zoo
    from zoo import kinds

    zoo.import_all()  # the zoo's layers, registered with Keras before the model loads
    entry = resolve(model)
    kind = kinds.get(entry.card["interface"])
    network = keras.saving.load_model(weights_path(entry, verify), compile=False)
    return kind.build(network, entry.card, entry.extras())
