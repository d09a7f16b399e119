"""The kinds of model in the zoo, one row each: how a ready model is built
from a card, warmed up, ranked, summed up in one line, and what it answers
(on the command line and over HTTP).

The registry, the ``zoo`` command line and the HTTP service read this table
and nothing else about kinds: a new kind is a new row here (and the training
task that makes its models).

>>> sorted(KINDS)
['classifier', 'composer', 'generator', 'translator']
>>> KINDS["classifier"].headline({"accuracy": 0.9028, "split": "test"})
'accuracy 0.9028 (test)'
"""

from dataclasses import dataclass
from typing import Any, Callable

# The labels of a two-class card that names none (the IMDB sentiment models).
SENTIMENT_LABELS = ["negative", "positive"]


@dataclass(frozen=True)
class Kind:
    name: str                                   # a card's "interface"
    route: str                                  # its HTTP route, and its key in /models' defaults
    metric: str                                 # the card metric that ranks models of this kind
    higher_is_better: bool
    extra_files: tuple                          # card["extra_files"] keys the model needs
    build: Callable[[Any, dict, dict], Any]     # (network, card, extra files' JSON) -> ready model
    warm_up: Callable[[Any], None]              # traces every graph a request will use
    headline: Callable[[dict], str]             # card metrics -> one line
    answer: Callable[..., dict]                 # (model, **request fields) -> JSON response
    show: Callable[[Any, list, dict], list]     # (model, inputs, options) -> lines for `zoo predict`
    default: str = None                         # the model a route uses unasked, when it is served

    def score(self, metrics):
        """Larger is better: the card's ranking metric, signed."""
        value = metrics[self.metric]
        return value if self.higher_is_better else -value


def labels_of(card):
    """The class names of a classifier card, index order."""
    return list(card.get("labels") or SENTIMENT_LABELS)


# -- classifier ---------------------------------------------------------------

def _build_classifier(network, card, extras):
    from zoo import models

    return models.TextClassifier(network, labels=labels_of(card), name=_python_name(card))


def _classify(model, texts):
    return {"results": [{"label": label, "score": score} for label, score in model.classify(texts)]}


def _show_classification(model, inputs, options):
    return [f"{label}\t{score:.4f}\t{text}" for text, (label, score) in zip(inputs, model.classify(inputs))]


# -- generator ----------------------------------------------------------------

def _build_generator(network, card, extras):
    from zoo import models

    return models.CharGenerator(network, extras["vocabulary"]["chars"],
                                carry_state=not card["topology"].startswith("one-to-one"),
                                name=_python_name(card))


def _generate(model, prompt, length=200, temperature=0.8, seed=None):
    return {"text": model.generate(prompt, length, temperature, seed)}


def _show_generation(model, inputs, options):
    temperature = options.get("temperature")
    return [model.generate(" ".join(inputs), options.get("length") or 200,
                           0.8 if temperature is None else temperature, options.get("seed"))]


# -- translator ---------------------------------------------------------------

def _build_translator(network, card, extras):
    from zoo import models

    length = card["recipe"]["sequence_length"]
    return models.Translator(network, extras["target_vocabulary"], max_length=length + 1,
                             max_source_tokens=length, name=_python_name(card))


def _warm_translator(model):
    model.translate(["Hello."], beam_size=1)
    model.translate(["Hello."], beam_size=2)


def _translate(model, texts, beam_size=1):
    return {"translations": model.translate(texts, beam_size=beam_size)}


def _show_translation(model, inputs, options):
    outputs = model.translate(inputs, beam_size=options.get("beam_size", 1))
    return [f"{text}\t{out}" for text, out in zip(inputs, outputs)]


def _bleu(metrics):
    beam = "".join(f", beam {k[9:]}: BLEU {metrics[k]:.1f}" for k in metrics if k.startswith("bleu_beam"))
    return f"BLEU {metrics['bleu']:.1f}, chrF {metrics['chrf']:.1f} greedy{beam} ({metrics['split']})"


# -- composer -----------------------------------------------------------------

def _build_composer(network, card, extras):
    from zoo import music

    return music.Composer(network, name=_python_name(card))


def _compose(model, first_chord=None, steps=64, temperature=1.0, seed=None):
    piece = model.compose(first_chord, steps, temperature, seed)
    return {"chords": piece.chords, "midi_base64": piece.midi_base64()}


def _show_composition(model, inputs, options):
    from zoo import music

    temperature = options.get("temperature")
    piece = model.compose(" ".join(inputs) if inputs else None, options.get("steps") or 64,
                          1.0 if temperature is None else temperature, options.get("seed"))
    if options.get("output"):
        piece.to_midi(options["output"])
    return [music.chord_names(chord) for chord in piece.chords]


KINDS = {kind.name: kind for kind in [
    Kind("classifier", "classify", "accuracy", True, (),
         _build_classifier, lambda m: m.classify(["a wonderful, moving film", "dull and far too long"]),
         lambda m: f"accuracy {m['accuracy']:.4f} ({m['split']})", _classify, _show_classification),
    Kind("generator", "generate", "loss_nats_per_char", False, ("vocabulary",),
         _build_generator, lambda m: m.generate("The", 2, seed=0),
         lambda m: f"{m['loss_nats_per_char']:.3f} nats/char ({m['split']})", _generate, _show_generation),
    Kind("translator", "translate", "bleu", True, ("target_vocabulary",),
         _build_translator, _warm_translator, _bleu, _translate, _show_translation,
         default="spa-eng-translator"),  # BLEU ranks models of one language pair only
    Kind("composer", "compose", "nll_per_step", False, (),
         _build_composer, lambda m: m.compose(steps=2, seed=0),
         lambda m: f"{m['nll_per_step']:.2f} nats/step, frame accuracy {m['frame_accuracy']:.3f} ({m['split']})",
         _compose, _show_composition),
]}


def get(name):
    """The kind called ``name`` (a card's "interface")."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown kind of model {name!r}; known: {', '.join(KINDS)}") from None


def best(cards, kind):
    """The key of the card of ``kind`` in ``cards`` ({key: card}) that a route
    uses unasked: the kind's default model if it is there, else the best by
    the ranking metric; ``None`` if there is no card of ``kind``."""
    row = get(kind)
    mine = [key for key, card in cards.items() if card["interface"] == kind]
    preferred = [key for key in mine if cards[key].get("name") == row.default]
    if preferred:
        return preferred[0]
    return max(mine, key=lambda key: row.score(cards[key]["metrics"]), default=None)


def _python_name(card):
    return "".join(c if c.isalnum() else "_" for c in card["name"])
