"""The OpenAPI document says what the service does: its error body, its required bodies.

BentoML declares the ``detail`` of its 400/404/500 answers a string, while a
refused field comes back as pydantic's list of errors, ``[{"loc": [...],
"msg": ..., "type": ...}, ...]`` (``serving/schemas.py``). ``declare_errors``
sets the declared schema to that list; run once, before the document is built.
And a route with required fields declares its request body required
(``require_bodies``).
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


def require_bodies():
    """Declares the request body required on each route whose input has a
    required field (BentoML leaves every body optional, so an empty POST to
    ``/classify`` looked valid and got a 400). BentoML's method objects are
    read-only: the class's ``openapi_request`` is wrapped, once."""
    from _bentoml_sdk.method import APIMethod

    declared = APIMethod.openapi_request
    if getattr(declared, "requires_bodies", False):
        return

    def openapi_request(self):
        body = declared(self)
        if self.input_spec.model_json_schema().get("required"):
            body["required"] = True
        return body

    openapi_request.requires_bodies = True
    APIMethod.openapi_request = openapi_request
