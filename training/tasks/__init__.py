"""One module per task: its data pipelines, model, inference model and metrics.

Each module has ``prepare(recipe, data_dir, limit=None) -> Prepared``.
"""

from importlib import import_module

TASKS = {"sentiment": "sentiment", "charlm": "charlm", "bigram": "charlm", "translation": "translation"}


def get(task):
    return import_module(f"training.tasks.{TASKS[task]}")
