"""Generation speed, carrying the state vs re-running the window (not a test): prints a table.

    python benchmarks/generation_speed.py [--model shakespeare-char] [--length 500] [--repeats 3]

Two ways to continue a prompt with the same trained character model, greedy
(temperature 0, so both must write the same text, which is checked):

- the zoo's ``generate``: one cell step per new character, carrying the
  recurrent state ``h`` (the cost of a character does not depend on the
  text's length);
- the keras.io way: for every new character, run the whole network over
  the text so far (prompt + generated) and keep the last step's
  prediction (one compiled ``tf.function`` for any length, so no retracing).

Prints characters per second of each (median of ``--repeats`` runs) and
their ratio, plus the time per character at the start and at the end of
the re-running way (it grows with the text).
"""

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

import zoo

PROMPT = "ROMEO:\n"


def rerun_window(model, prompt, length):
    """Greedy continuation re-running ``model.network`` over the whole text per character."""
    network = model.network
    h0 = [tf.zeros((1, *x.shape[1:]), x.dtype) for x in network.inputs[1:]]  # h_0 = 0, if an input

    @tf.function(input_signature=[tf.TensorSpec((1, None), tf.int32)])
    def last_logits(ids):
        out = network([ids, *h0] if h0 else ids, training=False)
        return (out[0] if isinstance(out, (list, tuple)) else out)[:, -1]

    ids = list(model.vocabulary.encode(prompt))
    last_logits(tf.constant([ids], tf.int32))  # trace once
    per_char = []
    for _ in range(length):
        start = time.perf_counter()
        logits = np.array(last_logits(tf.constant([ids], tf.int32))[0], dtype="float64")
        logits[0] = -np.inf  # id 0 (unknown character) is never drawn, as in generate()
        ids.append(int(logits.argmax()))
        per_char.append(time.perf_counter() - start)
    return prompt + model.vocabulary.decode(ids[len(prompt):]), per_char


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="shakespeare-char", help="a character model of the zoo")
    p.add_argument("--length", type=int, default=500, help="characters to generate")
    p.add_argument("--repeats", type=int, default=3, help="runs of each way (median)")
    args = p.parse_args(argv)
    if args.length < 1 or args.repeats < 1:
        p.error("--length and --repeats must be positive")

    model = zoo.load(args.model)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"TensorFlow {tf.__version__}; model {args.model}, prompt {PROMPT!r}, "
          f"{args.length} characters, greedy")
    model.generate(PROMPT, 5, temperature=0)  # trace the step before timing
    carried, rerun = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        text_carried = model.generate(PROMPT, args.length, temperature=0)
        carried.append(time.perf_counter() - start)
        start = time.perf_counter()
        text_rerun, per_char = rerun_window(model, PROMPT, args.length)
        rerun.append(time.perf_counter() - start)
        if text_carried != text_rerun:
            raise SystemExit("The two ways wrote different texts: the state is not carried right.")
    c, r = statistics.median(carried), statistics.median(rerun)
    print("| way | characters/s | ms/character |")
    print("|---|---|---|")
    print(f"| zoo generate (state carried) | {args.length / c:.0f} | {c / args.length * 1e3:.2f} |")
    print(f"| re-run the network on the text so far | {args.length / r:.0f} | "
          f"{r / args.length * 1e3:.2f} (first 10: {np.mean(per_char[:10]) * 1e3:.2f}, "
          f"last 10: {np.mean(per_char[-10:]) * 1e3:.2f}) |")
    print(f"\nspeed-up at {args.length} characters: {r / c:.1f}x (same text: yes)")


if __name__ == "__main__":
    main()
