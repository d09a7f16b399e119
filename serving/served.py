"""Which models a server serves, by alias.

``zoo serve --model ALIAS=MODEL ...`` puts each MODEL in the BentoML model
store (``zoo.store``) and hands the server ``ALIAS=TAG`` pairs, in the
``ZOO_SERVE_MODELS`` variable or the Bento argument ``models``
(``bentoml build --arg models=lid=langid:latest``, kept in the Bento). With
neither, the server serves the shipped zoo, each entry under its own name.

>>> parse("lid=langid:latest, imdb=imdb-lstm:abc")
{'lid': 'langid:latest', 'imdb': 'imdb-lstm:abc'}
>>> parse("nonsense")
Traceback (most recent call last):
...
ValueError: 'nonsense' is not ALIAS=MODEL
"""

import os
import re

VARIABLE = "ZOO_SERVE_MODELS"
ALIAS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def parse(spec):
    """``{alias: model}`` of ``"ALIAS=MODEL[,ALIAS=MODEL...]"`` (or of an iterable of pairs)."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    served = {}
    for item in (i.strip() for i in items):
        if not item:
            continue
        alias, equal, model = item.partition("=")
        alias, model = alias.strip(), model.strip()
        if not equal or not model:
            raise ValueError(f"{item!r} is not ALIAS=MODEL")
        if not ALIAS.match(alias):
            raise ValueError(f"alias {alias!r}: use letters, digits, '-', '_' and '.', starting with a letter or digit")
        if alias in served:
            raise ValueError(f"alias {alias!r} is given twice")
        served[alias] = model
    return served


def spec(served):
    """The ``ALIAS=TAG,...`` text of ``{alias: tag}``."""
    return ",".join(f"{alias}={tag}" for alias, tag in served.items())


def requested():
    """``{alias: store tag}`` asked for by the Bento argument or the variable, else ``None``."""
    try:
        import bentoml

        value = getattr(bentoml.use_arguments(), "models", None)
    except (ImportError, AttributeError):
        value = None
    value = value or os.environ.get(VARIABLE)
    return parse(value) if value else None


def served():
    """``{alias: MODEL}`` this server serves: the requested store tags, else the shipped zoo."""
    from zoo import registry

    return requested() or {name: name for name in registry.list_models()}
