"""A text classifier on real reviews, in process (not a test): prints reviews per second.

    python benchmarks/classifier_speed.py [--model NAME] [--reviews 2048] [--data-dir DIR]
    python benchmarks/classifier_speed.py --served-batches 32

Reviews: a random sample of the IMDB test split (from ``--data-dir`` or
``ZOO_DATA_DIR``), in random order, as real traffic comes; without the data,
synthetic reviews of the same length distribution (log-normal: median 172
words, 90th percentile 427) drawn from the model's vocabulary. Two ways to
read them with the same model, ``--batch-size`` at a time, side by side:

- "in order, cut at the longest": each batch as it comes, cut after its
  longest text (a graph for any length: the recurrent layers run Keras' loop);
- ``zoo.load(...).predict``: the texts sorted by length, each batch cut at
  its length class (a graph per class: the zoo layers' compiled loops);

and, for scale, the keras.io bidirectional LSTM example's network (untrained)
by ``model.predict`` on the same texts.

Prints reviews per second of each (median of ``--repeats`` runs, after one
run that traces and compiles), their ratio, the largest difference between
their probabilities, and the accuracy where the reviews have labels.

``--served-batches N`` times the regime of the HTTP service instead: ``predict``
on N texts at a time in the order given, with every shape of up to N texts
compiled first (as ``zoo serve`` does while idle), each batch cut into groups
of similar length (``zoo.length_groups``) against one call per batch,
alternating batch by batch.
"""

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

import zoo


def reviews(model, count, data_dir, seed=0):
    """``(texts, labels or None, where they came from)``."""
    rng = np.random.default_rng(seed)
    if data_dir:
        from training.data.imdb import load_imdb

        texts, labels = load_imdb(data_dir)["test"]
        pick = rng.permutation(len(texts))[:count]
        return [texts[i] for i in pick], np.asarray(labels)[pick], f"IMDB test reviews ({data_dir})"
    words = [w for w in model.network.layers[1].get_vocabulary()[2:2000] if w.isalpha()]
    sizes = np.maximum(1, rng.lognormal(np.log(172), np.log(427 / 172) / 1.2816, count)).astype(int)
    return ([" ".join(rng.choice(words, size=n)) for n in sizes], None,
            "synthetic reviews (log-normal lengths: median 172 words, p90 427)")


def in_order(model, batch_size):
    """Each batch as it comes, cut after its longest text: the classifier's own
    vectorizer and graph for any length (Keras' loop), without the sorting."""

    def run(texts):
        tokens = np.asarray(model._tokens(tf.constant(texts)[:, None]))
        longest = max(int((tokens != 0).sum(axis=1).max()), 1)
        return np.asarray(model._body(None, tf.as_dtype(tokens.dtype))(tokens[:, :longest]))

    return lambda texts: np.concatenate([run(texts[i:i + batch_size])
                                         for i in range(0, len(texts), batch_size)]).reshape(-1)


def keras_io_recipe(model, batch_size):
    """The keras.io bidirectional LSTM example (Embedding 20,000 x 128, two
    BiLSTM-64 layers, 200 tokens) reading the same raw texts through a
    vectorizer with the classifier's vocabulary, by ``model.predict``. Its
    weights are untrained: it is timed, not scored."""
    vocabulary = model._parts[0].get_vocabulary()[2:20000]
    vectorizer = keras.layers.TextVectorization(vocabulary=vocabulary, output_sequence_length=200,
                                                standardize=model._parts[0].get_config()["standardize"])
    texts = keras.Input(shape=(1,), dtype="string")
    x = keras.layers.Embedding(20000, 128)(vectorizer(texts))
    x = keras.layers.Bidirectional(keras.layers.LSTM(64, return_sequences=True))(x)
    x = keras.layers.Bidirectional(keras.layers.LSTM(64))(x)
    recipe = keras.Model(texts, keras.layers.Dense(1, activation="sigmoid")(x))
    return lambda t: recipe.predict(tf.constant(t)[:, None], batch_size=batch_size, verbose=0).reshape(-1)


