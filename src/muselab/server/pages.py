"""The web page at / (plain HTML, CSS and a small script shipped in the package: no CDN, no build step)
and the OpenAPI page at /docs (Swagger UI's files from the swagger-ui-bundle package, served locally)."""

from __future__ import annotations

import importlib.util
from importlib.resources import files
from pathlib import Path

STATIC = files("muselab.server").joinpath("static")


def install(app) -> None:
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import FileResponse
    from fastapi.staticfiles import StaticFiles

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    swagger = _swagger_dir()
    if swagger is not None:
        app.mount("/docs-assets", StaticFiles(directory=str(swagger)), name="docs-assets")

    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(Path(str(STATIC)) / "index.html", media_type="text/html")

    @app.get("/docs", include_in_schema=False)
    def docs():
        if swagger is None:  # the page needs Swagger UI's files; the JSON is always there
            return FileResponse(Path(str(STATIC)) / "openapi.html", media_type="text/html")
        return get_swagger_ui_html(openapi_url="/openapi.json", title="muselab API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css", swagger_favicon_url="")


def _swagger_dir() -> Path | None:
    spec = importlib.util.find_spec("swagger_ui_bundle")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("vendor/swagger-ui-*"))
    return found[-1] if found else None
