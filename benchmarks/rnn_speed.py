"""Speed of the zoo's recurrent layer against Keras' built-in layers (not a test): prints a table.

    python benchmarks/rnn_speed.py [--cells lstm gru simplernn] [--shapes imdb char] [--repeats 7]
    python benchmarks/rnn_speed.py --keras-apis [--cells lstm gru] [--batch-sizes 1 8 64 256] [--sequences 1024]

``--keras-apis`` times the model through Keras' own entry points instead
(``fit``, ``evaluate``, ``predict``, ``predict_on_batch``, ``train_on_batch``,
a direct call, a call inside ``tf.function``) at each batch size, the sizes
taken in increasing and then in decreasing order, each order with a fresh
pair of models (which batch size a model sees first used to decide which
ones were fast). It prints keras / zoo, the median over alternating rounds.

For every (shape, cell) pair, in one process: a model ``Embedding -> RNN ->
Dense`` built twice, once with ``keras.layers.LSTM/GRU/SimpleRNN`` and once
with ``zoo.layers.RNN`` and the zoo cell, the second given the first's
weights. It checks that both give the same outputs and gradients (largest
absolute differences printed), then times a training step (forward,
backward, Adam update) and an inference call of each, alternating between
the models ``--repeats`` times, and prints the medians of the times and
of the rounds' speed-ups (keras / zoo within a round, > 1: the zoo is
faster), with the speed-ups' quartiles in brackets. Both run as graphs
traced for the benchmark's fixed shapes, so the zoo layer takes its fast
path (XLA) in training and inference alike; where it does not (eager
calls, graphs for any shape) it runs Keras' own loop. The first rows are
the machine's float32 matmul throughput: one large GEMM, and the GEMM of
one recurrent step at each shape, so every figure can be read as a
fraction of what the CPU can do.
The "matmul floor" columns add up the time of the matrix products every
implementation of the layer has to compute (timed one by one at their shapes,
nothing else counted); "keras/floor" estimates the largest speed-up over
Keras that any implementation could reach here (an estimate: loops that run
half-batches on two cores at once can beat the full-batch products' times).
"train ms outside the layer" is the same model with no recurrent layer: its
input stands in for the layer's output (the embeddings repeated to the
layer's width; the last step's where the model reads only that), so what is
timed is the embedding, output layer, loss and Adam: the part of a step both
models share. "layer speed-up" compares what is left, ``(keras - that) / (zoo
- that)``, each round's times side by side as for the other speed-ups.
Nothing else should run on the machine meanwhile.

Shapes: ``imdb`` is batch 64, 200 steps, embedding 64, 64 units, a many-to-one
classifier (the IMDB recipes); ``char`` is batch 64, 100 steps, 65 symbols,
embedding 64, 512 units, a next-character output at every step (the
shakespeare-char recipe's shapes).
"""

import argparse
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from recurrent_models import GATES, SHAPES, build, data
from zoo.parity import BUILTINS

tf.get_logger().setLevel("ERROR")  # no retracing notes: every model is traced on purpose


class _NoRecurrence(keras.layers.Layer):
    """Stands in for the recurrent layer, computing nothing: ``h_t`` is
    ``x_t`` repeated to ``units`` features (every step, or the last)."""

    def __init__(self, units, sequences, **kwargs):
        super().__init__(**kwargs)
        self.units, self.sequences = units, sequences

    def call(self, x):
        if not self.sequences:
            x = x[:, -1]  # the model reads only the last step: repeat nothing else
        repeats = -(-self.units // x.shape[-1])
        return ops.tile(x, [1] * (x.ndim - 1) + [repeats])[..., : self.units]


def build_outside_layer(shape):
    """The benchmark's model without the recurrent layer: what a training step
    costs besides that layer (the same for Keras' layer and the zoo's)."""
    inputs = keras.Input((shape["steps"],), dtype="int32")
    x = keras.layers.Embedding(shape["vocab"], shape["embedding"])(inputs)
    seq = shape["per_step"]
    h = _NoRecurrence(shape["units"], seq)(x)
    out = keras.layers.Dense(shape["vocab"] if seq else 1)(h)
    loss = (keras.losses.SparseCategoricalCrossentropy(from_logits=True) if seq
            else keras.losses.BinaryCrossentropy(from_logits=True))
    model = keras.Model(inputs, out)
    model.compile(keras.optimizers.Adam(1e-3), loss)
    return model


def differences(builtin, ours, x, y):
    """Largest |output difference| and |gradient difference| (over all weights),
    both computed as the timed calls run: graphs traced for the fixed shape."""
    out_k, out_z = (tf.function(lambda x, m=m: m(x, training=False))(x) for m in (builtin, ours))

    def grads(model):
        @tf.function
        def f(x, y):
            with tf.GradientTape() as tape:
                loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=True))
            return [tf.convert_to_tensor(g) for g in tape.gradient(loss, model.trainable_weights)]
        return f(x, y)

    g_k, g_z = grads(builtin), grads(ours)
    return (float(np.abs(np.asarray(out_k) - np.asarray(out_z)).max()),
            max(float(np.abs(np.asarray(a) - np.asarray(b)).max()) for a, b in zip(g_k, g_z)))


