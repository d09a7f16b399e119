"""``zoo train NAME``: one recipe, one run directory, resumable."""

import json
import platform
import time
from pathlib import Path

import keras
import tensorflow as tf

from training import devices, loop, recipes, tasks
from training.export import save_for_inference


def default_output_dir(name):
    return Path("runs") / name


def run_dirs(output_dir, recipe):
    """Where each network of ``recipe`` trains: the run directory itself, or for
    an ensemble ``member-1``, ``member-2``, ... inside it (each resumable like a
    single run)."""
    output_dir = Path(output_dir)
    if recipe.ensemble == 1:
        return [output_dir]
    return [output_dir / f"member-{i + 1}" for i in range(recipe.ensemble)]


def train(recipe, *, data_dir=None, output_dir=None, resume=False, overwrite=False,
          checkpoint_every=100, strategy="default", mixed_precision=False, limit=None,
          verbose=1, command=None):
    """Trains ``recipe`` and saves the inference model; returns the run summary."""
    output_dir = Path(output_dir or default_output_dir(recipe.name))
    keras.utils.set_random_seed(recipe.seed)
    tf.config.experimental.enable_op_determinism()
    devices.use_mixed_precision(mixed_precision)
    task = tasks.get(recipe.task)

    if recipe.ensemble > 1 and recipe.task != "sentiment":
        raise recipes.RecipeError(f"--ensemble works for the sentiment models only, not {recipe.name}.")
    strategy = devices.make_strategy(strategy)
    with strategy.scope():
        prepared = task.prepare(recipe, data_dir=data_dir, limit=limit)
    members = run_dirs(output_dir, recipe)  # an ensemble's networks train one after the other
    networks, states, seconds = [], [], 0.0
    for i, member_dir in enumerate(members):
        if i:
            keras.utils.set_random_seed(recipe.seed + i)
            with strategy.scope():
                network = prepared.new_member(i + 1)
        else:
            network = prepared.model
        member_resume = resume and (i == 0 or (member_dir / loop.CHECKPOINT_DIR / loop.STATE).exists())
        run = loop.Run(member_dir, network, resume=member_resume, overwrite=overwrite)
        if i == 0:
            output_dir.mkdir(parents=True, exist_ok=True)
            (output_dir / "recipe.json").write_text(json.dumps(
                {"recipe": recipe.to_dict(), "command": command, "limit": limit}, indent=1))
        if verbose:
            what = recipe.name + (f", member {i + 1} of {len(members)}" if len(members) > 1 else "")
            print(f"Training {what} on {devices.describe()}, {type(strategy).__name__} with "
                  f"{strategy.num_replicas_in_sync} replica(s); run directory {run.dir}")

        started = time.time()
        callbacks = [keras.callbacks.TensorBoard(str(run.dir / "tensorboard")),
                     keras.callbacks.CSVLogger(str(run.dir / "history.csv"), append=True)]
        train_data = prepared.train if len(members) == 1 else (
            lambda epoch, member=i + 1: prepared.train(epoch, member=member))
        states.append(loop.fit(network, train_data, prepared.validation, run,
                               epochs=recipe.epochs, patience=recipe.patience,
                               checkpoint_every=checkpoint_every, callbacks=callbacks,
                               verbose=verbose))
        seconds += time.time() - started
        networks.append(network)
    if len(networks) > 1:
        prepared.members = networks

    model_path = output_dir / "model.keras"
    save_for_inference(prepared.inference_model(), model_path)
    for name, text in getattr(prepared, "extra_files", dict)().items():
        (output_dir / name).write_text(text)
    previous = output_dir / "summary.json"  # a resumed run adds to the time recorded before
    before = json.loads(previous.read_text()).get("train_seconds_total", 0) if resume and previous.exists() else 0
    if len(states) == 1:
        state = states[0]
        done = {"epochs_done": state["epoch"], "best_epoch": state["best_epoch"] + 1,
                "best_val_loss": state["best_val_loss"], "stopped_early": state["stopped_early"]}
    else:  # per member
        done = {"epochs_done": sum(s["epoch"] for s in states),
                "best_epoch": [s["best_epoch"] + 1 for s in states],
                "best_val_loss": [s["best_val_loss"] for s in states],
                "stopped_early": [s["stopped_early"] for s in states]}
    summary = {"name": recipe.name, "model": str(model_path), **done,
               "train_seconds_this_session": round(seconds, 1),
               "train_seconds_total": round(before + seconds, 1),
               "strategy": type(strategy).__name__, "replicas": strategy.num_replicas_in_sync,
               "machine": f"{platform.machine()} {platform.processor() or ''}".strip() + f", {devices.describe()}",
               "command": command}
    (output_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary
