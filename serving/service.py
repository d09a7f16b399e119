"""The HTTP service: the pretrained zoo behind BentoML.

    zoo serve                     # = bentoml serve serving.service:RnnZoo
    curl -s localhost:3000/classify -H 'content-type: application/json' \\
         -d '{"texts": ["a wonderful film"]}'

Endpoints (JSON in, JSON out; OpenAPI at ``/docs.json``, UI at ``/``):
``/classify`` (adaptive batching across concurrent requests), ``/generate``,
``/translate``, ``/models``; BentoML's ``/healthz``, ``/livez``, ``/readyz``
and ``/metrics``. Every model is loaded and run once before the server
reports ready. Limits: ``serving.limits``.
"""

import gc

import anyio
import bentoml
from pydantic import Field

import zoo
from serving.batching import Batcher
from serving.body_limit import BodySizeLimit
from serving.schemas import (CARDS, DEFAULT_CLASSIFIER, DEFAULT_GENERATOR, DEFAULT_TRANSLATOR, LIMITS,
                             BeamSize, Classifier, ClassifyResponse, GenerateResponse,
                             Generator, Length, ModelsResponse, Seed, Temperature, Text, Texts,
                             TranslateResponse, Translator, classification)

BATCH_SIZES = bentoml.metrics.Histogram(
    name="classify_batch_size", documentation="texts per /classify model call (adaptive batching)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512))
REVIEWS = ["a wonderful, moving film", "dull and far too long"]


@bentoml.service(name="rnn_zoo", workers=LIMITS.workers, threads=LIMITS.threads,
                 traffic={"timeout": 300, "max_concurrency": 1024},
                 logging={"access": {"enabled": LIMITS.access_log}})
class RnnZoo:
    """Sentiment, Shakespeare and English-to-Spanish recurrent models of the zoo."""

    def __init__(self):
        self.loaded = {name: zoo.load(name) for name in CARDS}
        for name, model in self.loaded.items():  # trace every graph before /readyz says yes
            interface = CARDS[name]["interface"]
            if interface == "classifier":
                model.predict(REVIEWS)
            elif interface == "generator":
                model.generate("The", 2, seed=0)
            else:
                model.translate(["Hello."], beam_size=1)
                model.translate(["Hello."], beam_size=2)
        self.batcher = Batcher(self._classify, LIMITS.max_batch_size, BATCH_SIZES.observe)
        # TensorFlow and the models are millions of long-lived Python objects: keep
        # them out of the garbage collector's full passes (each took up to ~0.3 s
        # under load, the p99 of /classify).
        gc.collect()
        gc.freeze()

    @bentoml.api(route="/classify")
    async def classify(
        self,
        texts: Texts = Field(examples=[REVIEWS]),
        model: Classifier = Field(DEFAULT_CLASSIFIER, examples=[DEFAULT_CLASSIFIER]),
    ) -> ClassifyResponse:
        """Sentiment of movie reviews: positive or negative, with the label's probability."""
        if LIMITS.batching:
            probabilities = await self.batcher(model, texts)
        else:
            probabilities = await anyio.to_thread.run_sync(self._classify, model, texts)
        return ClassifyResponse(results=[classification(p) for p in probabilities])

    def _classify(self, model, texts):
        return self.loaded[model].predict(texts).tolist()

    @bentoml.api(route="/generate")
    def generate(
        self,
        prompt: Text = Field(examples=["ROMEO:"]),
        length: Length = 200,
        temperature: Temperature = 0.8,
        seed: Seed = Field(None, examples=[0]),
        model: Generator = Field(DEFAULT_GENERATOR, examples=[DEFAULT_GENERATOR]),
    ) -> GenerateResponse:
        """Continues a prompt character by character, carrying the recurrent state."""
        return GenerateResponse(text=self.loaded[model].generate(prompt, length, temperature, seed))

    @bentoml.api(route="/translate")
    def translate(
        self,
        texts: Texts = Field(examples=[["I love you.", "Where is the station?"]]),
        beam_size: BeamSize = 1,
        model: Translator = Field(DEFAULT_TRANSLATOR, examples=[DEFAULT_TRANSLATOR]),
    ) -> TranslateResponse:
        """English to Spanish."""
        if model is None:
            raise bentoml.exceptions.NotFound("no translator is shipped with this installation")
        return TranslateResponse(translations=self.loaded[model].translate(texts, beam_size=beam_size))

    @bentoml.api(route="/models")
    def models(self) -> ModelsResponse:
        """The model cards of the zoo and the default model of each task."""
        return ModelsResponse(
            defaults={"classify": DEFAULT_CLASSIFIER, "generate": DEFAULT_GENERATOR,
                      "translate": DEFAULT_TRANSLATOR},
            models=list(CARDS.values()))


RnnZoo.add_asgi_middleware(BodySizeLimit, max_bytes=LIMITS.max_body_bytes)