def served_batches(model, texts, labels, size, repeats):
    """``predict`` on ``size`` texts at a time, grouped by length or one call
    each, the two alternating batch by batch."""
    start = time.perf_counter()
    shapes = model.compile_loops(size)
    print(f"compiled {shapes} shapes of up to {size} texts in {time.perf_counter() - start:.0f} s")
    batches = [texts[i:i + size] for i in range(0, len(texts), size)]
    ways = {"grouped by length": True, "one call per batch": False}
    seconds = {name: [0.0] * (repeats + 1) for name in ways}
    outputs = {name: [] for name in ways}  # the first round's
    for r in range(repeats + 1):  # the first round compiles the shapes of more than `size` rows
        for batch in batches:
            for name, grouped in (ways.items() if r % 2 else reversed(ways.items())):
                model.group_by_length = grouped
                start = time.perf_counter()
                probs = model.predict(batch)
                seconds[name][r] += time.perf_counter() - start
                if r == 0:
                    outputs[name].append(probs)
    model.group_by_length = True
    rates = {name: statistics.median(len(texts) / s for s in seconds[name][1:]) for name in ways}
    outputs = {name: np.concatenate(outputs[name]) for name in ways}
    for name in ways:
        line = f"predict, {size} at a time, {name:<20} {rates[name]:7.0f} reviews/s"
        if labels is not None:
            line += f"   accuracy {np.mean((outputs[name] >= 0.5) == labels):.4f}"
        print(line)
    a, b = outputs.values()
    print(f"grouped / one call {rates['grouped by length'] / rates['one call per batch']:.2f}x "
          f"(largest probability difference {np.abs(a - b).max():.1e})")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="a text classifier (default: the zoo's default, the best by accuracy)")
    p.add_argument("--reviews", type=int, default=2048)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--data-dir", default=os.environ.get("ZOO_DATA_DIR"))
    p.add_argument("--served-batches", type=int, metavar="N",
                   help="instead: predict called on N texts at a time in the order given, as the "
                        "service's batches come, every shape of up to N texts compiled first; groups "
                        "of similar length against one call per batch")
    args = p.parse_args(argv)

    args.model = args.model or zoo.registry.best_model("classifier")
    model = zoo.load(args.model)
    if not getattr(model, "_lengths", None):
        raise SystemExit(f"{args.model} is not a text -> vectorizer (of a fixed length) -> network classifier")
    texts, labels, source = reviews(model, args.reviews, args.data_dir)
    words = sorted(len(t.split()) for t in texts)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; {args.model}; "
          f"{len(texts)} {source}; words: median {words[len(words) // 2]}, p90 {words[int(len(words) * .9)]}; "
          f"batch size {args.served_batches or args.batch_size}")
    if args.served_batches:
        return served_batches(model, texts, labels, args.served_batches, args.repeats)
    ways = {"in order, cut at the longest": in_order(model, args.batch_size),
            "zoo predict (by length, compiled)": lambda t: model.predict(t, batch_size=args.batch_size),
            "keras.io BiLSTM recipe (untrained)": keras_io_recipe(model, args.batch_size)}
    outputs, rates = {}, {}
    for name, way in ways.items():
        outputs[name] = way(texts)  # traced and compiled
    for _ in range(args.repeats):  # alternate, so drifts of the machine hit both alike
        for name, way in ways.items():
            start = time.perf_counter()
            way(texts)
            rates.setdefault(name, []).append(len(texts) / (time.perf_counter() - start))
    for name in ways:
        line = f"{name:<36} {statistics.median(rates[name]):7.0f} reviews/s"
        if labels is not None and "untrained" not in name:
            line += f"   accuracy {np.mean((outputs[name] >= 0.5) == labels):.4f}"
        print(line)
    old, new, recipe = (statistics.median(rates[name]) for name in ways)
    diff = np.abs(outputs[list(ways)[0]] - outputs[list(ways)[1]]).max()
    print(f"zoo predict / in order {new / old:.2f}x (largest probability difference {diff:.1e}); "
          f"zoo predict / keras.io recipe {new / recipe:.2f}x")


if __name__ == "__main__":
    main()
