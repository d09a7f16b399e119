"""Command line of the training package: ``zoo train|evaluate|export``
(``python -m training`` is ``zoo train``)."""

import argparse
import json
import os
import sys
from pathlib import Path

from training import recipes

EPILOG = ("Data: a directory laid out like ../shared/data, given by --data-dir or ZOO_DATA_DIR; "
          "otherwise the published sources, downloaded once into ~/.cache/rnn-zoo.")


def _int_at_least(low):
    def parse(text):
        value = int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        return value
    return parse


def _rate(text):
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {value}")
    return value


def _share(text):
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {value}")
    return value


def _positive_float(text):
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def _name(parser):
    parser.add_argument("name", metavar="NAME", help="zoo model: " + ", ".join(recipes.RECIPES))
    parser.add_argument("--data-dir", help="data directory laid out like ../shared/data "
                        "(default: $ZOO_DATA_DIR, else download)")


MODEL_HELP = ("a zoo name, a run directory of `zoo train`, a .keras file with its card beside it, "
              "or a BentoML model-store tag (NAME:VERSION or NAME:latest)")


def _model(parser):
    parser.add_argument("model", metavar="MODEL", help=MODEL_HELP)


def add_train(commands):
    p = commands.add_parser(
        "train", help="train a zoo model from its recipe", epilog=EPILOG,
        description="Trains NAME with its recipe, on the recipe's dataset or on your own (--data); "
                    "options override single hyperparameters. The output directory is a model: "
                    "model.keras, card.json (metrics on the test split), vocabularies, history.csv, "
                    "curves.png; also TensorBoard logs, checkpoints and the best weights on "
                    "validation. Use it anywhere a MODEL is asked for (zoo predict/evaluate/export/serve).")
    _name(p)
    d = p.add_argument_group("your own data (default: the recipe's dataset)")
    d.add_argument("--data", metavar="PATH", help="training data: for the imdb-* classifiers a CSV, TSV "
                   "or JSON Lines file with a text and a label column, or a folder with a sub-folder of "
                   ".txt files per label; for shakespeare-* a UTF-8 text file or a folder of .txt files; "
                   "for translators a TSV of source and target columns or a manythings.org zip; or "
                   "tfds:NAME[:CONFIG] (tensorflow-datasets). Without --validation-data/--test-data a "
                   "fixed, order-independent split of it is used.")
    d.add_argument("--validation-data", metavar="PATH", help="validation examples (same format as --data)")
    d.add_argument("--test-data", metavar="PATH", help="test examples (same format; the card's metrics)")
    d.add_argument("--text-column", metavar="NAME", help="the text (or source) column or tfds feature "
                   "(default: found by name: text, sentence, review, ...)")
    d.add_argument("--label-column", metavar="NAME", help="the label (or target) column or tfds feature "
                   "(default: found by name: label, class, sentiment, ...)")
    d.add_argument("--from", dest="start", metavar="MODEL",
                   help="start from this trained model's weights and vocabulary: " + MODEL_HELP)
    g = p.add_argument_group("hyperparameters (default: the recipe's)")
    g.add_argument("--epochs", type=_int_at_least(1))
    g.add_argument("--batch-size", type=_int_at_least(1))
    g.add_argument("--cell", choices=["simplernn", "gru", "lstm"])
    g.add_argument("--units", type=_int_at_least(1), help="size of h per layer and direction")
    g.add_argument("--layers", type=_int_at_least(1), help="stacked recurrent layers")
    g.add_argument("--bidirectional", action=argparse.BooleanOptionalAction, default=None,
                   help="read sequences both ways (encoders only)")
    g.add_argument("--sequence-length", type=_int_at_least(1),
                   help="tokens per review/sentence, characters per training sequence")
    g.add_argument("--vocab-size", type=_int_at_least(2), help="word vocabulary size")
    g.add_argument("--embedding-dim", type=_int_at_least(1))
    g.add_argument("--learning-rate", type=_positive_float)
    g.add_argument("--dropout", type=_rate)
    g.add_argument("--input-dropout", type=_rate, help="SpatialDropout1D rate on the embeddings")
    g.add_argument("--bigrams", type=_int_at_least(0),
                   help="many-to-one: also embed the N most frequent word pairs (0: words only)")
    g.add_argument("--ensemble", type=_int_at_least(1),
                   help="sentiment: train N networks (seeds SEED, SEED+1, ...) one after the other "
                        "and ship their mean probability")
    g.add_argument("--teacher", metavar="MODEL",
                   help="sentiment: learn from this trained classifier too (distillation): part of each "
                        "training target is its probability for the text. " + MODEL_HELP)
    g.add_argument("--teacher-weight", type=_share, metavar="W",
                   help="the teacher's share of each training target (default 0.5; the rest: the label)")
    g.add_argument("--teacher-crops", type=_int_at_least(0), metavar="N",
                   help="with --teacher: also train on N random windows (25-75%% of the words) of each "
                        "training text, with the teacher's probabilities as their targets (default 0)")
    g.add_argument("--pooling", choices=["last", "mean", "max", "mean+max"],
                   help="many-to-one readout: h_T, or a masked summary of every h_t")
    g.add_argument("--bptt-k", type=_int_at_least(1),
                   help="truncated BPTT: update every k steps, carrying h on without gradient")
    g.add_argument("--patience", type=_int_at_least(0), help="early stopping patience in epochs (0: off)")
    g.add_argument("--seed", type=int, help="random seed (same seed, same weights on a CPU)")
    r = p.add_argument_group("run")
    r.add_argument("--output-dir", help="run directory (default: runs/NAME)")
    r.add_argument("--resume", action="store_true", help="continue the run in the output directory "
                   "from its last checkpoint (weights, optimizer state, data position)")
    r.add_argument("--overwrite", action="store_true", help="start again over an existing run")
    r.add_argument("--checkpoint-every", type=_int_at_least(0), default=100,
                   help="also checkpoint every N batches within an epoch (default 100; 0: epochs only)")
    r.add_argument("--limit", type=_int_at_least(1),
                   help="use only the first N examples (characters for text) of each split: quick trials")
    r.add_argument("--strategy", choices=["default", "mirrored", "multi-worker"], default="default",
                   help="tf.distribute strategy (default: one device, the GPU if TensorFlow sees one)")
    r.add_argument("--cpu-devices", type=_int_at_least(1),
                   help="split the CPU into N logical devices (to run --strategy mirrored without GPUs)")
    r.add_argument("--mixed-precision", action="store_true", help="float16 compute, float32 weights")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run_train, check=check_train)


