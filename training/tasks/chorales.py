"""Music: next-step prediction of Bach chorales as 88-key piano rolls
(``training.data.chorales``), the set-up of Chung et al. (2014), "Empirical
Evaluation of Gated Recurrent Neural Networks on Sequence Modeling".

The network is a synced many-to-many over piano-roll frames: ``x_t`` is the
frame at step ``t`` (88 zeros and ones), ``y_t = sigmoid(W_y h_t + b_y)`` the
88 independent probabilities that each key sounds at step ``t + 1``. The loss is
the binary cross-entropy SUMMED over the 88 keys: the negative log-likelihood
of the next frame, in nats. In generation the model is one-to-many: from one
chord it writes the piece, one frame per step (``zoo.music.Composer``).

Training reads whole pieces (frames ``1..T-1`` in, ``2..T`` out; the first
frame is given, never predicted, as the composer is given it). The pieces of a
batch are of similar length (sorted by length with a random jitter per epoch,
the batches shuffled), padded at the end to a multiple of ``BUCKET`` steps;
the padding has weight 0 in the loss (the network is causal, so it changes no
real step), and every real step has the same weight in an epoch: the loss
Keras reports for an epoch (``val_loss`` too) is the NLL per step.

Card metrics (``evaluate``), on the test split: ``nll_per_step``, the
negative log-likelihood of each predicted frame in nats, summed over the 88
keys and averaged over every predicted step of every piece (Chung et al.'s
measure: 8.54 for their GRU on the published JSB split), and
``frame_accuracy``, the frame-level accuracy of Bay et al. (2009):
``TP / (TP + FP + FN)`` counted over every key of every predicted frame, a key
predicted on where its probability exceeds 0.5.

>>> rolls = [np.eye(88, dtype="uint8")[[60 - 21, 64 - 21, 67 - 21]]]
>>> x, y, w = next(iter(batches(rolls, batch_size=2)))
>>> tuple(x.shape), tuple(w.shape), float(np.asarray(w).sum())
((2, 32, 88), (2, 32), 64.0)
"""

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from training.data.chorales import KEYS, load_chorales
from training.tasks import pipeline
from zoo import cells
from zoo.topologies import many_to_many_synced

KIND = "composer"
OWN_DATA = None     # no reader of a user's data (the task is not in training.tasks.OWN_DATA)
DEFAULT_SPLIT = "test"
BUCKET = 32         # a batch is padded to a multiple of this many steps (few shapes: XLA compiles once per shape)


def topology(recipe):
    return "synced many-to-many (one-to-many in generation)"


def load(recipe, data_dir=None, limit=None):
    """The chorales' splits (``data_dir`` is not used: the corpus ships with music21)."""
    return load_chorales(limit=limit)


@dataclass
class Prepared:
    model: keras.Model      # what fit() trains: frames in, next-frame probabilities out
    train: object           # epoch -> tf.data.Dataset of (x, y, weights)
    validation: object
    data: dict

    def inference_model(self):
        return self.model

    def extra_files(self):
        return {}


@keras.saving.register_keras_serializable(package="zoo")
def summed_binary_crossentropy(y_true, y_pred):
    """The binary cross-entropy of each frame summed over its keys (nats per step)."""
    return KEYS * keras.losses.binary_crossentropy(y_true, y_pred)


def _compile(model, recipe, steps_per_epoch=None):
    """Adam; with ``steps_per_epoch``, its learning rate falls from the recipe's
    to 5% of it along a cosine over the recipe's epochs (Loshchilov & Hutter 2017)."""
    rate = recipe.learning_rate
    if steps_per_epoch:
        rate = keras.optimizers.schedules.CosineDecay(rate, recipe.epochs * steps_per_epoch, alpha=0.05)
    model.compile(optimizer=keras.optimizers.Adam(rate, clipnorm=5.0), loss=summed_binary_crossentropy)
    return model


