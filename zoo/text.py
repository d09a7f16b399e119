"""Text standardization saved inside the zoo's text models.

Both functions turn every character that Python counts as a line break
(``\\x85``, ``\\u2028``, form feeds, ...) into a space: a vocabulary is saved
one token a line, and such a character inside a token would split it in two
when the model is loaded.
"""

import json
import re

import keras
import numpy as np
import tensorflow as tf

PUNCTUATION = ".,!?;:¿¡\"«»()"
_PAD = "([" + re.escape(PUNCTUATION) + "])"
_LINE_BREAKS = r"[\s\x{0b}\x{0c}\x{1c}\x{1d}\x{1e}\x{85}\x{a0}\x{2028}\x{2029}]+"
_HTML_BREAKS = r"<br\s*/?>"
_KERAS_PUNCTUATION = r'[!"#$%&()\*\+,\-\./:;<=>?@\[\\\]^_`{|}~\']'


@keras.saving.register_keras_serializable(package="zoo")
def lower_and_strip_punctuation(text):
    """In-graph: lower case (UTF-8 aware), HTML line breaks (``<br />``, as in
    IMDB reviews) and line breaks to spaces, punctuation removed."""
    text = tf.strings.lower(text, encoding="utf-8")
    text = tf.strings.regex_replace(text, _HTML_BREAKS, " ")
    text = tf.strings.regex_replace(text, _LINE_BREAKS, " ")
    return tf.strings.regex_replace(text, _KERAS_PUNCTUATION, "")


@keras.saving.register_keras_serializable(package="zoo")
def split_punctuation(text):
    """In-graph: ``"¿Qué?"`` -> ``" ¿ Qué ? "`` (TextVectorization then splits on spaces)."""
    text = tf.strings.regex_replace(text, _LINE_BREAKS, " ")
    return tf.strings.regex_replace(text, _PAD, r" \1 ")


def detokenize(tokens):
    """Joins tokens into a sentence: no space before ``.,!?;:`` nor after ``¿¡``.

    >>> detokenize(["¿", "Dónde", "está", "?"])
    '¿Dónde está?'
    """
    text = " ".join(tokens)
    text = re.sub(r" ([.,!?;:»)])", r"\1", text)
    return re.sub(r"([¿¡«(]) ", r"\1", text)


class CharVocabulary:
    """Characters <-> ids for character models; id 0 is a character never seen in training.

    >>> v = CharVocabulary(["a", "b"])
    >>> v.encode("abz").tolist(), v.decode([2, 1, 0])
    ([1, 2, 0], 'ba?')
    """

    def __init__(self, chars):
        self.chars = list(chars)
        self.index = {c: i + 1 for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text):
        return cls(sorted(set(text)))

    def __len__(self):
        return len(self.chars) + 1

    def encode(self, text):
        return np.fromiter((self.index.get(c, 0) for c in text), dtype="int32", count=len(text))

    def decode(self, ids):
        return "".join(self.chars[i - 1] if 0 < i <= len(self.chars) else "?" for i in ids)

    def to_json(self):
        return json.dumps({"chars": self.chars})

    @classmethod
    def from_json(cls, text):
        return cls(json.loads(text)["chars"])
