"""A refused request is one INFO line in the server's log, not an ERROR traceback.

BentoML logs every exception of an endpoint, a bad request's included, as
``ERROR Exception on /route [POST]`` with the whole traceback, which quotes the
request's values (a user's text). ``ClientErrors`` turns the records of 4xx
answers into one line naming the route, the status and, for validation
errors, each field with the rule it broke and its limit; never a value. Errors
that answer 5xx keep their traceback.
"""

import logging

LOGGER = "bentoml._internal.server.http_app"  # where BentoML's log_exception writes


def _status(error):
    """The 4xx status a request's ``error`` is answered with, or ``None``."""
    from bentoml.exceptions import BentoMLException
    from pydantic import ValidationError

    if isinstance(error, ValidationError):
        return 400
    if isinstance(error, BentoMLException) and error.error_code.value < 500:
        return error.error_code.value
    return None


def _fields(error):
    """``length: less_than_equal (le=2000)``, one per broken rule, or the error's kind."""
    from pydantic import ValidationError

    if not isinstance(error, ValidationError):
        return type(error).__name__
    parts = []
    for detail in error.errors(include_input=False, include_url=False):
        limits = ", ".join(f"{k}={v}" for k, v in (detail.get("ctx") or {}).items() if k != "error")
        where = ".".join(str(part) for part in detail["loc"]) or "body"
        parts.append(f"{where}: {detail['type']}" + (f" ({limits})" if limits else ""))
    return "; ".join(parts)


class ClientErrors(logging.Filter):
    def filter(self, record):
        error = record.exc_info[1] if record.exc_info else None
        status = _status(error) if error is not None else None
        if status is not None:
            route = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = "%s answered %d: %s", (route, status, _fields(error))
            record.exc_info = record.exc_text = None
        return True


def install():
    """Adds the filter to BentoML's endpoint logger (once)."""
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(f, ClientErrors) for f in logger.filters):
        logger.addFilter(ClientErrors())
