"""``zoo evaluate MODEL``: a model's card metrics, computed again.

The data is the card's: a shipped recipe's dataset (from the data directory or
its published source) or the user's files the run was trained on (re-read and
re-split the same way); ``data_file`` evaluates on every example of another
file instead. The metric functions are the training tasks' own, so a card's
numbers are this module's output.
"""

import numpy as np

from training import recipes, tasks
from training.data.sources import DataError


def _own(card, data_file=None):
    """The user's data of ``card`` (``OwnData``), or every example of ``data_file`` as its test split."""
    from training.data.own import load_own

    arguments = dict(card["dataset"].get("load") or {})
    if data_file is not None:
        columns = card["dataset"].get("columns") or {}
        if card["task"] not in tasks.OWN_DATA:
            raise DataError(f"{card['name']} evaluates on its own dataset only (no --data)")
        arguments = {"task": tasks.OWN_DATA[card["task"]], "data": str(data_file), "validation_data": str(data_file),
                     "test_data": str(data_file),
                     "text_column": columns.get("text") or columns.get("source"),
                     "label_column": columns.get("label") or columns.get("target")}
    elif not arguments:
        return None
    return load_own(arguments.pop("task"), arguments.pop("data"), **arguments)


def _labels_as_the_model_has_them(own, card, where):
    """The test labels of ``own`` as indices into the card's labels."""
    from zoo import kinds

    theirs = kinds.labels_of(card)
    unknown = sorted(set(own.label_names) - set(theirs))
    if unknown:
        raise DataError(f"{where}: label(s) {', '.join(unknown)} unknown to {card['name']} "
                        f"(its labels: {', '.join(theirs)})")
    index = np.array([theirs.index(name) for name in own.label_names])
    return {split: (texts, index[np.asarray(labels, dtype=int)]) for split, (texts, labels) in own.splits.items()}


def data_of(card, data_dir=None, limit=None, data_file=None):
    """``(splits, default split)`` to evaluate ``card``'s model on."""
    from training.tasks import pipeline

    task = tasks.get(card["task"])
    own = _own(card, data_file)
    if own is None:
        recipe = recipes.Recipe(**card["recipe"])
        return task.load(recipe, data_dir, limit), card.get("metrics", {}).get("split") or task.DEFAULT_SPLIT
    splits = own.splits
    if task.KIND == "classifier":
        splits = _labels_as_the_model_has_them(own, card, data_file or "the data")
    split = "test" if data_file is not None else card.get("metrics", {}).get("split", "test")
    return pipeline.limited(splits, limit), split


def evaluate(entry, data_dir=None, split=None, limit=None, data_file=None, progress=False):
    """The metrics of ``entry`` (a ``zoo.registry.Entry``) on a split of its data
    (``progress``: a progress bar, on stdout as Keras draws it)."""
    from zoo import registry

    card = entry.card
    task = tasks.get(card["task"])
    if data_file is None:
        limit = limit or card.get("dataset", {}).get("limit")  # a trial run's card: its own subset
    data, default = data_of(card, data_dir, limit, data_file)
    split = split or default
    if split not in data:
        raise DataError(f"{entry.name} has no {split} split: choose one of {', '.join(data)}")
    options = {"max_length": card["recipe"]["sequence_length"] + 1} if task.KIND == "translator" else {}
    return task.evaluate_file(registry.weights_path(entry), entry.extras(), data, split, progress=progress,
                              **options)
