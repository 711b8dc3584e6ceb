"""Every error the API gives is JSON `{"error", "detail"}` with the status that says what went wrong."""

from __future__ import annotations

from muselab.errors import BadInput, MuselabError, StoreError
from muselab.server.guard import TooLarge, Unauthorized, Unsupported
from muselab.server.runs import QueueFull, RunNotFound

STATUS = [(Unauthorized, 401), (RunNotFound, 404), (TooLarge, 413), (Unsupported, 415), (QueueFull, 429),
          (StoreError, 503), (BadInput, 400)]


def status_of(exc: MuselabError) -> int:
    if type(exc).__name__ == "WorkflowInvalid":
        return 422
    return next((code for cls, code in STATUS if isinstance(exc, cls)), 400)


def body(exc: MuselabError) -> dict:
    data = exc.to_dict()
    detail = data.get("errors") or data.get("detail") or []
    return {"error": str(exc), "detail": detail}


def install(app) -> None:
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException

    @app.exception_handler(MuselabError)
    async def muselab_error(request, exc: MuselabError):
        return JSONResponse(body(exc), status_code=status_of(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request, exc: RequestValidationError):
        detail = [{"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
                  for e in exc.errors()]
        first = detail[0] if detail else {"where": "", "message": "invalid request"}
        return JSONResponse({"error": f"{first['where']}: {first['message']}", "detail": detail}, status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request, exc: HTTPException):
        return JSONResponse({"error": str(exc.detail), "detail": []}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def internal(request, exc: Exception):  # a bug: one line, never a traceback
        return JSONResponse({"error": "internal error", "detail": [type(exc).__name__]}, status_code=500)
