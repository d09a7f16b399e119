"""Publishes a finished run into the zoo: ``python -m training.publish NAME RUN_DIR``.

Copies the run's inference model (and vocabulary) into ``zoo/pretrained/``,
evaluates the copied file on the card's split with the same code as
``zoo evaluate NAME`` (so every number on the card is that command's output),
draws the training curves from ``history.csv`` and writes the card
``zoo/pretrained/NAME.json``. Needs the data (``--data-dir`` or
``ZOO_DATA_DIR``) and matplotlib.
"""

import argparse
import csv
import datetime
import json
import os
import platform
import shutil
import sys
from pathlib import Path

import keras

from training import recipes, tasks
from training.export import quantize_embeddings, save_for_inference, store_weights_as_float16
from training.train import run_dirs
from zoo import registry

DATASETS = {
    "imdb": {"name": "Large Movie Review Dataset v1.0 (IMDB)",
             "citation": "Maas et al., Learning Word Vectors for Sentiment Analysis, ACL 2011",
             "license": "research release of the Stanford AI Lab",
             "source": "http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
             "splits": {"train": "22,500 official train reviews", "validation":
                        "2,500 official train reviews (seed 1337)", "test": "25,000 official test reviews"}},
    "shakespeare": {"name": "tiny shakespeare", "citation": "Karpathy, char-rnn (2015)",
                    "license": "public domain text",
                    "source": "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
                    "splits": {"train": "first 90% of the characters (1,003,854)",
                               "validation": "last 10% (111,540)"}},
    "spa-eng": {"name": "Tatoeba English-Spanish pairs (manythings.org/anki, 2018-05-13)",
                "citation": "Tatoeba Project; manythings.org/anki", "license": "CC-BY 2.0",
                "source": "http://storage.googleapis.com/download.tensorflow.org/data/spa-eng.zip",
                "splits": {"train": "114,964 pairs", "validation": "2,000 pairs",
                           "test": "2,000 pairs (first by sha1 of the English sentence)"}},
}
INTERFACES = {"sentiment": "classifier", "charlm": "generator", "bigram": "generator",
              "translation": "translator"}
TOPOLOGIES = {"sentiment": "many-to-one", "charlm": "synced many-to-many (one-to-many in generation)",
              "bigram": "one-to-one", "translation": "encoder-decoder many-to-many"}