def add_evaluate(commands):
    p = commands.add_parser(
        "evaluate", help="compute a model's card metrics", epilog=EPILOG,
        description="Computes MODEL's metrics on its card's split and data and prints them as JSON: "
                    "accuracy (classifiers), loss in nats/char and bits/char (character models), "
                    "sacreBLEU and chrF (translators).")
    _model(p)
    p.add_argument("--data-dir", help="data directory laid out like ../shared/data, for the shipped "
                   "recipes' datasets (default: $ZOO_DATA_DIR, else download)")
    p.add_argument("--data", metavar="FILE", help="evaluate on every example of FILE instead "
                   "(the format MODEL was trained on)")
    p.add_argument("--split", choices=["train", "validation", "test"], help="default: the card's split")
    p.add_argument("--quiet", action="store_true", help="no progress bar (on stderr)")
    p.add_argument("--limit", type=_int_at_least(1), help="only the first N examples of the split")
    p.set_defaults(run=run_evaluate)


def add_export(commands):
    p = commands.add_parser(
        "export", help="export a trained model",
        description="Exports MODEL as a .keras file with its card and vocabularies, a TensorFlow "
                    "SavedModel (servable by TF Serving) or an entry in the BentoML model store "
                    "(then served by `zoo serve --model ALIAS=NAME:latest`; its tag is printed on the "
                    "last line).")
    _model(p)
    p.add_argument("--format", choices=["keras", "savedmodel", "bentoml"], default="keras")
    p.add_argument("--name", help="the exported name (default: MODEL's name)")
    p.add_argument("--output", help="where to write (default: exports/NAME.keras or exports/NAME-savedmodel)")
    p.set_defaults(run=run_export)


