"""Model cards: what a trained model is, what it was trained on, how well it does.

One schema for the shipped zoo (``zoo/pretrained/NAME.json``, written by
``training.publish``) and for every run directory of ``zoo train``
(``card.json``): name, task, interface (the kind of model, ``zoo.kinds``),
topology, cell, labels (classifiers), dataset (files with sha256 and counts,
the split), metrics (the output of ``zoo evaluate`` on the stated split),
parameters, file, extra files, curves picture, recipe and training (command,
epochs, wall time, machine).
"""

import csv
import os
import platform

from zoo import registry


def _version(package):
    """The installed version of ``package``, or "not installed"."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


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
    "fra-eng": {"name": "Tatoeba English-French pairs (manythings.org/anki, 2017-09-29)",
                "citation": "Tatoeba Project; manythings.org/anki", "license": "CC-BY 2.0",
                "source": "http://www.manythings.org/anki/fra-eng.zip",
                "splits": {"train": "138,787 pairs", "validation": "2,000 pairs",
                           "test": "2,000 pairs (first by sha1 of the English sentence; the same pairs in "
                                   "both directions)"}},
    "chorales": {"name": "Bach chorales (music21 corpus) as 88-key piano rolls, prepared like JSB Chorales",
                 "citation": "Cuthbert & Ariza, music21: A Toolkit for Computer-Aided Musicology and "
                             "Symbolic Music Data, ISMIR 2010 (its corpus); Boulanger-Lewandowski, Bengio "
                             "& Vincent, Modeling Temporal Dependencies in High-Dimensional Sequences: "
                             "Application to Polyphonic Music Generation and Transcription, ICML 2012 (JSB "
                             "Chorales' preparation)",
                 "license": "Bach's music is public domain; the encodings ship with music21 (BSD-3-Clause)",
                 "source": f"music21 corpus (PyPI music21 {_version('music21')}), corpus.getComposer('bach')",
                 "splits": {"train": "297 pieces, 16,784 quarter-note steps",
                            "validation": "57 pieces, 3,344 steps",
                            "test": "54 pieces, 2,884 steps (by sha1 of the corpus file's name; 408 "
                                    "pieces of 433 files: 20 Roman-numeral analyses, a keyboard prelude "
                                    "and 4 duplicates dropped; see training/data/chorales.py)"}},
}
CELLS = {"simplernn": "SimpleRNNCell", "gru": "GRUCell", "lstm": "LSTMCell"}


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(devices):
    """The machine in words: CPU model, cores, ``devices`` (what TensorFlow saw), OS, Python."""
    return (f"{cpu_model()}, {os.cpu_count()} cores; {platform.machine()}, {devices}; "
            f"{platform.system()} Python {platform.python_version()}")


def own_dataset(own, load_arguments):
    """The ``dataset`` of a card for a user's data (``training.data.own.OwnData``);
    ``load_arguments`` re-read it for ``zoo evaluate``."""
    return {"name": "own data: " + ", ".join(f.get("tfds") or os.path.basename(f["path"]) for f in own.files),
            "files": own.files, "columns": own.columns, "split": own.split, "counts": own.counts,
            "load": load_arguments}


def make(name, recipe, task, *, model_file, parameters, metrics, dataset, training,
         extra_files=None, curve=None, labels=None, weights_stored_as="float32", evaluate_command=None):
    """A card (a dict in the schema above)."""
    card = {
        "name": name,
        "task": recipe.task,
        "interface": task.KIND,
        "topology": task.topology(recipe),
        "cell": CELLS[recipe.cell],
        "bidirectional": recipe.bidirectional,
    }
    if labels is not None:
        card["labels"] = list(labels)
    card.update({
        "dataset": dataset,
        "metrics": metrics,
        "evaluate_command": evaluate_command or f"zoo evaluate {name}",
        "parameters": int(parameters),
        "file": {"name": model_file.name, "bytes": model_file.stat().st_size,
                 "sha256": registry.sha256(model_file), "weights_stored_as": weights_stored_as},
        "extra_files": extra_files or {},
        "curve": curve,
        "recipe": recipe.to_dict(),
        "training": training,
    })
    return card


def plot_history(history_csvs, out_png, title):
    """Train and validation curves of one run, or of each member of an ensemble
    (``history_csvs``: one CSVLogger file per network)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    runs = [list(csv.DictReader(open(path))) for path in history_csvs]
    runs = [rows for rows in runs if rows]
    if not runs:
        return False
    fig, axes = plt.subplots(1, 2 if "accuracy" in runs[0][0] else 1, figsize=(9, 3.2), squeeze=False)
    for ax, metric in zip(axes[0], ["loss", "accuracy"]):
        for i, rows in enumerate(runs):
            member = f" (member {i + 1})" if len(runs) > 1 else ""
            epochs = [int(r["epoch"]) + 1 for r in rows]
            ax.plot(epochs, [float(r[metric]) for r in rows], "o-", color=f"C{2 * i}",
                    label="train" + member)
            if "val_" + metric in rows[0]:
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
    return True
