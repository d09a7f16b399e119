"""The error body the OpenAPI document declares is the one the service sends.

BentoML declares the ``detail`` of its 400/404/500 answers a string, while a
refused field comes back as pydantic's list of errors, ``[{"loc": [...],
"msg": ..., "type": ...}, ...]`` (``serving/schemas.py``). ``declare_errors``
sets the declared schema to that list; run once, before the document is built.
"""

from bentoml._internal.service.openapi.specification import Schema
from bentoml._internal.service.openapi.utils import exception_components_schema

DETAIL = Schema(
    title="Error Detail", type="array", description="one entry per refused field",
    items=Schema(type="object", required=["loc", "msg", "type"], properties={
        "loc": Schema(type="array", description="the field, and the index within it",
                      items=Schema(anyOf=[Schema(type="string"), Schema(type="integer")])),
        "msg": Schema(type="string", description="what is wrong, naming the limit"),
        "type": Schema(type="string", description="the rule broken (pydantic's error type)"),
        "url": Schema(type="string")}))


def declare_errors():
    for schema in exception_components_schema().values():  # cached: the document's own objects
        schema.properties["detail"] = DETAIL
