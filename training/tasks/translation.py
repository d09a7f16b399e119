"""Translation (Tatoeba English-Spanish/French, Multi30k): an encoder-decoder
over word tokens, optionally with attention, trained with teacher forcing.

Each side's vocabulary is learned on the training split by
``TextVectorization`` (case kept, punctuation as tokens, ``vocab_size`` words,
``sequence_length`` tokens). Targets are wrapped in ``[start] ... [end]``.
The card metrics are sacreBLEU and chrF of the translations of the test split
against its references, greedy (``bleu``, ``chrf``) and by beam search of width
4 (``bleu_beam4``, ``chrf_beam4``).
"""

import json
from dataclasses import dataclass

import keras

from training.data import load_multi30k, load_pairs
from training.data.sources import DataError
from training.tasks import pipeline
from zoo import translation
from zoo.text import split_punctuation
from zoo.topologies import encoder_decoder

START, END = translation.START, translation.END
KIND = "translator"
DEFAULT_SPLIT = "test"
BEAM = 4  # the card reports greedy decoding (bleu, chrf) and beam search of this width


def topology(recipe):
    return "encoder-decoder many-to-many"


def load(recipe, data_dir=None, limit=None):
    dataset = recipe.dataset
    if dataset in ("spa-eng", "fra-eng"):
        data = load_pairs(dataset.split("-")[0], data_dir=data_dir)
    elif dataset.startswith("multi30k-"):
        _, src, tgt = dataset.split("-")
        data = load_multi30k(src, tgt, data_dir=data_dir)
    else:
        raise ValueError(f"Unknown translation dataset {dataset!r}.")
    if recipe.reverse:
        data = {split: [(other, english) for english, other in pairs] for split, pairs in data.items()}
    return pipeline.limited(data, limit)


@dataclass
class Prepared:
    model: keras.Model
    train: object
    validation: object
    source_vectorizer: keras.layers.TextVectorization
    target_vectorizer: keras.layers.TextVectorization
    data: dict

    def inference_model(self):
        """Source strings and target-token prefixes in, next-target-token probabilities out."""
        source = keras.Input(shape=(1,), dtype="string", name="source_text")
        target_in = keras.Input(shape=(None,), dtype="int32", name="target_in")
        probs = self.model([self.source_vectorizer(source), target_in])
        return keras.Model([source, target_in], probs, name=self.model.name)

    def extra_files(self):
        return {"target_vocabulary.json": json.dumps(self.target_vectorizer.get_vocabulary())}


def make_vectorizer(texts, recipe, length, name):
    return pipeline.text_vectorizer(texts, recipe.vocab_size, length, split_punctuation, name)


def _continued(start, recipe):
    """``(source vectorizer, target vectorizer, network over token ids)`` of the
    trained translator ``start`` (a ``registry.Entry``): its vocabularies stay."""
    network = keras.saving.load_model(start.model_file, compile=False)
    vectorizers = [layer for layer in network.layers if isinstance(layer, keras.layers.TextVectorization)]
    inner = [layer for layer in network.layers if isinstance(layer, keras.Model)]
    if len(vectorizers) != 1 or len(inner) != 1:
        raise DataError(f"--from {start.name}: not a translator saved by `zoo train`")
    vocabulary = start.extras()["target_vocabulary"]
    tgt_vec = keras.layers.TextVectorization(
        output_sequence_length=recipe.sequence_length + 1, standardize=split_punctuation,
        vocabulary=vocabulary[2:], name="target_vectorizer")  # [2:]: without "" and [UNK]
    return vectorizers[0], tgt_vec, inner[0]


