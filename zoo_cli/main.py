"""The ``zoo`` command line: ``zoo --help``, and ``zoo COMMAND --help`` for each command.

Wrong input is one line on stderr and a non-zero exit, checked before any
model loads. ``list`` and ``info`` read cards only: they import no TensorFlow.
"""

import argparse
import os
import sys


def _import_zoo_lazily():
    """``import zoo`` without Keras and TensorFlow until a model is needed (the
    variable is read once, by ``zoo/__init__.py``; programs this one starts
    do not inherit it)."""
    if "zoo" in sys.modules:
        return
    os.environ["ZOO_LAZY_IMPORT"] = "1"
    try:
        import zoo  # noqa: F401
    finally:
        del os.environ["ZOO_LAZY_IMPORT"]


_import_zoo_lazily()
NO_TENSORFLOW = ("list", "info")


def _parity(args):
    from zoo import parity

    if args.bidirectional and args.go_backwards:
        raise SystemExit("zoo parity: --bidirectional and --go-backwards do not go together "
                         "(Keras' Bidirectional rejects a layer that already reads backwards).")
    options = dict(masked=args.masked, bidirectional=args.bidirectional,
                   go_backwards=args.go_backwards, return_state=True)
    print(f"{'cell':<24}{'dtype':<9}{'max |output diff|':>19}{'max |grad diff|':>17}")
    for label, dtype, out, grad in parity.table(**options):
        print(f"{label:<24}{dtype:<9}{out:>19.3g}{grad:>17.3g}")
    print("zoo cell in keras.layers.RNN vs the Keras built-in layer, same random weights "
          f"(masked={args.masked}, bidirectional={args.bidirectional}, go_backwards={args.go_backwards}).")


def _unfold(args):
    from zoo import cells, unfolding

    cell = cells.get(args.cell, args.units)
    model = unfolding.unfold(cell, args.steps, args.input_dim)
    print(unfolding.render(cell, args.steps))
    if args.summary:
        model.summary()
    if args.plot:
        try:
            unfolding.plot(cell, args.steps, args.plot)
        except RuntimeError as error:
            raise SystemExit(f"zoo unfold: {error}")
        print(f"Wrote {args.plot}")


def _headline(card):
    from zoo import kinds

    try:
        return kinds.get(card["interface"]).headline(card["metrics"])
    except (KeyError, ValueError):
        return ""


def _list(args):
    from zoo import registry

    names = registry.list_models()
    if not names:
        print("No pretrained models are installed.")
        return
    if args.markdown:
        print("| name | topology | cell | data | metric (split) | parameters | file | training |")
        print("|---|---|---|---|---|---|---|---|")
        for name in names:
            c = registry.card(name)
            t = c["training"]
            print(f"| `{name}` | {c['topology']} | {c['cell']}{' (bidirectional)' if c['bidirectional'] else ''} "
                  f"| {c['dataset']['name']} | {_headline(c)} | {c['parameters']:,} "
                  f"| {c['file']['bytes'] / 1e6:.1f} MB | {t['epochs_done']} epochs, {t['wall_seconds'] / 60:.0f} min |")
        return
    print(f"{'name':<22}{'task':<13}{'topology':<30}{'cell':<20}headline metric")
    for name in names:
        c = registry.card(name)
        print(f"{name:<22}{c['task']:<13}{c['topology'].split(' (')[0]:<30}"
              f"{c['cell'] + (' (bi)' if c['bidirectional'] else ''):<20}{_headline(c)}")


def _info(args):
    import json

    from zoo import registry

    print(json.dumps(registry.card(args.model), indent=1, ensure_ascii=False))


def _check_predict(args):
    """Before TensorFlow: the model exists and the texts are not empty."""
    from zoo import kinds, registry

    kind = kinds.get(registry.resolve(args.model).card["interface"])
    if kind.name == "composer":
        if args.inputs:  # a bad note fails before the model loads
            from zoo_cli import quiet

            quiet.tensorflow()  # zoo.music is a Keras module
            from zoo.music import parse_chord

            parse_chord(" ".join(args.inputs))
        return
    if not args.inputs:
        raise ValueError(f"give the {'prompt' if kind.name == 'generator' else 'texts'} to {kind.route}")
    if kind.name != "generator" and not all(text.strip() for text in args.inputs):
        raise ValueError("empty text: give non-empty texts")


