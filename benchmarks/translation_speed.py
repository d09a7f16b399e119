"""Translation speed, carrying the decoder's state vs re-running it over the prefix
(not a test): prints a table.

    python benchmarks/translation_speed.py [--model spa-eng-translator] [--sentences 512] [--repeats 3]

Two ways to decode with the same trained translator, greedy and beam 4:

- ``zoo.translation`` (what ``translate`` uses): the encoder once per batch of
  sentences, then one decoder step per new token with its state carried and the
  beams as rows of one batch;
- ``zoo.prefix_decoding``: for every new token, the whole model over the source
  and the prefix so far (every beam a row), ``O(n^2)`` decoder steps.

The sources are the first ``--sentences`` of the test split when ``--data-dir``
(or ``ZOO_DATA_DIR``) holds the data, else a fixed list repeated. Prints
sentences per second of each (median of ``--repeats`` runs, interleaved), their
ratio, and whether the translations are the same.
"""

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from zoo import prefix_decoding, translation  # noqa: E402

FALLBACK = ["I love you.", "Where is the train station?", "Tom didn't want to go to school today.",
            "Can you help me, please?", "She has two cats and a dog.", "My father works in a bank.",
            "This coffee is too hot to drink.", "They are waiting for us outside."]


def sources(name, data_dir, count):
    if data_dir:
        from training.recipes import get
        from training.tasks import translation as task

        return [s for s, _ in task.load(get(name), data_dir)["test"][:count]]
    return (FALLBACK * (count // len(FALLBACK) + 1))[:count]


def decode(module, model, texts, beam_size):
    if beam_size == 1:
        return module.greedy(model.network, model.target_vocabulary, texts, model.max_length)
    return module.beam(model.network, model.target_vocabulary, texts, beam_size, model.max_length)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="spa-eng-translator", help="a zoo translator")
    parser.add_argument("--sentences", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", default=os.environ.get("ZOO_DATA_DIR"))
    args = parser.parse_args()

    model = zoo.load(args.model)
    texts = sources(args.model, args.data_dir, args.sentences)
    print(f"{args.model}, {len(texts)} sentences ({'test split' if args.data_dir else 'fixed list'}); "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"{'decoding':<10} {'prefix re-run':>15} {'stateful':>12} {'speed-up':>9}  same translations")
    for beam_size in (1, 4):
        runs = {"prefix": [], "stateful": []}
        outputs = {}
        for module in (prefix_decoding, translation):  # traced before timing
            decode(module, model, texts[:4], beam_size)
        for _ in range(args.repeats):
            for key, module in (("prefix", prefix_decoding), ("stateful", translation)):
                start = time.perf_counter()
                outputs[key] = decode(module, model, texts, beam_size)
                runs[key].append(len(texts) / (time.perf_counter() - start))
        old, new = statistics.median(runs["prefix"]), statistics.median(runs["stateful"])
        label = "greedy" if beam_size == 1 else f"beam {beam_size}"
        print(f"{label:<10} {old:>11.1f} s/s {new:>8.1f} s/s {new / old:>8.1f}x  "
              f"{outputs['prefix'] == outputs['stateful']}")
    print("(s/s: sentences per second, median of", args.repeats, "runs)")


if __name__ == "__main__":
    main()
