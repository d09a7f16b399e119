"""The HTTP service: the zoo's models behind BentoML.

    zoo serve                     # = bentoml serve serving.service:RnnZoo: the shipped zoo
    zoo serve --model lid=runs/langid --model imdb=imdb-lstm   # exactly these, by alias
    curl -s localhost:3000/classify -H 'content-type: application/json' \\
         -d '{"texts": ["a wonderful film"]}'

Endpoints (JSON in, JSON out; OpenAPI at ``/docs.json``; the web page at ``/ui``):
``/classify`` (adaptive batching across concurrent requests), ``/generate``,
``/translate``, ``/models``; BentoML's ``/healthz``, ``/livez``, ``/readyz``
and ``/metrics``. A request's ``model`` names a served alias (``serving.served``);
models given by alias come from the BentoML model store, referenced as the
service's ``BentoModel`` attributes, so ``bentoml build`` packs exactly them.
Each route's default model is loaded and run once before the server reports
ready, the other models right after, in a thread (a request for one waits
for it; ``/models`` lists them under ``loading`` until they are there).
Once every model is loaded, the classifiers' loops for small batches are
compiled while the server is idle (``serving.idle_compile``). Limits:
``serving.limits``.
"""

import gc
import logging
import threading

import anyio
import bentoml
from pydantic import Field, ValidationError
from starlette.responses import JSONResponse

import zoo
from serving import api_key, drain, error_log, idle_connections, lanes, openapi, served, ui
from serving.idle_compile import IdleCompiler, ModelCalls
from serving.batching import Batcher
from serving.body_limit import BodySizeLimit
from serving.strict_http import StrictHttp
from serving.schemas import (CARDS, ENTRIES, DEFAULT_CLASSIFIER, DEFAULT_COMPOSER, DEFAULT_GENERATOR,
                             DEFAULT_TRANSLATOR, DEFAULTS, LIMITS, SERVED, BeamSize, Classifier,
                             ClassifyResponse, ComposeResponse, Composer, FirstChord, GenerateResponse,
                             Generator, Length, ModelsResponse, Seed, Steps, Temperature, Text, Texts,
                             TranslateResponse, Translator)
from zoo import kinds


def _in_worker():
    """Whether this process is a BentoML worker (it serves), not the main
    process (which imports the service only to read its settings)."""
    from bentoml._internal.context import server_context

    return server_context.worker_index is not None


# Start-up creates millions of long-lived objects (TensorFlow, the models), and
# the garbage collector's passes over them took ~20% of it: off in a worker
# until every model is loaded, then those objects are frozen out of it.
if _in_worker():
    gc.disable()

