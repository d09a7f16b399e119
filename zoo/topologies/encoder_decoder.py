"""Many-to-many encoder-decoder: input and output sequences of different lengths."""

import keras

from zoo.topologies._stack import make_cells, output_layer, recurrent_stack

ATTENTION = {"dot": keras.layers.Attention, "additive": keras.layers.AdditiveAttention}


def encoder_decoder(cell="lstm", units=64, *, source_vocab_size, target_vocab_size,
                    embedding_dim=None, num_layers=1, bidirectional=False,
                    attention=None, output_activation="softmax", dropout=0.0,
                    name="encoder_decoder", **cell_kwargs):
    """Builds a sequence-to-sequence model (Sutskever et al. 2014; attention of
    Luong et al. 2015 or Bahdanau et al. 2015).

    The encoder reads the source (token id 0 is padding, masked) and its final
    states start the decoder, layer by layer. With ``bidirectional=True`` the
    encoder reads both ways and the decoder, of ``2 * units``, starts from
    ``[h_fw; h_bw]``. The decoder reads the target shifted right (teacher
    forcing). With ``attention="dot"`` (Luong) or ``"additive"`` (Bahdanau) each
    decoder step attends over the encoder outputs:
    ``a_t = tanh(W_a [h_t; context_t])``, and ``y_t = softmax(W_y a_t + b_y)``.

    ``dropout`` (training only) drops features of both embeddings and of the
    vector the output layer reads.

    Inputs are ``[source, target_in]``; the output is ``(batch, T_target, vocab)``.

    >>> import numpy as np
    >>> from zoo.topologies import encoder_decoder
    >>> model = encoder_decoder("gru", 8, source_vocab_size=30, target_vocab_size=40,
    ...                         bidirectional=True, attention="dot")
    >>> tuple(model([np.array([[3, 4, 5, 6, 0]]), np.array([[1, 7, 8]])]).shape)
    (1, 3, 40)
    """
    if attention not in (None, *ATTENTION):
        raise ValueError(f"`attention` must be None, 'dot' or 'additive', got {attention!r}.")
    embedding_dim = embedding_dim or units
    source = keras.Input(shape=(None,), dtype="int32", name="source")
    target_in = keras.Input(shape=(None,), dtype="int32", name="target_in")

    s = keras.layers.Embedding(source_vocab_size, embedding_dim, mask_zero=True,
                               name="source_embedding")(source)
    if dropout:
        s = keras.layers.Dropout(dropout, name="source_dropout")(s)
    encoder_cells = make_cells(cell, units, num_layers, **cell_kwargs)
    memory, encoder_states = recurrent_stack(
        s, encoder_cells, prefix="encoder", bidirectional=bidirectional,
        return_sequences=True, return_state=True)
    if bidirectional:  # join forward and backward states: [h_fw; h_bw]
        encoder_states = [
            [keras.layers.Concatenate(name=f"bridge_{i}_{j}")([fw, bw])
             for j, (fw, bw) in enumerate(zip(st[: len(st) // 2], st[len(st) // 2:]))]
            for i, st in enumerate(encoder_states)
        ]

    decoder_units = units * (2 if bidirectional else 1)
    decoder_config = {**encoder_cells[0].get_config(), "name": None, "units": decoder_units}
    decoder_cells = [encoder_cells[0].__class__.from_config(dict(decoder_config))
                     for _ in range(num_layers)]
    t = keras.layers.Embedding(target_vocab_size, embedding_dim, mask_zero=True,
                               name="target_embedding")(target_in)
    if dropout:
        t = keras.layers.Dropout(dropout, name="target_dropout")(t)
    h, _ = recurrent_stack(t, decoder_cells, prefix="decoder", return_sequences=True,
                           initial_states=encoder_states)
    if attention:
        context = ATTENTION[attention](name="attention")([h, memory])
        h = keras.layers.Concatenate(name="attention_join")([h, context])
        h = keras.layers.Dense(decoder_units, activation="tanh", name="attention_combine")(h)
    if dropout:
        h = keras.layers.Dropout(dropout, name="output_dropout")(h)
    y = output_layer(h, target_vocab_size, output_activation)
    return keras.Model([source, target_in], y, name=name)