def timer(fn, calls):
    fn()  # warm (traced, compiled) before any timing
    def run():
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - start) / calls
    return run


def compare(cell, shape, repeats, calls, layer_options=None):
    x, y = data(shape)
    builtin, ours = build(cell, shape, zoo=False), build(cell, shape, zoo=True, layer_options=layer_options)
    ours.set_weights(builtin.get_weights())
    out_diff, grad_diff = differences(builtin, ours, x, y)
    timers = {}
    for name, model in (("keras", builtin), ("zoo", ours)):
        predict = tf.function(lambda x, m=model: m(x, training=False))
        timers[name, "train"] = timer(lambda m=model: m.train_on_batch(x, y), calls)
        timers[name, "infer"] = timer(lambda p=predict: p(x).numpy(), calls)
    outside = build_outside_layer(shape)
    timers["outside", "train"] = timer(lambda: outside.train_on_batch(x, y), calls)
    times = {key: [] for key in timers}
    for _ in range(repeats):  # alternate, so drifts of the machine hit both alike
        for key, run in timers.items():
            times[key].append(run())
    med = {key: statistics.median(v) for key, v in times.items()}
    speed_ups = {what: [k / z for k, z in zip(times["keras", what], times["zoo", what])]
                 for what in ("train", "infer")}
    speed_ups["layer"] = [(k - o) / (z - o) for k, z, o in zip(
        times["keras", "train"], times["zoo", "train"], times["outside", "train"])]
    return med, speed_ups, out_diff, grad_diff


def ratio(speed_ups):
    """The median of the rounds' speed-ups (keras / zoo, each round timed side
    by side), with their quartiles where there are enough rounds."""
    text = f"{statistics.median(speed_ups):.2f}x"
    if len(speed_ups) >= 4:
        low, _, high = statistics.quantiles(speed_ups, n=4)
        text += f" ({low:.2f}-{high:.2f})"
    return text


def seconds_per_call(f, seconds):
    """Mean seconds of ``f()`` over about ``seconds`` of calls, after a first (tracing) call."""
    f().numpy()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        f().numpy()
        calls += 1
    return (time.perf_counter() - start) / calls


def gemm_gflops(m, k, n, seconds=1.0, chain=1):
    """float32 ``(m, k) @ (k, n)`` throughput; ``chain`` dependent products per
    call, each reading the first ``k`` columns of the last, as a recurrent
    step reads ``h_{t-1}`` (so a small GEMM is not timed with a call's overhead)."""
    a = tf.random.normal((m, k))
    b = tf.random.normal((k, n)) / k

    @tf.function
    def f():
        x = tf.matmul(a, b)
        for _ in range(chain - 1):
            x = tf.matmul(x[:, :k], b)
        return x

    return 2 * m * k * n * chain / seconds_per_call(f, seconds) / 1e9


def gemm_seconds(m, k, n, seconds=0.3):
    """Seconds of one float32 ``(m, k) @ (k, n)``."""
    return 2 * m * k * n / (gemm_gflops(m, k, n, seconds) * 1e9)


def step_pair_seconds(batch, units, width, pairs=100, seconds=0.5):
    """Seconds of one forward step GEMM ``h W`` ``(batch, units) @ (units, width)``
    plus one backward step GEMM ``d W^T`` ``(batch, width) @ (width, units)``,
    chained as a loop runs them (each reads the last one's result)."""
    h = tf.random.normal((batch, units))
    w = tf.random.normal((units, width)) / units

    @tf.function
    def f():
        x = h
        for _ in range(pairs):
            x = tf.matmul(tf.matmul(x, w), w, transpose_b=True)
        return x

    return seconds_per_call(f, seconds) / pairs