def _predict(args):
    from zoo import kinds, registry

    kind = kinds.get(registry.resolve(args.model).card["interface"])
    options = {"length": args.length, "temperature": args.temperature, "seed": args.seed,
               "beam_size": args.beam_size, "steps": args.steps, "output": args.output}
    for line in kind.show(registry.load(args.model), args.inputs, options):
        print(line)


def _at_least(low, kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        return value
    return parse


def build_parser():
    parser = argparse.ArgumentParser(
        prog="zoo",
        description="rnn-zoo: recurrent neural networks in Keras 3: exact cells, every topology.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = commands.add_parser("parity", help="check the zoo cells against Keras' built-in layers",
                            description="Runs every zoo cell and the matching Keras layer with the "
                            "same random weights and prints the largest output and gradient "
                            "differences, in float32 and float64.")
    p.add_argument("--masked", action="store_true", help="pad each sequence and pass a mask")
    p.add_argument("--bidirectional", action="store_true", help="wrap both in keras.layers.Bidirectional")
    p.add_argument("--go-backwards", action="store_true", help="read the sequences backwards")
    p.set_defaults(run=_parity)

    p = commands.add_parser("unfold", help="show a cell unfolded in time",
                            description="Builds the explicit k-step network of a cell "
                            "(zoo.unfold) and draws it as text, and as a picture with --plot.")
    p.add_argument("cell", choices=["simplernn", "gru", "lstm"], help="the cell to unfold")
    p.add_argument("-k", "--steps", type=int, default=3, help="time steps to unfold (default 3)")
    p.add_argument("--units", type=int, default=4, help="size of h (default 4)")
    p.add_argument("--input-dim", type=int, default=3, help="size of x_t (default 3)")
    p.add_argument("--summary", action="store_true", help="also print the Keras model summary")
    p.add_argument("--plot", metavar="PNG", help="also draw it to an image file (needs pydot and Graphviz)")
    p.set_defaults(run=_unfold)

    p = commands.add_parser("list", help="list the pretrained models",
                            description="Lists the shipped models with their task and headline metric.")
    p.add_argument("--markdown", action="store_true", help="print the README's results table")
    p.set_defaults(run=_list)
    from training.cli import MODEL_HELP

    p = commands.add_parser("info", help="print a model's card", description="Prints MODEL's card as JSON.")
    p.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    p.set_defaults(run=_info)
    p = commands.add_parser("predict", help="try a model",
                            description="Classifies texts (label and its probability), continues a "
                            "prompt or translates sentences, as MODEL's kind does.")
    p.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    p.add_argument("inputs", nargs="*", metavar="TEXT",
                   help="texts (a classifier or translator), a prompt (a generator), or the first chord "
                        "of a composer (e.g. C4 E4 G4; default a C major triad)")
    p.add_argument("--length", type=_at_least(0, int), default=200, help="characters to generate (default 200)")
    p.add_argument("--temperature", type=_at_least(0.0, float),
                   help="sampling temperature (default 0.8 for characters, 1 for music; 0: the most likely)")
    p.add_argument("--seed", type=_at_least(0, int), help="sampling seed (same seed, same text)")
    p.add_argument("--beam-size", type=_at_least(1, int), default=1,
                   help="beam width for translation (default 1: greedy)")
    p.add_argument("--steps", type=_at_least(1, int), default=64, help="chords a composer writes (default 64)")
    p.add_argument("--output", metavar="FILE.mid", help="a composer: also write the piece as a MIDI file")
    p.set_defaults(run=_predict, check=_check_predict)

    from training import cli as training_cli  # the command line sits above zoo and training

    training_cli.add_train(commands)
    training_cli.add_evaluate(commands)
    training_cli.add_export(commands)
    from serving import cli as serving_cli

    serving_cli.add_serve(commands)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "unfold" and min(args.steps, args.units, args.input_dim) < 1:
        parser.error("--steps, --units and --input-dim must be positive integers")
    from zoo.registry import ZooError
    from zoo_cli import quiet

    if args.command in ("train", "evaluate", "export"):
        from training import cli as training_cli

        return training_cli.run(args, f"zoo {args.command}", before_run=quiet.tensorflow)
    try:
        if getattr(args, "check", None):
            args.check(args)
        if args.command not in NO_TENSORFLOW and args.command != "serve":  # serve: in the server
            quiet.tensorflow()
        args.run(args)
    except (ZooError, ValueError) as error:
        sys.exit(f"zoo {args.command}: error: {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
