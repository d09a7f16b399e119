"""One module per task: its data pipelines, model, inference model and metrics.

Each module has ``prepare(recipe, data_dir, limit=None) -> Prepared``.
"""

from importlib import import_module

TASKS = {"sentiment": "sentiment", "charlm": "charlm", "bigram": "charlm", "translation": "translation"}


def get(task):
    return import_module(f"training.tasks.{TASKS[task]}")


def companion(model_path, filename):
    """A file saved beside a model: ``NAME.<filename>`` in the zoo, ``<filename>`` in a run."""
    from pathlib import Path

    model_path = Path(model_path)
    for candidate in (model_path.with_name(f"{model_path.stem}.{filename}"), model_path.with_name(filename)):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{model_path.with_name(filename)} is missing: `zoo train` saves it beside the model.")
