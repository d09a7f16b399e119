"""``zoo train NAME``: one recipe, one run directory, resumable."""

import json
import platform
import time
from pathlib import Path

import keras
import tensorflow as tf

from training import devices, loop, tasks
from training.export import save_for_inference


def default_output_dir(name):
    return Path("runs") / name


def train(recipe, *, data_dir=None, output_dir=None, resume=False, overwrite=False,
          checkpoint_every=100, strategy="default", mixed_precision=False, limit=None,
          verbose=1, command=None):
    """Trains ``recipe`` and saves the inference model; returns the run summary."""
    output_dir = Path(output_dir or default_output_dir(recipe.name))
    keras.utils.set_random_seed(recipe.seed)
    tf.config.experimental.enable_op_determinism()
    devices.use_mixed_precision(mixed_precision)
    task = tasks.get(recipe.task)

    strategy = devices.make_strategy(strategy)
    with strategy.scope():
        prepared = task.prepare(recipe, data_dir=data_dir, limit=limit)
    run = loop.Run(output_dir, prepared.model, resume=resume, overwrite=overwrite)
    (run.dir / "recipe.json").write_text(json.dumps(
        {"recipe": recipe.to_dict(), "command": command, "limit": limit}, indent=1))
    if verbose:
        print(f"Training {recipe.name} on {devices.describe()}, {type(strategy).__name__} with "
              f"{strategy.num_replicas_in_sync} replica(s); run directory {run.dir}")

    started = time.time()
    callbacks = [keras.callbacks.TensorBoard(str(run.dir / "tensorboard")),
                 keras.callbacks.CSVLogger(str(run.dir / "history.csv"), append=True)]
    state = loop.fit(prepared.model, prepared.train, prepared.validation, run,
                     epochs=recipe.epochs, patience=recipe.patience,
                     checkpoint_every=checkpoint_every, callbacks=callbacks, verbose=verbose)
    seconds = time.time() - started

    model_path = run.dir / "model.keras"
    save_for_inference(prepared.inference_model(), model_path)
    for name, text in getattr(prepared, "extra_files", dict)().items():
        (run.dir / name).write_text(text)
    previous = run.dir / "summary.json"  # a resumed run adds to the time recorded before
    before = json.loads(previous.read_text()).get("train_seconds_total", 0) if resume and previous.exists() else 0
    summary = {"name": recipe.name, "model": str(model_path), "epochs_done": state["epoch"],
               "best_epoch": state["best_epoch"] + 1, "best_val_loss": state["best_val_loss"],
               "stopped_early": state["stopped_early"], "train_seconds_this_session": round(seconds, 1),
               "train_seconds_total": round(before + seconds, 1),
               "strategy": type(strategy).__name__, "replicas": strategy.num_replicas_in_sync,
               "machine": f"{platform.machine()} {platform.processor() or ''}".strip() + f", {devices.describe()}",
               "command": command}
    (run.dir / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary
