"""``zoo train NAME``: one recipe, one run directory, resumable."""

import json
import platform
import time
from pathlib import Path

import keras
import tensorflow as tf

from training import cards, devices, evaluation, loop, recipes, tasks
from training.export import save_for_inference
from training.run_dir import check_output_dir, default_output_dir
from zoo import registry

CURVES = "curves.png"


def run_dirs(output_dir, recipe):
    """Where each network of ``recipe`` trains: the run directory itself, or for
    an ensemble ``member-1``, ``member-2``, ... inside it (each resumable like a
    single run)."""
    output_dir = Path(output_dir)
    if recipe.ensemble == 1:
        return [output_dir]
    return [output_dir / f"member-{i + 1}" for i in range(recipe.ensemble)]


def train(recipe, *, data_dir=None, own=None, own_arguments=None, start=None, output_dir=None,
          resume=False, overwrite=False, checkpoint_every=100, strategy="default",
          mixed_precision=False, limit=None, verbose=1, command=None):
    """Trains ``recipe`` and saves the run directory: the inference model, its
    card and vocabularies, the history and its curves. Returns the run summary.

    ``own``: the user's data (``training.data.own.OwnData``) instead of the
    recipe's dataset, re-read for ``zoo evaluate`` with ``own_arguments``.
    ``start``: a trained model (``zoo.registry.Entry``) to continue from.
    """
    output_dir = Path(output_dir or default_output_dir(recipe.name))
    check_output_dir(output_dir, resume, overwrite)
    keras.utils.set_random_seed(recipe.seed)
    tf.config.experimental.enable_op_determinism()
    devices.use_mixed_precision(mixed_precision)
    task = tasks.get(recipe.task)

    if recipe.ensemble > 1 and recipe.task != "sentiment":
        raise recipes.RecipeError(f"--ensemble works for the sentiment models only, not {recipe.name}.")
    if recipe.teacher and recipe.task != "sentiment":
        raise recipes.RecipeError(f"--teacher works for the sentiment models only, not {recipe.name}.")
    if recipe.teacher and start is not None:
        raise recipes.RecipeError("--teacher trains a new network; it does not go with --from.")
    if start is not None and tasks.get(start.card["task"]).KIND != task.KIND:
        raise recipes.RecipeError(f"--from {start.name}: a {start.card['interface']}, and {recipe.name} "
                                  f"trains a {task.KIND}.")
    if start is not None:
        recipe = recipe.replace(ensemble=1)  # the trained model's own networks go on training
    strategy = devices.make_strategy(strategy)
    with strategy.scope():
        prepared = task.prepare(recipe, data_dir=data_dir, limit=limit, own=own, start=start)
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

    model_path = output_dir / registry.MODEL_FILE
    inference_model = prepared.inference_model()
    save_for_inference(inference_model, model_path)
    extra_files = {}
    for name, text in getattr(prepared, "extra_files", dict)().items():
        (output_dir / name).write_text(text)
        extra_files[name.removesuffix(".json")] = name
    # a resumed run adds to the time its checkpoints recorded (older checkpoints: to its last summary)
    previous = output_dir / "summary.json"
    before = json.loads(previous.read_text()).get("train_seconds_total", 0) if resume and previous.exists() else 0
    recorded = sum(s.get("seconds", 0.0) for s in states)
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
               "train_seconds_total": round(max(recorded, before + seconds), 1),
               "strategy": type(strategy).__name__, "replicas": strategy.num_replicas_in_sync,
               "machine": f"{platform.machine()} {platform.processor() or ''}".strip() + f", {devices.describe()}",
               "command": command}
    (output_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    write_card(output_dir, recipe, task, prepared, inference_model, extra_files, summary, own,
               own_arguments, start, data_dir, limit, verbose)
    return summary


def teacher_record(recipe):
    """What the card says of the teacher of ``recipe`` (distillation)."""
    teacher = registry.resolve(recipe.teacher)
    return {"model": teacher.name, "sha256": teacher.card.get("file", {}).get("sha256"),
            "metrics": teacher.card.get("metrics"), "weight": recipe.teacher_weight,
            "crops_per_text": recipe.teacher_crops}


def write_card(output_dir, recipe, task, prepared, inference_model, extra_files, summary, own,
               own_arguments, start, data_dir, limit, verbose):
    """The run directory's ``card.json``: its metrics computed by ``zoo evaluate``'s
    code on the test split (the recipe's card split for its own dataset)."""
    if own is not None:
        dataset = cards.own_dataset(own, own_arguments)
    else:
        dataset = {**cards.DATASETS.get(recipe.dataset, {"name": recipe.dataset}), "load": None}
    if limit:
        dataset["limit"] = limit  # the first `limit` examples of each split (characters of a text)
    histories = [d / "history.csv" for d in run_dirs(output_dir, recipe)]
    curve = CURVES if cards.plot_history(histories, output_dir / CURVES, f"{output_dir.name}: training curves") else None
    training = {"command": summary["command"], "epochs_done": summary["epochs_done"],
                "best_epoch": summary["best_epoch"], "wall_seconds": summary["train_seconds_total"],
                "machine": cards.machine(devices.describe()), "trained": time.strftime("%Y-%m-%d")}
    if start is not None:
        training["from"] = {"model": start.name, "sha256": start.card.get("file", {}).get("sha256")}
    if recipe.teacher:
        training["teacher"] = teacher_record(recipe)
    labels = getattr(prepared, "labels", None) if task.KIND == "classifier" else None
    card = cards.make(output_dir.name, recipe, task, model_file=output_dir / registry.MODEL_FILE,
                      parameters=inference_model.count_params(), metrics={}, dataset=dataset,
                      training=training, extra_files=extra_files, curve=curve, labels=labels,
                      evaluate_command=f"zoo evaluate {output_dir}")
    if verbose:
        print(f"Evaluating {output_dir.name} on its {'test' if own else task.DEFAULT_SPLIT} split ...")
    entry = registry.Entry(output_dir.name, card, output_dir / registry.MODEL_FILE, "path")
    card["metrics"] = evaluation.evaluate(entry, data_dir=data_dir, limit=limit)
    (output_dir / registry.CARD).write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n")
    return card
