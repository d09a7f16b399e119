"""One module per task: its data pipelines, model, inference model and metrics.

Each module has ``KIND`` (its models' kind, ``zoo.kinds``), ``DEFAULT_SPLIT``,
``topology(recipe)``, ``load(recipe, data_dir, limit)`` (the recipe's dataset),
``prepare(recipe, data_dir=None, limit=None, own=None, start=None) -> Prepared``
(on the recipe's data or a user's, from scratch or from a trained model) and
``evaluate_file(model_path, extras, data, split)`` (the card's metrics).
"""

from importlib import import_module

TASKS = {"sentiment": "sentiment", "charlm": "charlm", "bigram": "charlm", "translation": "translation",
         "chorales": "chorales"}
# The reader of a user's data (training.data.own) for each task that can train on one.
OWN_DATA = {"sentiment": "classification", "charlm": "text", "bigram": "text", "translation": "translation"}


def get(task):
    import zoo

    zoo.import_all()  # the zoo's layers, registered with Keras for saving and loading
    return import_module(f"training.tasks.{TASKS[task]}")
