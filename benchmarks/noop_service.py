"""A BentoML service that answers ``/classify`` without a model (not a test).

    bentoml serve benchmarks.noop_service:NoOp --port 3001    # from the repository root

The same request and response types as ``zoo serve``'s ``/classify`` and the
same BentoML settings (workers, threads, traffic), but every text gets the
label ``positive`` at 0.5, computed by nothing: what BentoML, HTTP and JSON
alone cost on this machine. ``benchmarks/serve_load.py`` runs it beside the
real service and prints the ratio of their rates.
"""

import bentoml
from pydantic import Field

from serving.schemas import DEFAULT_CLASSIFIER, LIMITS, Classification, Classifier, ClassifyResponse, Texts


@bentoml.service(name="noop", workers=LIMITS.workers, threads=LIMITS.threads,
                 traffic={"timeout": 300, "max_concurrency": 1024},
                 logging={"access": {"enabled": LIMITS.access_log}})
class NoOp:
    @bentoml.api(route="/classify")
    async def classify(self, texts: Texts, model: Classifier = Field(DEFAULT_CLASSIFIER)) -> ClassifyResponse:
        return ClassifyResponse(results=[Classification(label="positive", score=0.5) for _ in texts])