def check_train(args):
    """Everything that can be checked before TensorFlow starts: the recipe and
    its options, the output directory, the user's data, the model of --from."""
    from training.run_dir import check_output_dir, default_output_dir

    recipe = recipes.get(args.name).replace(
        epochs=args.epochs, batch_size=args.batch_size, cell=args.cell, units=args.units,
        layers=args.layers, bidirectional=args.bidirectional, sequence_length=args.sequence_length,
        vocab_size=args.vocab_size, embedding_dim=args.embedding_dim,
        learning_rate=args.learning_rate, dropout=args.dropout, bptt_k=args.bptt_k,
        patience=args.patience, seed=args.seed, pooling=args.pooling,
        input_dropout=args.input_dropout, bigrams=args.bigrams,
        ensemble=args.ensemble, teacher=args.teacher, teacher_weight=args.teacher_weight,
        teacher_crops=args.teacher_crops)
    output_dir = args.output_dir or default_output_dir(recipe.name)
    check_output_dir(output_dir, args.resume, args.overwrite, delete=False)  # before reading any data
    own, own_arguments = _own_data(args, recipe)
    start = None
    if args.start or recipe.teacher:
        from zoo import registry

        start = registry.resolve(args.start) if args.start else None
        if recipe.teacher:
            registry.resolve(recipe.teacher)  # an unknown teacher fails before any data is read
    args.checked = (recipe, output_dir, own, own_arguments, start)


def run_train(args):
    if args.cpu_devices:
        from training import devices
        devices.split_cpu(args.cpu_devices)
    import shlex

    from training.train import train

    if not hasattr(args, "checked"):
        check_train(args)
    recipe, output_dir, own, own_arguments, start = args.checked
    summary = train(recipe, data_dir=args.data_dir, own=own, own_arguments=own_arguments, start=start,
                    output_dir=output_dir, resume=args.resume,
                    overwrite=args.overwrite, checkpoint_every=args.checkpoint_every,
                    strategy=args.strategy, mixed_precision=args.mixed_precision, limit=args.limit,
                    verbose=0 if args.quiet else 1,
                    command=" ".join(shlex.quote(a) for a in ["zoo", *args.argv]))
    print(json.dumps(summary, indent=1))


def _own_data(args, recipe):
    """``(OwnData, arguments that read it again)`` of --data, or ``(None, None)``."""
    given = {"validation_data": args.validation_data, "test_data": args.test_data,
             "text_column": args.text_column, "label_column": args.label_column}
    if not args.data:
        named = [f"--{k.replace('_', '-')}" for k, v in given.items() if v]
        if named:
            raise recipes.RecipeError(f"{', '.join(named)} go with --data (your own training data).")
        return None, None
    from training import tasks

    if recipe.task not in tasks.OWN_DATA:
        raise recipes.RecipeError(f"{recipe.name} trains on its own dataset only (no --data).")
    from training.data.own import load_own

    def absolute(value):
        return value if value is None or value.startswith("tfds:") else str(Path(value).resolve())

    arguments = {"task": tasks.OWN_DATA[recipe.task], "data": absolute(args.data),
                 **{k: absolute(v) if k.endswith("_data") else v for k, v in given.items()}}
    own = load_own(arguments["task"], arguments["data"], **{k: v for k, v in arguments.items()
                                                              if k not in ("task", "data")})
    return own, arguments


def run_evaluate(args):
    from training.evaluation import evaluate
    from zoo import registry

    import contextlib

    entry = registry.resolve(args.model)
    with contextlib.redirect_stdout(sys.stderr):  # the progress bar; the JSON alone goes to stdout
        metrics = evaluate(entry, data_dir=args.data_dir, split=args.split, limit=args.limit,
                           data_file=args.data, progress=not args.quiet)
    print(json.dumps({"name": entry.name, "weights": str(entry.model_file), **metrics}, indent=1,
                     ensure_ascii=False))


def run_export(args):
    from training.export import export
    from zoo import registry

    print(export(registry.resolve(args.model), args.format, args.output, args.name))


def run(args, prog, before_run=None):
    """Runs a parsed command (its ``check`` first, then ``before_run()``, then
    the command); user errors end in one line on stderr and exit status 1."""
    from training.data import DataError
    from training.run_dir import ResumeError
    from training.recipes import RecipeError
    from zoo.registry import ZooError

    try:
        if getattr(args, "check", None):
            args.check(args)
        if before_run:
            before_run()
        args.run(args)
    except (DataError, ResumeError, RecipeError, ZooError, FileNotFoundError) as error:
        sys.exit(f"{prog}: error: {error}")
    except KeyError as error:
        sys.exit(f"{prog}: error: {error.args[0]}")
    except KeyboardInterrupt:
        sys.exit(f"{prog}: interrupted; continue with --resume")
    return 0


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    parser = argparse.ArgumentParser(prog="python -m training")
    commands = parser.add_subparsers(dest="command", required=True)
    add_train(commands)
    argv = ["train", *(sys.argv[1:] if argv is None else argv)]
    args = parser.parse_args(argv)
    args.argv = argv
    return run(args, "python -m training")
