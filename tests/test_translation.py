"""Stateful decoding (zoo.translation) gives the translations of re-running the
decoder over the whole prefix (zoo.prefix_decoding); long texts are cut into
sentences, and a sentence longer than the model reads is refused."""

import os

import keras
import pytest

from zoo import prefix_decoding, registry, translation
from zoo.text import split_punctuation
from zoo.topologies import encoder_decoder

SENTENCES = [
    "I love you.", "Where is the train station?", "Tom didn't want to go to school today.",
    "Can you help me, please?", "She has two cats and a dog.", "We will see.",
    "It's raining again.", "My father works in a bank.", "Why are you laughing?",
    "I don't know what to say.", "The book is on the table.", "How old are you?",
    "Let's eat something.", "He runs every morning before breakfast.", "Is this seat free?",
    "I lost my keys yesterday.", "They are waiting for us outside.", "What time is it?",
    "This coffee is too hot to drink.", "Please close the window.", "Hi.", "Tom",
    "Mary and Tom have been friends since they were children.", "Zzyzx qwerty!",
]


def _both(model, vocabulary, texts, beam_size, max_length):
    if beam_size == 1:
        return (translation.greedy(model, vocabulary, texts, max_length),
                prefix_decoding.greedy(model, vocabulary, texts, max_length))
    return (translation.beam(model, vocabulary, texts, beam_size, max_length),
            prefix_decoding.beam(model, vocabulary, texts, beam_size, max_length))


@pytest.mark.parametrize("beam_size", [1, 4])
def test_stateful_decoding_translates_as_the_prefix_decoding_on_the_shipped_translator(beam_size):
    model = registry.load("spa-eng-translator")
    texts = list(SENTENCES)
    if os.environ.get("ZOO_DATA_DIR"):  # and the test split's first sources
        from training.recipes import get
        from training.tasks import translation as task

        texts += [source for source, _ in task.load(get("spa-eng-translator"), os.environ["ZOO_DATA_DIR"])
                  ["test"][:200 if beam_size == 1 else 100]]
    stateful, reference = _both(model.network, model.target_vocabulary, texts, beam_size, model.max_length)
    assert stateful == reference
    assert len(set(stateful)) > len(texts) // 2  # real, varied translations


def _untrained(cell, layers, bidirectional, attention):
    """An untrained translator as `zoo train` saves one: strings in, next-token probabilities out."""
    keras.utils.set_random_seed(7)
    words = "the a cat dog sees runs big small red house , . ?".split()
    vectorizer = keras.layers.TextVectorization(vocabulary=words, standardize=split_punctuation,
                                                output_sequence_length=8, name="source_vectorizer")
    target_vocabulary = ["", "[UNK]", "[start]", "[end]"] + [w.upper() for w in words]
    network = encoder_decoder(cell, 6, source_vocab_size=len(words) + 2,
                              target_vocab_size=len(target_vocabulary), embedding_dim=5,
                              num_layers=layers, bidirectional=bidirectional, attention=attention)
    source = keras.Input(shape=(1,), dtype="string", name="source_text")
    target_in = keras.Input(shape=(None,), dtype="int32", name="target_in")
    model = keras.Model([source, target_in], network([vectorizer(source), target_in]))
    return model, target_vocabulary


@pytest.mark.parametrize("cell, layers, bidirectional, attention", [
    ("gru", 2, False, None), ("lstm", 1, True, "additive"), ("simplernn", 2, True, "dot")])
def test_stateful_decoding_of_every_shape_of_translator(cell, layers, bidirectional, attention):
    model, vocabulary = _untrained(cell, layers, bidirectional, attention)
    texts = ["the cat sees a dog .", "a big red house ?", "dog", "the small cat runs , the dog sees ."]
    for beam_size in (1, 3):
        stateful, reference = _both(model, vocabulary, texts, beam_size, 9)
        assert stateful == reference


def test_a_text_is_translated_sentence_by_sentence():
    model = registry.load("spa-eng-translator")
    one, two = model.translate(["I love you.", "Where is the train station?"])
    assert model.translate(["I love you. Where is the train station?"]) == [f"{one} {two}"]
    assert translation.split_sentences("  Hi!  Who are you?\nFine. ") == ["Hi!", "Who are you?", "Fine."]


def test_a_sentence_longer_than_the_model_reads_is_refused_not_cut():
    model = registry.load("spa-eng-translator")
    assert model.max_source_tokens == registry.card("spa-eng-translator")["recipe"]["sequence_length"] == 16
    fits = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen."
    assert translation.source_tokens([fits, "¿Qué?"]) == [16, 3]
    model.translate([fits])
    with pytest.raises(ValueError, match=r"text 2: the sentence .* has 17 tokens; .* at most 16 tokens"):
        model.translate(["Hi.", "Fine. " + fits.replace(".", " sixteen.")])
