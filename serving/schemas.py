"""Request fields and responses of the HTTP API, with their limits.

Every check is a pydantic constraint, so a bad request is answered by BentoML
with 400 and ``{"error": ..., "detail": [{"loc": [field], "msg": ...}]}``: the
message names the field and the limit.
"""

import typing as t

from pydantic import AfterValidator, BaseModel, Field

from serving.limits import Limits
from zoo import registry

LIMITS = Limits.from_env()
CARDS = {name: registry.card(name) for name in registry.list_models()}  # read once, at start-up


def _known(interface):
    names = [n for n, card in CARDS.items() if card["interface"] == interface]

    def check(name):
        if name not in names:
            raise ValueError(f"unknown {interface} {name!r}; known: {', '.join(names) or 'none shipped'}")
        return name

    return names, check


CLASSIFIERS, _classifier = _known("classifier")
GENERATORS, _generator = _known("generator")
TRANSLATORS, _translator = _known("translator")
DEFAULT_CLASSIFIER = registry.best_model("classifier")
DEFAULT_GENERATOR = registry.best_model("generator")
DEFAULT_TRANSLATOR = registry.best_model("translator")

Text = t.Annotated[str, Field(min_length=1, max_length=LIMITS.max_text_chars)]
Texts = t.Annotated[list[Text], Field(
    min_length=1, max_length=LIMITS.max_texts,
    description=f"1 to {LIMITS.max_texts} non-empty strings of at most {LIMITS.max_text_chars} "
                "characters each (longer texts are rejected, not truncated)")]
Classifier = t.Annotated[str, AfterValidator(_classifier), Field(
    description=f"a classifier of the zoo: {', '.join(CLASSIFIERS)}")]
Generator = t.Annotated[str, AfterValidator(_generator), Field(
    description=f"a character model of the zoo: {', '.join(GENERATORS)}")]
Translator = t.Annotated[str, AfterValidator(_translator), Field(
    description=f"a translator of the zoo: {', '.join(TRANSLATORS) or 'none shipped'}")]
Length = t.Annotated[int, Field(ge=0, le=LIMITS.max_length, strict=True,
                                description="characters to generate after the prompt")]
Temperature = t.Annotated[float, Field(ge=0, le=LIMITS.max_temperature,
                                       description="softmax temperature; 0 takes the most likely character")]
BeamSize = t.Annotated[int, Field(ge=1, le=LIMITS.max_beam_size, strict=True,
                                  description="beam width; 1 is greedy decoding")]
Seed = t.Annotated[t.Optional[int], Field(ge=0, le=2**63 - 1, description="same seed, same text")]


class Classification(BaseModel):
    label: t.Literal["positive", "negative"]
    score: float = Field(description="probability of the label (the positive probability or one minus it)")


class ClassifyResponse(BaseModel):
    results: list[Classification]


class GenerateResponse(BaseModel):
    text: str = Field(description="the prompt followed by the generated characters")


class TranslateResponse(BaseModel):
    translations: list[str]


class ModelsResponse(BaseModel):
    defaults: dict[str, t.Optional[str]]
    models: list[dict[str, t.Any]] = Field(description="the model cards (as `zoo info NAME`)")


def classification(probability):
    positive = probability >= 0.5
    return Classification(label="positive" if positive else "negative",
                          score=float(probability if positive else 1.0 - probability))
