"""Publishes a finished run into the zoo: ``python -m training.publish NAME RUN_DIR``.

Copies the run's inference model (and vocabulary) into ``zoo/pretrained/``,
evaluates the copied file on the card's split with the same code as
``zoo evaluate NAME`` (so every number on the card is that command's output),
draws the training curves from ``history.csv`` and writes the card
``zoo/pretrained/NAME.json``. Needs the data (``--data-dir`` or
``ZOO_DATA_DIR``) and matplotlib.
"""

import argparse
import datetime
import json
import shutil
import sys
from pathlib import Path

import keras

from training import cards, evaluation, recipes, tasks
from training.export import quantize_embeddings, save_for_inference, store_weights_as_float16
from training.train import run_dirs, teacher_record
from zoo import registry
from zoo.kinds import SENTIMENT_LABELS

EXTRAS = {"vocabulary.json": "vocabulary", "target_vocabulary.json": "target_vocabulary"}
MAX_FILE_BYTES = 25_000_000  # a bigger model file is stored with float16 weights, then int8 tables
SAMPLE = 1000  # the card also records the metrics on the first SAMPLE examples, checked in CI


def publish(name, run_dir, data_dir=None, out_dir=registry.PRETRAINED, strict=True, note=None,
            int8_embeddings=False):
    """Writes the entry; ``strict`` refuses runs that are not the recipe on the full data;
    ``int8_embeddings`` stores the embedding tables as int8 whatever the file's size."""
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
    if int8_embeddings or model_file.stat().st_size > MAX_FILE_BYTES:  # still over: 8-bit embedding tables
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
    histories = [d / "history.csv" for d in run_dirs(run_dir, recipe)]
    cards.plot_history(histories, out_dir / f"{name}.png", f"{name}: training curves")
    training = {"command": run_info.get("command") or f"zoo train {name}",
                "epochs_done": summary["epochs_done"], "best_epoch": summary["best_epoch"],
                "wall_seconds": summary.get("train_seconds_total", summary["train_seconds_this_session"]),
                "machine": cards.machine(summary["machine"]),
                "published": datetime.date.today().isoformat()}
    if recipe.teacher:
        training["teacher"] = teacher_record(recipe)
    card = cards.make(name, recipe, task, model_file=model_file, parameters=parameters, metrics={},
                      dataset=cards.DATASETS[recipe.dataset], training=training, extra_files=extra_files,
                      curve=f"{name}.png", weights_stored_as=weights_dtype,
                      labels=list(SENTIMENT_LABELS) if task.KIND == "classifier" else None,
                      evaluate_command=f"ZOO_DATA_DIR=../shared/data zoo evaluate {name}")
    entry = registry.Entry(name, card, model_file, "path")
    card["metrics"] = evaluation.evaluate(entry, data_dir=data_dir)
    card["metrics_sample"] = evaluation.evaluate(entry, data_dir=data_dir, limit=SAMPLE)
    card["evaluate_sample_command"] = f"ZOO_DATA_DIR=../shared/data zoo evaluate {name} --limit {SAMPLE}"
    if recipe.ensemble > 1:
        card["ensemble"] = {"networks": recipe.ensemble,
                            "seeds": [recipe.seed + i for i in range(recipe.ensemble)],
                            "output": "the mean of the networks' probabilities"}
    if note:
        card["training"]["note"] = note
    extras = getattr(task, "published_extras", None)  # what a task adds to its entries (a composer: a piece)
    if extras:
        card.update(extras(name, model_file, out_dir))
    (out_dir / f"{name}.json").write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n")
    return card


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m training.publish", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=sorted(recipes.RECIPES))
    parser.add_argument("run_dir", help="the run directory of `zoo train NAME`")
    parser.add_argument("--data-dir", help="data directory (default: $ZOO_DATA_DIR)")
    parser.add_argument("--note", help="a remark for the card's training section (e.g. sessions it took)")
    parser.add_argument("--int8-embeddings", action="store_true",
                        help="store the embedding tables as int8 (a float16 scale per row) and the rest as "
                             "float16, even under the 25 MB a file may take (to keep the zoo small)")
    args = parser.parse_args(argv)
    card = publish(args.name, args.run_dir, args.data_dir, note=args.note, int8_embeddings=args.int8_embeddings)
    print(json.dumps({k: card[k] for k in ("name", "metrics", "parameters", "file")}, indent=1,
                     ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
