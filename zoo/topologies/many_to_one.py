"""Many-to-one: a whole sequence in, one output (e.g. sentiment)."""

import keras

from zoo.layers.bigrams import Bigrams
from zoo.topologies._stack import make_cells, output_layer, recurrent_stack, sequence_input
from zoo.topologies.pooling import SequencePooling


def many_to_one(cell="lstm", units=64, *, vocab_size=None, input_dim=None,
                embedding_dim=None, num_layers=1, bidirectional=False, dropout=0.0,
                output_dim=1, output_activation="sigmoid", mask_zero=True,
                mask_value=None, pooling="last", input_dropout=0.0, bigram_vocabulary=None,
                name="many_to_one", **cell_kwargs):
    """Builds ``x_1..x_T -> h_T -> y = f(W_y h_T + b_y)``.

    Padding (token id 0, or vectors equal to ``mask_value``) is masked: the
    state is carried unchanged over padded steps, so ``h_T`` is the state after
    the last real step wherever the padding sits.

    Args:
        cell: "simplernn", "gru", "lstm" or a cell instance.
        units: size of ``h`` (per direction).
        vocab_size / input_dim: token-id or vector sequences.
        num_layers: stacked recurrent layers.
        bidirectional: read the sequence both ways and join ``[h_fw; h_bw]``.
        dropout: dropout before the output layer.
        input_dropout: drops whole feature channels of ``x`` (``SpatialDropout1D``).
        pooling: "last" reads ``h_T``; "mean", "max" or "mean+max" summarize
            every ``h_t`` of the last layer (padding excluded).
        bigram_vocabulary: token ids only: word-pair codes (see
            ``zoo.layers.bigrams``); then ``x_t`` is the embedding of ``w_t``
            plus an embedding of the pair ``(w_{t-1}, w_t)``.

    >>> import numpy as np
    >>> from zoo.topologies import many_to_one
    >>> model = many_to_one("lstm", 8, vocab_size=100, bidirectional=True)
    >>> tuple(model(np.array([[5, 6, 7, 0, 0]])).shape)
    (1, 1)
    """
    inputs, x = sequence_input("x", vocab_size=vocab_size, input_dim=input_dim,
                               embedding_dim=embedding_dim or units, mask_zero=mask_zero,
                               mask_value=mask_value)
    if bigram_vocabulary is not None:
        if vocab_size is None:
            raise ValueError("`bigram_vocabulary` needs token-id inputs (`vocab_size`).")
        bigrams = Bigrams(vocab_size, bigram_vocabulary, name="bigrams")
        # id 0 is exactly the padding: its mask is the words' (Add drops a lone mask)
        pairs = keras.layers.Embedding(bigrams.size, embedding_dim or units, mask_zero=True,
                                       name="bigram_embedding")(bigrams(inputs))
        x = keras.layers.Add(name="word_and_bigram")([x, pairs])
    if input_dropout:
        x = keras.layers.SpatialDropout1D(input_dropout, name="input_dropout")(x)
    layer_cells = make_cells(cell, units, num_layers, **cell_kwargs)
    if pooling != "last":
        h, _ = recurrent_stack(x, layer_cells, bidirectional=bidirectional, return_sequences=True)
        h = SequencePooling(pooling, name="pooling")(h)
    else:
        h, _ = recurrent_stack(x, layer_cells, bidirectional=bidirectional, return_sequences=False)
    if dropout:
        h = keras.layers.Dropout(dropout, name="dropout")(h)
    return keras.Model(inputs, output_layer(h, output_dim, output_activation), name=name)
