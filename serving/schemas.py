"""Request fields and responses of the HTTP API, with their limits.

Every check is a pydantic constraint, so a bad request is answered by BentoML
with 400 and ``{"error": ..., "detail": [{"loc": [field], "msg": ...}]}``: the
message names the field and the limit.
"""

import re
import typing as t

from pydantic import AfterValidator, BaseModel, Field

from serving import served
from serving.limits import Limits
from zoo import kinds, registry

LIMITS = Limits.from_env()
SERVED = served.served()  # {alias: MODEL}, read once, at start-up
ENTRIES = {alias: registry.resolve(model) for alias, model in SERVED.items()}
_FOLDERS = re.compile(r"(?<![\w:/.~-])~?/(?:[^\s/'\"]+/)+")  # an absolute path's folders


def public(value):
    """A card as served: every absolute path in it cut to its last name (``/root/.cache/runs/x``
    -> ``x``), so ``/models`` tells nothing of the machine's folders; URLs and relative paths stay."""
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items()}
    if isinstance(value, list):
        return [public(v) for v in value]
    if isinstance(value, str) and "/" in value and "://" not in value:
        return _FOLDERS.sub("", value)
    return value


CARDS = {alias: {**public(entry.card), "alias": alias} for alias, entry in ENTRIES.items()}
DEFAULTS = {kind.route: kinds.best(CARDS, kind.name) for kind in kinds.KINDS.values()}


def _known(interface):
    names = [n for n, card in CARDS.items() if card["interface"] == interface]

    def check(name):
        if name not in names:
            raise ValueError(f"unknown {interface} {name!r}; served: {', '.join(names) or 'none'}")
        return name

    return names, check


CLASSIFIERS, _classifier = _known("classifier")
GENERATORS, _generator = _known("generator")
TRANSLATORS, _translator = _known("translator")
COMPOSERS, _composer = _known("composer")
DEFAULT_CLASSIFIER = DEFAULTS["classify"]
DEFAULT_GENERATOR = DEFAULTS["generate"]
DEFAULT_TRANSLATOR = DEFAULTS["translate"]
DEFAULT_COMPOSER = DEFAULTS["compose"]


def _chord(value):
    """A first chord as MIDI numbers (``"C4 E4 G4"``, ``"60 64 67"`` or ``[60, 64, 67]``)."""
    from zoo.music import parse_chord

    return None if value is None else parse_chord(value)

Text = t.Annotated[str, Field(min_length=1, max_length=LIMITS.max_text_chars)]
Texts = t.Annotated[list[Text], Field(
    min_length=1, max_length=LIMITS.max_texts,
    description=f"1 to {LIMITS.max_texts} non-empty strings of at most {LIMITS.max_text_chars} "
                "characters each (longer texts are rejected, not truncated)")]
Classifier = t.Annotated[str, AfterValidator(_classifier), Field(
    description=f"a served classifier: {', '.join(CLASSIFIERS) or 'none'}", json_schema_extra={"enum": CLASSIFIERS})]
Generator = t.Annotated[str, AfterValidator(_generator), Field(
    description=f"a served character model: {', '.join(GENERATORS) or 'none'}", json_schema_extra={"enum": GENERATORS})]
Translator = t.Annotated[str, AfterValidator(_translator), Field(
    description=f"a served translator: {', '.join(TRANSLATORS) or 'none'}", json_schema_extra={"enum": TRANSLATORS})]
Composer = t.Annotated[str, AfterValidator(_composer), Field(
    description=f"a served composer: {', '.join(COMPOSERS) or 'none'}", json_schema_extra={"enum": COMPOSERS})]
FirstChord = t.Annotated[t.Optional[t.Union[str, list[int]]], AfterValidator(_chord), Field(
    description="the piece's first chord: note names with octaves (\"C4 E4 G4\", F#3, Bb5) or MIDI "
                "numbers 21..108 (the piano's keys); null: a C major triad")]
Steps = t.Annotated[int, Field(ge=1, le=LIMITS.max_steps, strict=True,
                               description="chords in the piece, the first one included")]
Length = t.Annotated[int, Field(ge=0, le=LIMITS.max_length, strict=True,
                                description="characters to generate after the prompt")]
Temperature = t.Annotated[float, Field(ge=0, le=LIMITS.max_temperature, strict=True,
                                       description="softmax temperature; 0 takes the most likely character")]
BeamSize = t.Annotated[int, Field(ge=1, le=LIMITS.max_beam_size, strict=True,
                                  description="beam width; 1 is greedy decoding")]
Seed = t.Annotated[t.Optional[int], Field(ge=0, le=2**63 - 1, strict=True,
                                          description="same seed, same text; null: a fresh draw")]


class Classification(BaseModel):
    label: str = Field(description="the most likely label, named as in the model's training data "
                                   "(the shipped sentiment models: positive or negative)")
    score: float = Field(description="probability of the label")


class ClassifyResponse(BaseModel):
    results: list[Classification]


class GenerateResponse(BaseModel):
    text: str = Field(description="the prompt followed by the generated characters")


class TranslateResponse(BaseModel):
    translations: list[str]


class ComposeResponse(BaseModel):
    chords: list[list[int]] = Field(description="one chord per quarter note, as MIDI numbers")
    midi_base64: str = Field(description="the piece as a standard MIDI file, base64")


class ModelsResponse(BaseModel):
    defaults: dict[str, t.Optional[str]] = Field(description="the alias each route uses without `model`")
    models: list[dict[str, t.Any]] = Field(
        description="the served models' cards (as `zoo info MODEL`), each with its `alias`")
