"""Where training runs: GPU when TensorFlow sees one, tf.distribute strategies, mixed precision."""

import keras
import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi-worker")


def split_cpu(n):
    """Splits the CPU into ``n`` logical devices (before TensorFlow starts its runtime),
    so that MirroredStrategy can be run for real on a CPU-only machine."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)


def make_strategy(name):
    """``default`` (one device: the GPU if there is one), ``mirrored`` (every GPU,
    or every logical CPU when there is no GPU) or ``multi-worker`` (TF_CONFIG)."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        if tf.config.list_logical_devices("GPU"):
            return tf.distribute.MirroredStrategy()
        return tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")])
    if name == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"Unknown strategy {name!r}: use one of {', '.join(STRATEGIES)}.")


def describe():
    gpus = tf.config.list_logical_devices("GPU")
    return f"{len(gpus)} GPU(s): " + ", ".join(d.name for d in gpus) if gpus else "CPU (no GPU seen)"


def use_mixed_precision(enabled):
    keras.mixed_precision.set_global_policy("mixed_float16" if enabled else "float32")
