"""``zoo serve``: a thin wrapper over ``bentoml serve serving.service:RnnZoo``
that turns its options into the service's ``ZOO_SERVE_*`` limits."""

import dataclasses
import os
import sys

from serving import api_key, served
from serving.limits import Limits

SERVICE = "serving.service:RnnZoo"
LIMIT_OPTIONS = {
    "max_body_bytes": "largest request body, else 413",
    "max_texts": "most texts in one /classify or /translate request",
    "max_text_chars": "longest text or prompt in characters (longer ones are rejected)",
    "max_length": "most characters one /generate may produce",
    "max_temperature": "highest sampling temperature",
    "max_beam_size": "widest beam for /translate",
    "max_steps": "most chords one /compose may write",
    "max_batch_size": "most texts in one batched /classify model call",
    "queue": "requests waiting per route (/generate, /translate, /compose); more get 503 and Retry-After",
    "queue_timeout": "seconds a request may wait for its turn before a 503",
    "deadline": "seconds the costliest /generate, /translate or /compose may take, waiting included, "
                "before a 504 (its work stops at the next step); a cheaper one gets its share, at least a tenth",
    "max_translate_work": "most sentences x beam width in one /translate",
    "keep_alive": "seconds an idle keep-alive connection stays open",
    "body_timeout": "seconds a request body may take to arrive, else 408",
    "drain": "seconds requests in flight get to finish after SIGTERM or Ctrl-C",
}


def add_serve(commands):
    p = commands.add_parser(
        "serve", help="serve models over HTTP (BentoML)",
        description="Starts the HTTP service (" + SERVICE + "): POST /classify, /generate, /translate, "
        "/models; GET /readyz, /metrics, /docs.json. Without --model it serves the shipped zoo; with "
        "--model, exactly the models given, each put in the BentoML model store first (once: an "
        "entry with the same model file is reused). Every limit can also be set with its "
        "ZOO_SERVE_* environment variable (see serving/limits.py).")
    p.add_argument("--model", action="append", metavar="ALIAS=MODEL", dest="models",
                   help="serve MODEL (a zoo name, a run directory, a .keras file with its card, or a "
                        "BentoML store tag) under ALIAS, the `model` of a request; repeatable")
    defaults = Limits.from_env()
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; "
                   "0.0.0.0 for every interface)")
    p.add_argument("-p", "--port", type=int, default=3000, help="port (default 3000)")
    p.add_argument("--workers", type=int, default=defaults.workers,
                   help=f"server processes, each with every model (default {defaults.workers})")
    p.add_argument("--threads", type=int, default=defaults.threads,
                   help=f"model calls at once per route, each in a thread (default {defaults.threads})")
    p.add_argument("--no-batching", dest="batching", action="store_false", default=defaults.batching,
                   help="one model call per /classify request (adaptive batching is on by default)")
    p.add_argument("--no-compile-when-idle", dest="compile_when_idle", action="store_false",
                   default=defaults.compile_when_idle,
                   help="do not compile the classifiers' loops for batches of up to 32 texts while the "
                        "server is idle (such /classify batches then run Keras' slower loop; saves ~0.3 GB)")
    p.add_argument("--api-key-file", metavar="PATH",
                   help="require `Authorization: Bearer KEY` on the model routes, KEY being the first "
                        f"line of PATH (or set {api_key.VARIABLE}); health, metrics and /ui stay open. "
                        "Turn it on when binding an address others can reach")
    p.add_argument("--no-access-log", dest="access_log", action="store_false", default=defaults.access_log,
                   help="no log line per request (faster under load)")
    for field, what in LIMIT_OPTIONS.items():
        value = getattr(defaults, field)
        p.add_argument("--" + field.replace("_", "-"), type=type(value), default=value, metavar="N",
                       help=f"{what} (default {value}; ZOO_SERVE_{field.upper()})")
    p.set_defaults(run=run)


def stored_models(models):
    """``{alias: store tag}`` of ``{alias: MODEL}``: each MODEL put in the
    BentoML model store unless it is a store entry already."""
    from zoo import registry, store

    entries = {alias: registry.resolve(model) for alias, model in models.items()}  # all checked first
    return {alias: str(store.to_store(entry).tag) for alias, entry in entries.items()}


def run(args):
    """Replaces this process with ``bentoml serve`` (signals go straight to it)."""
    if not 0 < args.port < 65536:
        raise ValueError("--port must be positive and below 65536")
    limits = Limits(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Limits)})
    env = {"TF_CPP_MIN_LOG_LEVEL": "2", "BENTOML_DO_NOT_TRACK": "True", **os.environ, **limits.environ(),
           "ZOO_LAZY_IMPORT": "1"}  # BentoML's main process reads the service without TensorFlow
    env.pop(served.VARIABLE, None)
    if args.api_key_file:
        env[api_key.VARIABLE] = api_key.read_key_file(args.api_key_file)
    elif not api_key.configured(env) and args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"note: {args.host} may be reachable by others and no API key is set (--api-key-file)",
              file=sys.stderr, flush=True)
    if args.models:
        tags = stored_models(served.parse(args.models))
        env[served.VARIABLE] = served.spec(tags)
        for alias, tag in tags.items():
            print(f"{alias}: {tag}", flush=True)
    argv = [sys.executable, "-m", "bentoml", "serve", SERVICE, "--host", args.host, "--port", str(args.port),
            "--timeout-keep-alive", str(limits.keep_alive), "--timeout-graceful-shutdown", str(limits.drain)]
    print(f"Serving the zoo on http://{args.host}:{args.port} (ready when /readyz answers 200)", flush=True)
    os.execve(sys.executable, argv, env)
