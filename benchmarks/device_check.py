"""The zoo cells on whatever device the Keras backend computes on.

Prints the backend and its devices, the parity table (zoo cells in
``zoo.layers.RNN`` against Keras' built-in layers, same weights, on that
device) and the training-step and inference times of a small model built
either way, side by side, at IMDB shapes and at character-model shapes.
Made for an accelerator with the JAX backend (where TensorFlow may not be
installed), it runs on a CPU and with the TensorFlow backend too:

    KERAS_BACKEND=jax python benchmarks/device_check.py
    python benchmarks/device_check.py --repeats 5 --steps 20
"""

import argparse
import statistics
import time

import keras
import numpy as np

from recurrent_models import SHAPES, build, data
from zoo import parity
from zoo.layers import RNN


def devices():
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return [f"{d.platform}:{d.device_kind}" for d in jax.devices()]
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_logical_devices()]
    return ["cpu"]


def exact_matmuls():
    """A context in which float32 products are computed in float32 (JAX on a
    GPU defaults to TF32, which would hide what parity measures)."""
    if keras.backend.backend() == "jax":
        import jax

        return jax.default_matmul_precision("float32")
    import contextlib

    return contextlib.nullcontext()


def timed(fn, steps, repeats):
    fn()  # compile
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            out = fn()
        np.asarray(out)  # wait for the device
        times.append((time.perf_counter() - start) / steps * 1000)
    return statistics.median(times)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shapes", nargs="+", choices=sorted(SHAPES), default=sorted(SHAPES))
    p.add_argument("--cells", nargs="+", choices=["lstm", "gru", "simplernn"],
                   default=["lstm", "gru", "simplernn"])
    p.add_argument("--repeats", type=int, default=3, help="timed repetitions (median reported)")
    p.add_argument("--steps", type=int, default=10, help="batches per repetition")
    args = p.parse_args(argv)

    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, devices: {devices()}")
    print("\nParity, zoo.layers.RNN vs the built-in layer (masked, float32 products):")
    print(f"{'cell':<24}{'dtype':<9}{'max |output diff|':>19}{'max |grad diff|':>17}")
    with exact_matmuls():
        for label, dtype, out, grad in parity.table(dtypes=("float32",), layer=RNN, masked=True,
                                                    return_state=True):
            print(f"{label:<24}{dtype:<9}{out:>19.3g}{grad:>17.3g}")

    print("\nms per batch, median of", args.repeats, "x", args.steps, "batches (backend's default precision)")
    print(f"{'shape':<7}{'cell':<11}{'train keras':>12}{'zoo':>9}{'ratio':>8}"
          f"{'infer keras':>13}{'zoo':>9}{'ratio':>8}{'loss first->last (zoo)':>26}")
    for shape_name in args.shapes:
        shape = SHAPES[shape_name]
        x, y = data(shape)
        for cell in args.cells:
            row = {}
            for kind in ("keras", "zoo"):
                m = build(cell, shape, zoo=kind == "zoo")
                first = float(m.evaluate(x, y, batch_size=shape["batch"], verbose=0))
                row[kind, "train"] = timed(lambda: m.train_on_batch(x, y), args.steps, args.repeats)
                row[kind, "infer"] = timed(lambda: m.predict_on_batch(x), args.steps, args.repeats)
                row[kind, "loss"] = (first, float(m.evaluate(x, y, batch_size=shape["batch"], verbose=0)))
            tk, tz = row["keras", "train"], row["zoo", "train"]
            ik, iz = row["keras", "infer"], row["zoo", "infer"]
            first, last = row["zoo", "loss"]
            print(f"{shape_name:<7}{cell:<11}{tk:>12.1f}{tz:>9.1f}{tk / tz:>7.2f}x"
                  f"{ik:>13.1f}{iz:>9.1f}{ik / iz:>7.2f}x{first:>15.3f} -> {last:.3f}")
    print("ratio: the built-in layer's time over the zoo layer's (> 1: the zoo is faster).")


if __name__ == "__main__":
    main()