EXTRAS = {"vocabulary.json": "vocabulary", "target_vocabulary.json": "target_vocabulary"}


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def plot_history(history_csvs, out_png, title):
    """Train and validation curves of one run, or of each member of an ensemble
    (``history_csvs``: one CSVLogger file per network)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    runs = [list(csv.DictReader(open(path))) for path in history_csvs]
    fig, axes = plt.subplots(1, 2 if "accuracy" in runs[0][0] else 1, figsize=(9, 3.2), squeeze=False)
    for ax, metric in zip(axes[0], ["loss", "accuracy"]):
        for i, rows in enumerate(runs):
            member = f" (member {i + 1})" if len(runs) > 1 else ""
            epochs = [int(r["epoch"]) + 1 for r in rows]
            ax.plot(epochs, [float(r[metric]) for r in rows], "o-", color=f"C{2 * i}",
                    label="train" + member)
            ax.plot(epochs, [float(r["val_" + metric]) for r in rows], "o-", color=f"C{2 * i + 1}",
                    label="validation" + member)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out_png, dpi=80)
    plt.close(fig)


MAX_FILE_BYTES = 25_000_000  # a bigger model file is stored with float16 weights, then int8 tables
SAMPLE = 1000  # the card also records the metrics on the first SAMPLE examples, checked in CI


def publish(name, run_dir, data_dir=None, out_dir=registry.PRETRAINED, strict=True, note=None):
    """Writes the entry; ``strict`` refuses runs that are not the recipe on the full data."""
    run_dir, out_dir = Path(run_dir), Path(out_dir)
    recipe = recipes.get(name)
    task = tasks.get(recipe.task)
    run_info = json.loads((run_dir / "recipe.json").read_text())
    summary = json.loads((run_dir / "summary.json").read_text())
    ran = recipes.Recipe(**run_info["recipe"]).to_dict()  # fields added since take their defaults
    if strict and (ran != recipe.to_dict() or run_info.get("limit")):
        raise SystemExit(f"{run_dir} was not trained with the {name} recipe on the full data; "
                         "the card would not describe `zoo train " + name + "`.")
    out_dir.mkdir(parents=True, exist_ok=True)
    model_file = out_dir / f"{name}.keras"
    network = keras.saving.load_model(run_dir / "model.keras", compile=False)
    parameters = int(network.count_params())
    save_for_inference(network, model_file)
    weights_dtype = "float32"
    if model_file.stat().st_size > MAX_FILE_BYTES:  # the zoo's limit per file
        store_weights_as_float16(model_file)
        weights_dtype = "float16 (loaded into float32 variables; computed in float32)"
    if model_file.stat().st_size > MAX_FILE_BYTES:  # still over: 8-bit embedding tables
        quantize_embeddings(network)
        save_for_inference(network, model_file)
        store_weights_as_float16(model_file)
        weights_dtype = ("embedding tables int8 with a float16 scale per row (Keras' "
                         "quantize('int8')); every other weight float16, computed in float32")
    extra_files = {}
    for filename, key in EXTRAS.items():
        if (run_dir / filename).exists():
            shutil.copyfile(run_dir / filename, out_dir / f"{name}.{filename}")
            extra_files[key] = f"{name}.{filename}"

    recipe = recipes.Recipe(**run_info["recipe"])
    metrics = task.evaluate_saved(model_file, recipe, data_dir=data_dir, split=task.DEFAULT_SPLIT)
    sample = task.evaluate_saved(model_file, recipe, data_dir=data_dir, split=task.DEFAULT_SPLIT,
                                 limit=SAMPLE)
    histories = [d / "history.csv" for d in run_dirs(run_dir, recipe)]
    plot_history(histories, out_dir / f"{name}.png", f"{name}: training curves")
    card = {
        "name": name,
        "task": recipe.task,
        "interface": INTERFACES[recipe.task],
        "topology": TOPOLOGIES[recipe.task],
        "cell": {"simplernn": "SimpleRNNCell", "gru": "GRUCell", "lstm": "LSTMCell"}[recipe.cell],
        "bidirectional": recipe.bidirectional,
        "dataset": DATASETS[recipe.dataset],
        "metrics": metrics,
        "evaluate_command": f"ZOO_DATA_DIR=../shared/data zoo evaluate {name}",
        "metrics_sample": sample,
        "evaluate_sample_command": f"ZOO_DATA_DIR=../shared/data zoo evaluate {name} --limit {SAMPLE}",
        "parameters": parameters,
        "file": {"name": model_file.name, "bytes": model_file.stat().st_size,
                 "sha256": registry.sha256(model_file), "weights_stored_as": weights_dtype},
        "extra_files": extra_files,
        "curve": f"{name}.png",
        "recipe": recipe.to_dict(),
        "training": {"command": run_info.get("command") or f"zoo train {name}",
                     "epochs_done": summary["epochs_done"], "best_epoch": summary["best_epoch"],
                     "wall_seconds": summary.get("train_seconds_total", summary["train_seconds_this_session"]),
                     "machine": f"{cpu_model()}, {os.cpu_count()} cores; " + summary["machine"]
                                + f"; {platform.system()} Python {platform.python_version()}",
                     "published": datetime.date.today().isoformat()},
    }
    if recipe.ensemble > 1:
        card["ensemble"] = {"networks": recipe.ensemble,
                            "seeds": [recipe.seed + i for i in range(recipe.ensemble)],
                            "output": "the mean of the networks' probabilities"}
    if note:
        card["training"]["note"] = note
    (out_dir / f"{name}.json").write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n")
    return card


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m training.publish", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=sorted(recipes.RECIPES))
    parser.add_argument("run_dir", help="the run directory of `zoo train NAME`")
    parser.add_argument("--data-dir", help="data directory (default: $ZOO_DATA_DIR)")
    parser.add_argument("--note", help="a remark for the card's training section (e.g. sessions it took)")
    args = parser.parse_args(argv)
    card = publish(args.name, args.run_dir, args.data_dir, note=args.note)
    print(json.dumps({k: card[k] for k in ("name", "metrics", "parameters", "file")}, indent=1,
                     ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
