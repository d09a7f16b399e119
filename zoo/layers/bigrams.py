"""Word bigrams of a token-id sequence, one per position, as ids of a bigram vocabulary."""

import keras
import numpy as np
from keras import ops


def bigram_codes(tokens, vocab_size):
    """``code_t = w_{t-1} * vocab_size + w_t`` (``w_0`` reads as 0), and 0 where
    ``w_t`` is padding (id 0). Works on numpy arrays and on tensors."""
    tokens = ops.cast(tokens, "int64")
    previous = ops.pad(tokens[:, :-1], [[0, 0], [1, 0]])
    return ops.where(tokens > 0, previous * vocab_size + tokens, ops.zeros_like(tokens))


def frequent_bigrams(token_ids, vocab_size, size, min_count=2):
    """The codes of the ``size`` most frequent bigrams in ``token_ids`` (a
    ``(n, T)`` int array, 0 = padding) seen at least ``min_count`` times, most
    frequent first (ties by code, so the list is the same on every run)."""
    tokens = np.asarray(token_ids, dtype="int64")
    codes = np.asarray(bigram_codes(tokens, vocab_size))[tokens > 0]
    values, counts = np.unique(codes, return_counts=True)
    keep = counts >= min_count
    values, counts = values[keep], counts[keep]
    order = np.lexsort((values, -counts))[:size]
    return values[order].tolist()


@keras.saving.register_keras_serializable(package="zoo")
class Bigrams(keras.layers.Layer):
    """Token ids ``(batch, T)`` -> bigram ids ``(batch, T)``: at position t the
    id of the pair ``(w_{t-1}, w_t)`` in ``vocabulary`` (a list of
    :func:`bigram_codes`), 1 for a pair not in it, 0 at padding.

    Aligned with the tokens, so a model can add a bigram embedding to each
    word's embedding (the word-pair features of fastText or NBSVM, read by a
    recurrent layer instead of being averaged).

    >>> import numpy as np
    >>> layer = Bigrams(vocab_size=10, vocabulary=[0 * 10 + 5, 5 * 10 + 6])
    >>> np.asarray(layer(np.array([[5, 6, 7, 0]]))).tolist()
    [[2, 3, 1, 0]]
    """

    def __init__(self, vocab_size, vocabulary, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = int(vocab_size)
        self.vocabulary = [int(code) for code in vocabulary]
        self.lookup = keras.layers.IntegerLookup(vocabulary=np.array(self.vocabulary, "int64"),
                                                 mask_token=0, num_oov_indices=1, dtype="int64")

    @property
    def size(self):
        """Number of ids the layer outputs: padding, unknown pair, each vocabulary entry."""
        return len(self.vocabulary) + 2

    def build(self, input_shape):
        self.lookup.build(input_shape)
        self.built = True

    def call(self, tokens):
        return ops.cast(self.lookup(bigram_codes(tokens, self.vocab_size)), "int32")

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "vocabulary": self.vocabulary}