def matmul_floor(cell, shape):
    """``(train, infer)`` seconds of the matmuls a recurrent layer cannot avoid at
    this machine's measured GEMM speeds, nothing else counted. Inference:
    ``p = W_x x`` for all steps, then T steps of ``W_h h``. Training adds
    ``dL/dx``, ``dL/dW_x``, ``dL/dW_h`` (each one GEMM over all steps) and T
    backward steps ``dL/dq W_h^T``. Keras' built-in layer does the same
    arithmetic, per step; no implementation of the math runs faster than this."""
    b, t, e, u = shape["batch"], shape["steps"], shape["embedding"], shape["units"]
    g = GATES[cell] * u
    fwd_step = 2 * b * u * g / (gemm_gflops(b, u, g, 0.5, chain=100) * 1e9)
    pair = step_pair_seconds(b, u, g)
    projection = gemm_seconds(b * t, e, g)  # p = W_x x, all steps: forward in both
    infer = projection + t * fwd_step
    train = (projection + gemm_seconds(b * t, g, e) + gemm_seconds(e, b * t, g)
             + gemm_seconds(u, b * t, g) + t * pair)
    return train, infer


def entry_points(x, y, batch):
    """Keras' entry points, each a call of ``model`` over ``x`` in batches of ``batch``."""
    n = len(x)
    return {
        "fit": lambda m: m.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False),
        "evaluate": lambda m: m.evaluate(x, y, batch_size=batch, verbose=0),
        "predict": lambda m: m.predict(x, batch_size=batch, verbose=0),
        "predict_on_batch": lambda m: [m.predict_on_batch(x[i:i + batch]) for i in range(0, n, batch)],
        "train_on_batch": lambda m: [m.train_on_batch(x[i:i + batch], y[i:i + batch]) for i in range(0, n, batch)],
        "direct call": lambda m: [np.asarray(m(x[i:i + batch])) for i in range(0, n, batch)],
        "tf.function": lambda m: [m.zoo_predict(x[i:i + batch]).numpy() for i in range(0, n, batch)],
    }