BATCH_SIZES = bentoml.metrics.Histogram(
    name="classify_batch_size", documentation="texts per /classify model call (adaptive batching)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512))
MODEL_CALLS = ModelCalls()  # the idle compiler waits until none has run for a moment
LOOPS_COMPILED = bentoml.metrics.Counter(
    name="classify_loops_compiled", documentation="classifier batch shapes compiled while the server was idle")
REVIEWS = ["a wonderful, moving film", "dull and far too long"]
JSON_ROUTES = [f"/{kind.route}" for kind in kinds.KINDS.values()] + ["/models"]


error_log.install()  # a refused request: one INFO line, no traceback, no user text
drain.install(LIMITS.drain)  # SIGTERM: 503 to newcomers while requests in flight finish
idle_connections.install(LIMITS.body_timeout)  # a connection without a request head: 408
openapi.declare_errors()  # the 400 body's `detail` as sent: a list of refused fields
openapi.require_bodies()  # a route with required fields needs its body
STORED = served.requested() or {}  # {alias: store tag}; empty: the shipped zoo, from the package
CURVES = {alias: entry.folder / entry.card["curve"]  # the pictures of the page
          for alias, entry in ENTRIES.items() if entry.card.get("curve")}


def _refused(where, message):
    """A 400 like those of the request's schema: ``where`` a field or ``(field, index)``."""
    loc = where if isinstance(where, tuple) else (where,)
    error = message if isinstance(message, Exception) else ValueError(message)
    return ValidationError.from_exception_data("Input", [{"type": "value_error", "loc": loc, "input": None,
                                                          "ctx": {"error": error}}])


def _attribute(alias):
    return "model_" + "".join(c if c.isalnum() else "_" for c in alias)


class RnnZoo:
    """Recurrent models of the zoo: classifiers, character generators, translators."""

    def __init__(self):
        self.loaded = {}
        self.arrived = {alias: threading.Event() for alias in SERVED}
        # Each route's default model is loaded and run once before /readyz says
        # ready; the others follow in a thread, and a request for one of them
        # waits until it is there.
        defaults = [alias for alias in SERVED if alias in DEFAULTS.values()]
        for alias in defaults:
            self._load(alias)
        threading.Thread(target=self._load_rest, daemon=True, name="loading models",
                         args=([alias for alias in SERVED if alias not in defaults],)).start()
        self.batcher = Batcher(self._classify, LIMITS.max_batch_size, BATCH_SIZES.observe)
        self.lanes = {route: lanes.Lane(route, LIMITS.threads, LIMITS.queue, LIMITS.queue_timeout,
                                        LIMITS.deadline)
                      for route in ("/generate", "/translate", "/compose")}

    def _load(self, alias):
        try:
            source = getattr(self, _attribute(alias)).path if alias in STORED else SERVED[alias]
            model = zoo.load(source)
            kinds.get(CARDS[alias]["interface"]).warm_up(model)  # traced before its first request
            self.loaded[alias] = model
        finally:  # loaded or not: its requests wait no longer
            self.arrived[alias].set()

    def _load_rest(self, aliases):
        try:
            for alias in aliases:
                try:
                    self._load(alias)
                except Exception:  # noqa: BLE001 - logged; its requests fail, the others go on
                    logging.getLogger(__name__).exception("could not load the model %r", alias)
        finally:
            # TensorFlow and the models are millions of long-lived Python objects: keep
            # them out of the garbage collector's full passes (each took up to ~0.3 s
            # under load, the p99 of /classify).
            gc.collect()
            gc.freeze()
            gc.enable()
        if LIMITS.compile_when_idle:
            from zoo.models import COMPILED_ROWS  # TensorFlow's: imported in the worker only

            # the batches of up to COMPILED_ROWS texts, which would run Keras' loop (larger ones
            # are compiled on first use; all sizes to 256 took 2.3 times the memory here)
            IdleCompiler(self._classifiers, min(LIMITS.max_batch_size, COMPILED_ROWS), MODEL_CALLS.counts,
                         on_compiled=LOOPS_COMPILED.inc).start()

    def _classifiers(self):
        """The loaded classifiers, the default first."""
        aliases = sorted((alias for alias in self.loaded if CARDS[alias]["interface"] == "classifier"),
                         key=lambda alias: alias != DEFAULT_CLASSIFIER)
        return [self.loaded[alias] for alias in aliases]

    def _model(self, alias):
        """The loaded model of ``alias``, waiting for it if it is still loading (in a worker thread)."""
        self.arrived[alias].wait()
        if alias not in self.loaded:
            raise RuntimeError(f"the model {alias!r} could not be loaded (see the log)")
        return self.loaded[alias]

    @bentoml.api(route="/classify")
    async def classify(
        self,
        texts: Texts = Field(examples=[REVIEWS]),
        model: Classifier = Field(DEFAULT_CLASSIFIER, examples=[DEFAULT_CLASSIFIER]),
    ) -> ClassifyResponse:
        """The label of each text, with its probability (the shipped models: sentiment of movie reviews)."""
        if model is None:
            raise bentoml.exceptions.NotFound("no classifier is served")
        if LIMITS.batching:
            results = await self.batcher(model, texts)
        else:
            results = await anyio.to_thread.run_sync(self._classify, model, texts)
        return ClassifyResponse(results=results)

    def _classify(self, model, texts):
        with MODEL_CALLS():
            return kinds.KINDS["classifier"].answer(self._model(model), texts)["results"]

    @bentoml.api(route="/generate")
    async def generate(
        self,
        prompt: Text = Field(examples=["ROMEO:"]),
        length: Length = 200,
        temperature: Temperature = 0.8,
        seed: Seed = Field(None, examples=[0]),
        model: Generator = Field(DEFAULT_GENERATOR, examples=[DEFAULT_GENERATOR]),
    ) -> GenerateResponse:
        """Continues a prompt character by character, carrying the recurrent state."""
        if model is None:
            raise bentoml.exceptions.NotFound("no character model is served")
        share = (len(prompt) + length) / (LIMITS.max_text_chars + LIMITS.max_length)
        return await self._in_lane("/generate", share, GenerateResponse, kinds.KINDS["generator"].answer,
                                   model, prompt, length, temperature, seed)

    @bentoml.api(route="/translate")
    async def translate(
        self,
        texts: Texts = Field(examples=[["I love you.", "Where is the station?"]]),
        beam_size: BeamSize = 1,
        model: Translator = Field(DEFAULT_TRANSLATOR, examples=[DEFAULT_TRANSLATOR]),
    ) -> TranslateResponse:
        """Translates texts sentence by sentence (the shipped models: English to Spanish, the default;
        English to French; French to English). A sentence longer than the model reads (its card's
        limits.source_tokens_per_sentence) is refused with 400, and so is a request of more than
        max_translate_work sentences x beam width."""
        if model is None:
            raise bentoml.exceptions.NotFound("no translator is served")
        from zoo.translation import split_sentences  # TensorFlow's: imported in the worker only

        work = sum(len(split_sentences(text)) for text in texts) * beam_size
        if work > LIMITS.max_translate_work:
            raise _refused("texts", f"{work} sentences x beam width: over the limit of "
                                    f"{LIMITS.max_translate_work} a request (ZOO_SERVE_MAX_TRANSLATE_WORK)")
        try:
            return await self._in_lane("/translate", work / LIMITS.max_translate_work, TranslateResponse,
                                       kinds.KINDS["translator"].answer, model, texts, beam_size)
        except ValueError as error:  # zoo.models.SentenceTooLong: a 400 like every other refused field
            if not hasattr(error, "index"):
                raise
            raise _refused(("texts", error.index), error) from None

    @bentoml.api(route="/compose")
    async def compose(
        self,
        first_chord: FirstChord = Field(None, examples=["C4 E4 G4"]),
        steps: Steps = 64,
        temperature: Temperature = 1.0,
        seed: Seed = Field(None, examples=[0]),
        model: Composer = Field(DEFAULT_COMPOSER, examples=[DEFAULT_COMPOSER]),
    ) -> ComposeResponse:
        """Writes a piece from one chord, one chord per step, carrying the recurrent state (one-to-many)."""
        if model is None:
            raise bentoml.exceptions.NotFound("no composer is served")
        return await self._in_lane("/compose", steps / LIMITS.max_steps, ComposeResponse,
                                   kinds.KINDS["composer"].answer, model, first_chord, steps, temperature, seed)

    async def _in_lane(self, route, share, response, answer, alias, *args):
        """``response(**answer(model, *args))`` run in the route's lane, ``share`` being the request's
        cost over the largest allowed; a busy lane: 503 with Retry-After; past the deadline: 504."""
        try:
            result = await self.lanes[route].run(lambda: self._answer(answer, alias, *args), share=share)
            return response(**result)
        except lanes.Busy as busy:
            return JSONResponse({"error": str(busy), "field": None, "limit": LIMITS.queue}, status_code=503,
                                headers={"Retry-After": str(busy.retry_after)})
        except lanes.Late as late:
            return JSONResponse({"error": str(late), "field": None, "limit": late.seconds}, status_code=504)

    def _answer(self, answer, alias, *args):
        with MODEL_CALLS():
            return answer(self._model(alias), *args)

    @bentoml.api(route="/models")
    async def models(self) -> ModelsResponse:
        """The served models' cards, by alias, and the default alias of each route."""
        # async: answered on the event loop, never waiting for a thread that runs a model
        return ModelsResponse(defaults=DEFAULTS, models=list(CARDS.values()),
                              loading=[alias for alias, event in self.arrived.items() if not event.is_set()])


for _alias, _tag in STORED.items():  # the store entries this service needs (bentoml build packs them)
    setattr(RnnZoo, _attribute(_alias), bentoml.models.BentoModel(_tag))
RnnZoo = bentoml.service(name="rnn_zoo", workers=LIMITS.workers, threads=LIMITS.threads,
                         traffic={"timeout": 300, "max_concurrency": 1024},
                         logging={"access": {"enabled": LIMITS.access_log}})(RnnZoo)
RnnZoo.mount_asgi_app(ui.page(), path="/ui")
RnnZoo.mount_asgi_app(ui.Curves(CURVES), path="/curves")
RnnZoo.add_asgi_middleware(drain.Drain)
RnnZoo.add_asgi_middleware(ui.RootToPage)
RnnZoo.add_asgi_middleware(BodySizeLimit, max_bytes=LIMITS.max_body_bytes, timeout=LIMITS.body_timeout)
RnnZoo.add_asgi_middleware(StrictHttp, json_routes=JSON_ROUTES)
if api_key.configured():
    RnnZoo.add_asgi_middleware(api_key.ApiKey, key=api_key.configured(), protected=JSON_ROUTES)