def prepare(recipe, data_dir=None, limit=None, own=None, start=None):
    """The model and data of ``recipe``: its dataset, or ``own`` (a user's pairs);
    from scratch, or continuing the trained translator ``start``."""
    data = pipeline.limited(own.splits, limit) if own else load(recipe, data_dir, limit)
    T = recipe.sequence_length
    if start:
        src_vec, tgt_vec, model = _continued(start, recipe)
    else:
        src_vec = make_vectorizer([s for s, _ in data["train"]], recipe, T, "source_vectorizer")
        tgt_vec = make_vectorizer([f"{START} {t} {END}" for _, t in data["train"]], recipe, T + 1,
                                  "target_vectorizer")

    def arrays(split):
        src = pipeline.vectorize(src_vec, [s for s, _ in data[split]])
        tgt = pipeline.vectorize(tgt_vec, [f"{START} {t} {END}" for _, t in data[split]])
        return (src, tgt[:, :-1]), tgt[:, 1:]

    train_arrays, val_arrays = arrays("train"), arrays("validation")
    if not start:
        model = encoder_decoder(recipe.cell, recipe.units,
                                source_vocab_size=src_vec.vocabulary_size(),
                                target_vocab_size=tgt_vec.vocabulary_size(),
                                embedding_dim=recipe.embedding_dim, num_layers=recipe.layers,
                                bidirectional=recipe.bidirectional,
                                attention=recipe.attention or None, dropout=recipe.dropout,
                                name=recipe.name.replace("-", "_"))
    model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate, clipnorm=5.0),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    def train(epoch):
        return pipeline.batches(train_arrays, recipe.batch_size, seed=recipe.seed, epoch=epoch)

    validation = pipeline.batches(val_arrays, 256)
    return Prepared(model, train, validation, src_vec, tgt_vec, data)


def _decoded(decode, sources, batch_size, progress):
    """``decode(batch)`` of each batch of ``batch_size`` sources (the decoder's own
    batches, so the results are the same), with a progress bar if ``progress``."""
    bar = keras.utils.Progbar(len(sources), unit_name="sentence") if progress else None
    out = []
    for i in range(0, len(sources), batch_size):
        out += decode(sources[i:i + batch_size])
        if bar:
            bar.update(min(i + batch_size, len(sources)))
    return out


def evaluate(model, data, target_vocabulary, split="test", max_length=21, progress=False):
    import sacrebleu

    sources = [s for s, _ in data[split]]
    references = [t for _, t in data[split]]
    hypotheses = _decoded(lambda batch: translation.greedy(model, target_vocabulary, batch, max_length),
                          sources, 256, progress)
    beamed = _decoded(lambda batch: translation.beam(model, target_vocabulary, batch, BEAM, max_length),
                      sources, 128, progress)
    return {"split": split, "pairs": len(references),
            "bleu": float(sacrebleu.corpus_bleu(hypotheses, [references]).score),
            "chrf": float(sacrebleu.corpus_chrf(hypotheses, [references]).score),
            f"bleu_beam{BEAM}": float(sacrebleu.corpus_bleu(beamed, [references]).score),
            f"chrf_beam{BEAM}": float(sacrebleu.corpus_chrf(beamed, [references]).score),
            "examples": [{"source": s, "reference": r, "translation": h, f"beam{BEAM}": b}
                         for s, r, h, b in list(zip(sources, references, hypotheses, beamed))[:5]]}


def evaluate_file(model_path, extras, data, split=DEFAULT_SPLIT, max_length=21, progress=False):
    return evaluate(keras.saving.load_model(model_path), data, extras["target_vocabulary"], split, max_length,
                    progress)


def limits(recipe):
    """What a translator reads: the card says it, ``zoo.models.Translator`` enforces it."""
    return {"source_tokens_per_sentence": recipe.sequence_length,
            "longer_text": "translated sentence by sentence (cut after . ! ? or … and a space); a sentence "
                           f"of more than {recipe.sequence_length} tokens (words and punctuation marks) is "
                           "refused: `zoo predict` exits with an error, /translate answers 400",
            "target_tokens": recipe.sequence_length}


def published_extras(name, model_file, out_dir):
    """What ``training.publish`` adds to a translator's card: ``limits``."""
    from training import recipes

    return {"limits": limits(recipes.get(name))}