def keras_apis(cells, batch_sizes, repeats, batches=4, sequences=1024):
    """The speed-up (keras / zoo) of each Keras entry point at each batch size,
    in increasing and in decreasing order of batch sizes: each call reads
    ``batches`` whole batches, more up to ``sequences`` sequences (at most 64
    batches), and a ragged half batch."""
    shape = SHAPES["imdb"]
    rows = {}
    for cell in cells:
        for order, sizes in (("increasing", sorted(batch_sizes)), ("decreasing", sorted(batch_sizes)[::-1])):
            builtin, ours = build(cell, shape, zoo=False), build(cell, shape, zoo=True)
            ours.set_weights(builtin.get_weights())
            for model in (builtin, ours):
                model.zoo_predict = tf.function(lambda x, m=model: m(x, training=False))
            for batch in sizes:
                # whole batches and, where the size allows, a ragged half batch
                whole = max(batches, min(64, -(-sequences // batch)))
                x, y = data({**shape, "batch": whole * batch + batch // 2}, seed=batch)
                for entry, call in entry_points(x, y, batch).items():
                    call(builtin), call(ours)  # traced and compiled before any timing
                    ups = []
                    for _ in range(repeats):
                        t0 = time.perf_counter(); call(builtin)
                        t1 = time.perf_counter(); call(ours)
                        t2 = time.perf_counter()
                        ups.append((t1 - t0) / (t2 - t1))
                    rows.setdefault((cell, entry, order), {})[batch] = statistics.median(ups)
                    print(f"  {cell} {order} batch {batch} {entry}: {statistics.median(ups):.2f}x",
                          file=sys.stderr, flush=True)
            runs = {"zoo loop": 0, "keras loop": 0}
            for layer in ours._flatten_layers():
                if hasattr(layer, "fast_path_runs"):
                    runs["zoo loop"] += layer.fast_path_runs
                    runs["keras loop"] += layer.keras_path_runs
            print(f"{cell}, batch sizes {order}: the zoo layer's loop ran {runs['zoo loop']} times, "
                  f"Keras' loop {runs['keras loop']} times (traces and eager calls)", flush=True)
    header = "| cell | entry point | order | " + " | ".join(f"batch {b}" for b in sorted(batch_sizes)) + " |"
    print()
    print(f"keras / zoo at imdb shapes ({shape['steps']} steps, {shape['units']} units), median of "
          f"{repeats} alternating rounds; > 1: the zoo is faster")
    print(header)
    print("|" + "---|" * (header.count(" | ") + 1))
    for (cell, entry, order), by_batch in rows.items():
        print(f"| {cell} | {entry} | {order} | "
              + " | ".join(f"{by_batch[b]:.2f}x" for b in sorted(batch_sizes)) + " |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cells", nargs="+", choices=sorted(BUILTINS), default=["lstm", "gru", "simplernn"])
    p.add_argument("--shapes", nargs="+", choices=sorted(SHAPES), default=["imdb", "char"])
    p.add_argument("--repeats", type=int, default=7, help="alternating timing rounds (median)")
    p.add_argument("--calls", type=int, default=5, help="calls per timing round")
    p.add_argument("--jit-compile", choices=["auto", "true", "false"], default="auto",
                   help="zoo.layers.RNN's jit_compile (XLA)")
    p.add_argument("--shards", default="auto", help="zoo.layers.RNN's shards (batch parts run in parallel)")
    p.add_argument("--keras-apis", action="store_true",
                   help="time Keras' entry points at each batch size, in both orders (imdb shapes)")
    p.add_argument("--batch-sizes", nargs="+", type=int, default=[1, 8, 64, 256],
                   help="batch sizes for --keras-apis")
    p.add_argument("--batches", type=int, default=4,
                   help="at least this many whole batches per entry-point call for --keras-apis")
    p.add_argument("--sequences", type=int, default=1024,
                   help="--keras-apis: more whole batches, up to this many sequences (at most 64 batches), "
                        "then a ragged half batch")
    args = p.parse_args(argv)
    if args.keras_apis:
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
              f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
              f"GPU: {bool(tf.config.list_physical_devices('GPU'))}")
        return keras_apis([c for c in args.cells if c != "simplernn"] if args.cells == p.get_default("cells")
                          else args.cells, args.batch_sizes, args.repeats, args.batches,
                          args.sequences)
    options = {"jit_compile": {"auto": "auto", "true": True, "false": False}[args.jit_compile],
               "shards": args.shards if args.shards == "auto" else int(args.shards)}

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
          f"GPU: {bool(tf.config.list_physical_devices('GPU'))}")
    # `import zoo` sets XLA's CPU options for its loops (zoo/xla_flags.py);
    # Keras' built-in layers are not compiled with XLA on a CPU.
    print(f"XLA_FLAGS: {os.environ.get('XLA_FLAGS') or '(none)'}")
    print(f"float32 GEMM 2048x2048x2048: {gemm_gflops(2048, 2048, 2048):.1f} GFLOP/s")
    for name in args.shapes:
        s = SHAPES[name]
        for cell in args.cells:
            width = GATES[cell] * s["units"]
            print(f"float32 GEMM of one {cell} step at {name} shapes "
                  f"({s['batch']}x{s['units']} @ {s['units']}x{width}): "
                  f"{gemm_gflops(s['batch'], s['units'], width, 0.5, chain=100):.1f} GFLOP/s")
    print()
    header = ("| shape | cell | train ms/step keras | zoo | speed-up | matmul floor | keras/floor "
              "| infer ms/batch keras | zoo | speed-up | matmul floor | keras/floor "
              "| train ms outside the layer | layer speed-up "
              "| zoo sequences/s | max abs output diff | max abs gradient diff |")
    print(header)
    print("|" + "---|" * (header.count(" | ") + 1))
    for name in args.shapes:
        for cell in args.cells:
            med, speed_ups, out_diff, grad_diff = compare(cell, SHAPES[name], args.repeats, args.calls,
                                                          options)
            tk, tz = med["keras", "train"] * 1e3, med["zoo", "train"] * 1e3
            t0 = med["outside", "train"] * 1e3
            ik, iz = med["keras", "infer"] * 1e3, med["zoo", "infer"] * 1e3
            ft, fi = (f * 1e3 for f in matmul_floor(cell, SHAPES[name]))
            print(f"| {name} | {cell} | {tk:.1f} | {tz:.1f} | {ratio(speed_ups['train'])} | {ft:.1f} "
                  f"| {tk / ft:.2f}x | {ik:.1f} | {iz:.1f} | {ratio(speed_ups['infer'])} | {fi:.1f} "
                  f"| {ik / fi:.2f}x "
                  f"| {t0:.1f} | {ratio(speed_ups['layer'])} "
                  f"| {SHAPES[name]['batch'] / iz * 1e3:.0f} "
                  f"| {out_diff:.1e} | {grad_diff:.1e} |", flush=True)


if __name__ == "__main__":
    main()
