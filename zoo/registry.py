"""The pretrained zoo: model files and their cards, shipped in ``zoo/pretrained/``.

Each entry NAME has ``NAME.keras`` (the inference model), ``NAME.json`` (its
card: task, data, splits, metrics as printed by ``zoo evaluate``, size,
sha256, training command, time and machine), ``NAME.png`` (training curves)
and, where the task needs one, a vocabulary file. The metadata lives next to
the weights it describes.
"""

import hashlib
import json
from pathlib import Path

import keras

PRETRAINED = Path(__file__).parent / "pretrained"


class ZooError(Exception):
    """A zoo entry that is unknown, missing or corrupted (one-line message)."""


def list_models():
    """Names of the shipped entries, sorted."""
    return sorted(p.stem for p in PRETRAINED.glob("*.json") if "." not in p.stem)


def card(name):
    """The card of ``name`` as a dict (also valid JSON)."""
    path = PRETRAINED / f"{name}.json"
    if not path.exists():
        raise ZooError(f"Unknown model {name!r}; known: {', '.join(list_models()) or 'none'}.")
    return json.loads(path.read_text())


def best_model(interface):
    """The shipped entry of an interface ("classifier", "generator" or
    "translator") with the best headline metric of its card, or ``None``."""
    score = {"classifier": lambda m: m["accuracy"], "generator": lambda m: -m["loss_nats_per_char"],
             "translator": lambda m: m["bleu"]}[interface]
    cards = [card(n) for n in list_models()]
    return max((c for c in cards if c["interface"] == interface), key=lambda c: score(c["metrics"]),
               default={"name": None})["name"]


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_path(name, verify=True):
    """The entry's model file, checked against the sha256 of its card."""
    info = card(name)
    path = PRETRAINED / info["file"]["name"]
    if not path.exists():
        raise ZooError(f"{path} is missing: reinstall rnn-zoo or retrain with `zoo train {name}`.")
    if verify and sha256(path) != info["file"]["sha256"]:
        raise ZooError(f"{path} does not match the sha256 of its card: the file is corrupted "
                       "or was replaced; reinstall rnn-zoo or retrain it.")
    return path


def load(name, verify=True):
    """A ready model: ``.predict(texts)`` for classifiers, ``.generate(prompt, length)``
    for character models, ``.translate(texts)`` for translators."""
    from zoo import models  # TensorFlow: the rest of the zoo runs on any Keras backend

    info = card(name)
    network = keras.saving.load_model(weights_path(name, verify), compile=False)
    extra = {k: json.loads((PRETRAINED / v).read_text()) for k, v in info.get("extra_files", {}).items()}
    kind = info["interface"]
    if kind == "classifier":
        return models.TextClassifier(network, name=name.replace("-", "_"))
    if kind == "generator":
        return models.CharGenerator(network, extra["vocabulary"]["chars"],
                                    carry_state=info["topology"] != "one-to-one",
                                    name=name.replace("-", "_"))
    if kind == "translator":
        return models.Translator(network, extra["target_vocabulary"],
                                 max_length=info["recipe"]["sequence_length"] + 1,
                                 name=name.replace("-", "_"))
    raise ZooError(f"Card of {name!r} names an unknown interface {kind!r}.")
