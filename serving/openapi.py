"""The OpenAPI document says what the service does: its error bodies, its required bodies.

BentoML declares the ``detail`` of its 400/404/500 answers a string, while a
refused field comes back as pydantic's list of errors, ``[{"loc": [...],
"msg": ..., "type": ...}, ...]`` (``serving/schemas.py``). ``declare_errors``
sets the declared schema to that list, and declares on every route the answers
the service's own layers give (``REFUSALS``: 401, 408, 413, 415, 431, 503, 504,
each a JSON ``{"error", "field", "limit"}``); run once, before the document is
built. And a route with required fields declares its request body required
(``require_bodies``).
"""

from bentoml._internal.service.openapi.specification import MediaType, Response, Schema
from bentoml._internal.service.openapi.utils import exception_components_schema

DETAIL = Schema(
    title="Error Detail", type="array", description="one entry per refused field",
    items=Schema(type="object", required=["loc", "msg", "type"], properties={
        "loc": Schema(type="array", description="the field, and the index within it",
                      items=Schema(anyOf=[Schema(type="string"), Schema(type="integer")])),
        "msg": Schema(type="string", description="what is wrong, naming the limit"),
        "type": Schema(type="string", description="the rule broken (pydantic's error type)"),
        "url": Schema(type="string")}))


REFUSAL = Schema(
    title="Refusal", type="object", required=["error"], properties={
        "error": Schema(type="string", description="what was refused, naming the limit and its setting"),
        "field": Schema(description="the refused part of the request (a field, `body`, `headers`), or null"),
        "limit": Schema(description="the limit it broke, or null")})
REFUSALS = {
    401: "no valid `Authorization: Bearer KEY` (when the server requires an API key)",
    408: "the request body or head did not arrive in time",
    413: "the request body is over the size limit",
    415: "the body is not application/json (utf-8)",
    431: "too many headers, or too large",
    503: "the route is busy (its queue full, or no turn in time; see Retry-After), or the server is shutting down",
    504: "the work was not done within the request's deadline",
}


def declare_errors():
    for schema in exception_components_schema().values():  # cached: the document's own objects
        schema.properties["detail"] = DETAIL
    from _bentoml_sdk.service import openapi as document  # its error answers, given to every route

    for status, what in REFUSALS.items():
        document.error_responses.setdefault(status, Response(
            description=what, content={"application/json": MediaType(schema=REFUSAL)}))


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
