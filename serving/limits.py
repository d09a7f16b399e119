"""The service's limits, read once from environment variables at start-up.

Every limit is configurable (``zoo serve`` sets these from its options)::

    ZOO_SERVE_MAX_BODY_BYTES   request body size               (default 1 MiB)   -> 413
    ZOO_SERVE_MAX_TEXTS        texts per /classify, /translate  (default 64)      -> 400
    ZOO_SERVE_MAX_TEXT_CHARS   characters per text or prompt   (default 5000)    -> 400
    ZOO_SERVE_MAX_LENGTH       characters per /generate         (default 2000)    -> 400
    ZOO_SERVE_MAX_TEMPERATURE  sampling temperature, 0 to this  (default 5.0)     -> 400
    ZOO_SERVE_MAX_BEAM_SIZE    beam width for /translate        (default 8)       -> 400
    ZOO_SERVE_MAX_STEPS        chords per /compose              (default 512)     -> 400
    ZOO_SERVE_BATCHING         adaptive batching of /classify   (default 1: on)
    ZOO_SERVE_MAX_BATCH_SIZE   texts per batched model call     (default 256)
    ZOO_SERVE_COMPILE_WHEN_IDLE  compile the classifiers' loops for batches of up to 32
                               texts while no model runs          (default 1: on)
    ZOO_SERVE_WORKERS          server processes                 (default 1)
    ZOO_SERVE_THREADS          model calls at once per route: /generate, /translate, /compose (default 2)
    ZOO_SERVE_QUEUE            requests waiting per route; more: 503 + Retry-After at once (default 16)
    ZOO_SERVE_QUEUE_TIMEOUT    seconds a request may wait for its turn, then 503 (default 10)
    ZOO_SERVE_DEADLINE         seconds the costliest /generate, /translate or /compose the limits
                               allow may take, waiting included, a cheaper one its share (at least
                               a tenth); then 504, its work stopped at the next step (default 30)
    ZOO_SERVE_MAX_TRANSLATE_WORK  sentences x beam width per /translate (default 1024)  -> 400
    ZOO_SERVE_ACCESS_LOG       one log line per request          (default 1: on)
    ZOO_SERVE_KEEP_ALIVE       seconds an idle connection stays open (default 5)
    ZOO_SERVE_BODY_TIMEOUT     seconds for a request body to arrive   (default 10)    -> 408
    ZOO_SERVE_DRAIN            seconds requests in flight get to finish after SIGTERM (default 30)

Texts longer than the limit are rejected, not truncated: a cut review could
flip its label without the client knowing. (Within the limit, a classifier
reads at most its recipe's sequence length in words, as in training.)
"""

import dataclasses
import os


@dataclasses.dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 1 << 20
    max_texts: int = 64
    max_text_chars: int = 5000
    max_length: int = 2000
    max_temperature: float = 5.0
    max_beam_size: int = 8
    max_steps: int = 512
    batching: bool = True
    max_batch_size: int = 256
    compile_when_idle: bool = True
    workers: int = 1
    threads: int = 2
    queue: int = 16
    queue_timeout: float = 10.0
    deadline: float = 30.0
    max_translate_work: int = 1024
    access_log: bool = True
    keep_alive: int = 5
    body_timeout: float = 10.0
    drain: int = 30

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.type is not bool and value <= 0:
                raise ValueError(f"{field.name} must be positive, got {value} "
                                 f"(--{field.name.replace('_', '-')}, ZOO_SERVE_{field.name.upper()})")

    @classmethod
    def from_env(cls, environ=os.environ):
        """The limits with every ``ZOO_SERVE_<FIELD>`` variable applied; a bad value
        fails with the variable's name."""
        values = {}
        for field in dataclasses.fields(cls):
            variable = "ZOO_SERVE_" + field.name.upper()
            if variable not in environ:
                continue
            raw = environ[variable]
            try:
                if field.type is bool:
                    value = {"1": True, "true": True, "on": True, "0": False, "false": False,
                             "off": False}[raw.strip().lower()]
                else:
                    value = field.type(raw)
            except (KeyError, ValueError):
                raise ValueError(f"{variable}={raw!r} is not a valid {field.type.__name__}") from None
            values[field.name] = value
        return cls(**values)

    def environ(self):
        """These limits as ``ZOO_SERVE_*`` variables (for a server subprocess)."""
        return {"ZOO_SERVE_" + k.upper(): str(int(v) if isinstance(v, bool) else v)
                for k, v in dataclasses.asdict(self).items()}
