"""Request fields and responses of the HTTP API, with their limits.

Every check is a pydantic constraint, so a bad request is answered by BentoML
with 400 and ``{"error": ..., "detail": [{"loc": [field], "msg": ...}]}``: the
message names the field and the limit.
"""

import re
import typing as t

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

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

def _whole(value):
    """JSON Schema's integers include ``2.0``: a whole float is that integer (strings stay refused)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _nullable(schema):
    """``anyOf: [X, {"type": "null"}]`` as OpenAPI 3.0 (BentoML's version) says it: ``X`` + ``nullable``."""
    options = [option for option in schema.pop("anyOf") if option.get("type") != "null"]
    schema.update(options[0] if len(options) == 1 else {"anyOf": options})
    schema["nullable"] = True


Whole = BeforeValidator(_whole)

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
# The notes zoo.music.parse_chord reads within the piano's range (MIDI 21..108), exactly: a MIDI number,
# or a name with an octave: any in octaves 1-6; octave 0 from A0 (and G##0); octave 7 but B##7; octave 8
# up to C8 (and Dbb8).
_ACC = "(?:##|#|bb|b|--|-|\u266f|\u266d)?"
_NOTE = (f"(?:0*(?:2[1-9]|[3-9][0-9]|10[0-8])"
         f"|[A-Ga-g]{_ACC}0*[1-6]"
         f"|(?:(?:[Aa](?:##|#|\u266f)|[Bb](?:##|#|bb|b|--|-|\u266f|\u266d)|[Gg]##)-?|[AaBb])0+"
         f"|(?:[A-Ga-g]{_ACC}(?<![Bb]##)(?<![Bb]#)|[Bb]#?)0*7"
         f"|(?:[Cc](?:bb|b|--|-|\u266d)?|[Dd](?:bb|--))0*8)")
CHORD_PATTERN = f"^[\\s,]*{_NOTE}(?:[\\s,]+{_NOTE})*[\\s,]*$"
# Declared in the schema, checked by parse_chord (whose messages name the note and the range).
Pitch = t.Annotated[int, Field(strict=True, json_schema_extra={"minimum": 21, "maximum": 108})]

FirstChord = t.Annotated[t.Optional[t.Union[t.Annotated[str, Field(json_schema_extra={"pattern": CHORD_PATTERN})],
                                            t.Annotated[list[Pitch], Field(json_schema_extra={"minItems": 1})]]],
                         AfterValidator(_chord), Field(
    description="the piece's first chord: note names with octaves (\"C4 E4 G4\", F#3, Bb5) or MIDI "
                "numbers 21..108 (the piano's keys); null: a C major triad", json_schema_extra=_nullable)]
Steps = t.Annotated[int, Field(ge=1, le=LIMITS.max_steps, strict=True,
                               description="chords in the piece, the first one included"), Whole]
Length = t.Annotated[int, Field(ge=0, le=LIMITS.max_length, strict=True,
                                description="characters to generate after the prompt"), Whole]
Temperature = t.Annotated[float, Field(ge=0, le=LIMITS.max_temperature, strict=True,
                                       description="softmax temperature; 0 takes the most likely character")]
BeamSize = t.Annotated[int, Field(ge=1, le=LIMITS.max_beam_size, strict=True,
                                  description="beam width; 1 is greedy decoding"), Whole]
Seed = t.Annotated[t.Optional[t.Annotated[int, Field(ge=0, le=2**63 - 1, strict=True), Whole]], Field(
    json_schema_extra=_nullable, description="same seed, same text; null: a fresh draw")]


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
    loading: list[str] = Field(
        default_factory=list, description="aliases whose models are still loading after start-up (each "
                                          "route's default is loaded before ready; a request for one of "
                                          "these waits for it)")
