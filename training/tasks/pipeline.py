"""tf.data helpers shared by the tasks: deterministic order, no autotune."""

import tensorflow as tf


def options():
    # Seen here: fit() could hang for seconds after the last batch in the
    # iterator teardown with autotune on; off, it did not, at no speed cost.
    opts = tf.data.Options()
    opts.autotune.enabled = False
    opts.deterministic = True
    return opts


def batches(arrays, batch_size, *, seed=None, epoch=0, drop_remainder=False):
    """Batches of in-memory arrays; shuffled by ``(seed, epoch)`` when ``seed`` is given,
    so an epoch's order is the same on every run and every machine."""
    data = tf.data.Dataset.from_tensor_slices(arrays)
    if seed is not None:
        data = data.shuffle(len(arrays[0]), seed=seed + epoch, reshuffle_each_iteration=False)
    return data.batch(batch_size, drop_remainder=drop_remainder).prefetch(2).with_options(options())
