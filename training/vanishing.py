"""The vanishing-gradient demonstration: how much the loss at the end of a
review still depends on the state ``h_t`` far before it.

For each cell (SimpleRNN, GRU, LSTM) the script takes the zoo's IMDB model
(``imdb-simplernn``, ``imdb-gru``, ``imdb-lstm``) and an untrained one of the
same recipe (random initial weights), runs each step by step over validation reviews
at least ``--steps`` tokens long, and measures the mean norm of
``d loss / d h_t`` against the distance ``T - t`` to the loss. It prints a
table and saves a plot (log scale)::

    python -m training.vanishing --out docs/vanishing_gradients.png
"""

import argparse
import sys

import keras
import numpy as np
import tensorflow as tf

from training import recipes
from training.data import DataError, load_imdb
from training.tasks.pipeline import vectorize
from training.tasks.sentiment import build_model, make_vectorizer
from zoo import registry

CELLS = {"simplernn": "imdb-simplernn", "gru": "imdb-gru", "lstm": "imdb-lstm"}


def network_parts(name, texts, trained=True):
    """(vectorizer, embedding, cell, head, trained?) of the zoo entry, or of a fresh
    model of the same recipe (random initial weights) when ``trained`` is False or
    the zoo has no such entry."""
    recipe = recipes.get(name)
    vectorizer = None
    if name in registry.list_models():
        outer = registry.load(name).network
        vectorizer = outer.get_layer("vectorizer")
        if trained:
            inner = next(layer for layer in outer.layers if isinstance(layer, keras.Model))
            return (vectorizer, inner.get_layer("embedding"), inner.get_layer("rnn_0").cell,
                    inner.get_layer("output"), True)
    vectorizer = vectorizer or make_vectorizer(recipe, texts)
    inner = build_model(recipe)
    return vectorizer, inner.get_layer("embedding"), inner.get_layer("rnn_0").cell, inner.get_layer("output"), False


def gradient_norms(embedding, cell, head, ids, labels):
    """Mean ||d loss / d h_t|| over the batch, for t = 1..T (no padding in ``ids``)."""
    x = embedding(ids)
    batch, steps = ids.shape
    state = [tf.zeros((batch, cell.units)) for _ in cell.get_initial_state(batch)]
    hs = []
    with tf.GradientTape() as tape:
        for t in range(steps):
            tape.watch(state[0])
            hs.append(state[0])
            _, state = cell(x[:, t], state)
            state = list(state)
        hs.append(state[0])
        probs = head(state[0])[:, 0]
        loss = keras.losses.binary_crossentropy(labels, probs)
        loss = tf.reduce_mean(loss)
    grads = tape.gradient(loss, hs[1:])  # d loss / d h_t, t = 1..T
    return np.array([float(tf.reduce_mean(tf.norm(g, axis=-1))) for g in grads])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m training.vanishing",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="data directory (default: $ZOO_DATA_DIR)")
    parser.add_argument("--steps", type=int, default=200, help="review length T in tokens (default 200)")
    parser.add_argument("--reviews", type=int, default=64, help="reviews averaged (default 64)")
    parser.add_argument("--out", default="docs/vanishing_gradients.png", help="plot file")
    args = parser.parse_args(argv)
    try:
        data = load_imdb(data_dir=args.data_dir)
    except DataError as error:
        sys.exit(f"python -m training.vanishing: error: {error}")
    texts, labels = data["validation"]

    curves = {}
    keras.utils.set_random_seed(0)
    for want_trained in (True, False):
        for cell_name, name in CELLS.items():
            vectorizer, embedding, cell, head, trained = network_parts(name, data["train"][0], want_trained)
            if want_trained and not trained:
                continue  # no zoo entry: only the untrained curve
            ids = vectorize(vectorizer, texts)[:, : args.steps]
            full = np.flatnonzero((ids != 0).all(axis=1))[: args.reviews]  # reviews with no padding
            norms = gradient_norms(embedding, cell, head, tf.constant(ids[full]),
                                   tf.constant(labels[full], "float32"))
            curves[f"{cell_name} ({'trained ' + name if trained else 'untrained'})"] = norms[::-1]

    distances = [0, 10, 25, 50, 100, 150, args.steps - 1]
    print("mean ||d loss / d h_t|| by distance T - t from the loss")
    print(f"{'cell':<34}" + "".join(f"{d:>10}" for d in distances))
    for label, norms in curves.items():
        print(f"{label:<34}" + "".join(f"{norms[d]:>10.2e}" for d in distances if d < len(norms)))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    colors = {"simplernn": "tab:blue", "gru": "tab:orange", "lstm": "tab:green"}
    for label, norms in curves.items():
        ax.semilogy(np.arange(len(norms)), norms, label=label, color=colors[label.split()[0]],
                    linestyle="-" if "(trained" in label else "--")
    ax.set_xlabel("distance T - t from the loss (tokens)")
    ax.set_ylabel("mean ||d loss / d h_t||")
    ax.set_title(f"Gradient reaching h_t, IMDB validation reviews (T = {args.steps})")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=90)
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