def build_model(recipe, steps_per_epoch=None):
    """The network of ``recipe``, compiled: ``input_dropout`` drops keys of ``x_t``
    (one mask per piece, the cell's own input dropout), ``dropout`` features of ``h_t``."""
    cell = cells.get(recipe.cell, recipe.units, dropout=recipe.input_dropout) if recipe.input_dropout else recipe.cell
    model = many_to_many_synced(cell, recipe.units, input_dim=KEYS, output_dim=KEYS,
                                output_activation="sigmoid", num_layers=recipe.layers,
                                dropout=recipe.dropout, name=recipe.name.replace("-", "_"))
    return _compile(model, recipe, steps_per_epoch)


def _arrays(rolls, batch_size, rng=None):
    """``(x, y, weights)`` batches of whole pieces, as numpy arrays (see the module)."""
    pieces = [r for r in rolls if len(r) > 1]
    lengths = np.array([len(r) - 1 for r in pieces], "float64")
    jitter = rng.uniform(0, BUCKET / 2, len(pieces)) if rng is not None else np.zeros(len(pieces))
    order = np.argsort(lengths + jitter, kind="stable")
    out = []
    for start in range(0, len(order), batch_size):
        chosen = [pieces[i] for i in order[start:start + batch_size]]
        steps = -(-max(len(r) - 1 for r in chosen) // BUCKET) * BUCKET
        x = np.zeros((batch_size, steps, KEYS), "float32")
        y = np.zeros_like(x)
        w = np.zeros((batch_size, steps), "float32")
        for i, roll in enumerate(chosen):
            n = len(roll) - 1
            x[i, :n], y[i, :n], w[i, :n] = roll[:-1], roll[1:], 1.0
        out.append((x, y, w))
    total = sum(len(r) - 1 for r in pieces)
    for x, y, w in out:  # Keras' mean over the batches' means is then the mean over every real step
        w *= w.size * len(out) / total
    if rng is not None:
        out = [out[i] for i in rng.permutation(len(out))]
    return out


def batches(rolls, batch_size, seed=None, epoch=0):
    """A ``tf.data.Dataset`` of ``(x, y, weights)``; shuffled by ``(seed, epoch)`` when
    ``seed`` is given (the same order on every run, so a resumed epoch skips exactly)."""
    rng = np.random.default_rng(seed + epoch) if seed is not None else None
    arrays = _arrays(rolls, batch_size, rng)
    spec = (tf.TensorSpec((batch_size, None, KEYS), tf.float32),
            tf.TensorSpec((batch_size, None, KEYS), tf.float32),
            tf.TensorSpec((batch_size, None), tf.float32))
    data = tf.data.Dataset.from_generator(lambda: iter(arrays), output_signature=spec)
    # its length known, as for arrays: Keras then does not warn that the data "ran out" each epoch
    return data.apply(tf.data.experimental.assert_cardinality(len(arrays))).with_options(pipeline.options())


def prepare(recipe, data_dir=None, limit=None, own=None, start=None):
    """The model and data of ``recipe``; from scratch, or continuing the trained composer ``start``."""
    if own is not None:
        raise ValueError("the chorales task trains on music21's chorales only, not on your own data")
    data = load(recipe, data_dir, limit)
    steps_per_epoch = -(-sum(len(r) > 1 for r in data["train"]) // recipe.batch_size)
    if start is not None:
        model = _compile(keras.saving.load_model(start.model_file, compile=False), recipe, steps_per_epoch)
    else:
        model = build_model(recipe, steps_per_epoch)

    def train(epoch):
        return batches(data["train"], recipe.batch_size, seed=recipe.seed, epoch=epoch)

    validation = batches(data["validation"], recipe.batch_size)
    return Prepared(model, train, validation, data)


def logits(net, rolls, batch_size=64, progress=False):
    """``W_y h_t + b_y`` (float64) of each piece's frames ``1..T-1``: one
    ``(T - 1, 88)`` array per roll, the logits of frames ``2..T`` (``progress``:
    a progress bar over the pieces)."""
    hidden = keras.Model(net.input, net.get_layer("output").input)
    head = net.get_layer("output")
    kernel = np.asarray(head.kernel, "float64")
    bias = np.asarray(head.bias, "float64") if head.use_bias else 0.0
    out = []
    bar = keras.utils.Progbar(len(rolls), unit_name="piece") if progress else None
    for start in range(0, len(rolls), batch_size):
        chosen = rolls[start:start + batch_size]
        steps = max(max(len(r) - 1 for r in chosen), 1)
        x = np.zeros((len(chosen), steps, KEYS), "float32")
        for i, roll in enumerate(chosen):
            x[i, :len(roll) - 1] = roll[:-1]
        h = np.asarray(hidden(x, training=False), "float64")
        out += [h[i, :len(roll) - 1] @ kernel + bias for i, roll in enumerate(chosen)]
        if bar:
            bar.update(len(out))
    return out


def scores(z, rolls):
    """``(nats, steps, tp, fp, fn)`` of the logits ``z`` (one array per roll) against the rolls' frames 2..T."""
    nats, steps, tp, fp, fn = 0.0, 0, 0, 0, 0
    for zi, roll in zip(z, rolls):
        target = roll[1:].astype("float64")
        nats += float(np.sum(np.logaddexp(0.0, zi) - target * zi))  # -log sigmoid(±z), exactly
        steps += len(target)
        on, truth = zi > 0, target > 0
        tp += int(np.sum(on & truth))
        fp += int(np.sum(on & ~truth))
        fn += int(np.sum(~on & truth))
    return nats, steps, tp, fp, fn


def evaluate(net, data, split="test", progress=False):
    """Negative log-likelihood per step (nats, summed over the keys) and frame accuracy.

    >>> net = many_to_many_synced("gru", 4, input_dim=88, output_dim=88, output_activation="sigmoid")
    >>> m = evaluate(net, {"test": [np.zeros((5, 88), "uint8")]})
    >>> m["pieces"], m["steps"], round(m["nll_per_step"] / 88, 2)   # untrained: about log 2 a key
    (1, 4, 0.69)
    """
    rolls = [r for r in data[split] if len(r) > 1]
    nats, steps, tp, fp, fn = scores(logits(net, rolls, progress=progress), rolls)
    return {"split": split, "pieces": len(rolls), "steps": steps,
            "nll_per_step": nats / max(steps, 1),
            "frame_accuracy": tp / max(tp + fp + fn, 1)}


def evaluate_file(model_path, extras, data, split=DEFAULT_SPLIT, progress=False):
    return evaluate(keras.saving.load_model(model_path, compile=False), data, split, progress)


PIECE = {"first_chord": "C4 E4 G4", "steps": 64, "temperature": 1.0, "seed": 0}  # the card's sample piece


def published_extras(name, model_file, out_dir):
    """What ``training.publish`` adds to a composer's card: the piano roll of
    one generated piece (``NAME.piece.png``: ``PIECE``'s settings), its first
    chords, and the commands that need no data directory (the corpus ships with music21)."""
    from zoo.music import Composer, chord_names, draw

    composer = Composer(keras.saving.load_model(model_file, compile=False))
    piece = composer.compose(**PIECE)
    picture = f"{name}.piece.png"
    draw(piece, out_dir / picture, f"{name}: {PIECE['steps']} steps from {PIECE['first_chord']} "
                                   f"(seed {PIECE['seed']}, temperature {PIECE['temperature']})")
    arguments = ", ".join(f"{k}={v!r}" for k, v in PIECE.items())
    return {"evaluate_command": f"zoo evaluate {name}",
            "evaluate_sample_command": f"zoo evaluate {name} --limit 1000",
            "piece": picture,
            "piece_code": f"zoo.load({name!r}).compose({arguments})",
            "piece_first_chords": [chord_names(chord) for chord in piece.chords[:8]]}
