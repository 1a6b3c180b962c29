"""HTML to PDF with WeasyPrint, and the Jinja2 templates documents are written in.

Documents are rendered from our own templates filled with business data, and that data comes
from people (notes, findings, names). Two rules keep it from reaching anything else:

- Templates autoescape, so text from a field is text, never markup.
- The URL fetcher allows `data:` URLs only. Images a document needs (a signature, a logo) are
  embedded as `data:` URLs; anything else — `file://` above all, but also http(s), whose
  fetches could probe the internal network — is refused, and WeasyPrint leaves the resource
  out (an image, stylesheet, font or attachment simply does not appear) and carries on.

Rendering takes a CPU core for a few hundred milliseconds; `render_pdf_async` runs it in a
worker thread so that an event loop keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import jinja2

ALLOWED_SCHEMES = frozenset({"data"})


@cache
def _data_only_fetcher_class() -> type[Any]:
    # WeasyPrint is imported on first use, not with this module: loading it (cffi, Pango) takes
    # a second or more, which every CLI command, worker and app start would pay otherwise.
    from weasyprint.urls import URLFetcher

    class DataOnlyFetcher(URLFetcher):  # type: ignore[misc]
        """WeasyPrint's fetcher restricted to `data:` URLs (no files, no network, no redirects)."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=ALLOWED_SCHEMES, allow_redirects=False, fail_on_errors=False)

        def fetch(self, url: str, headers: Any = None) -> Any:
            # WeasyPrint checks `allowed_protocols` itself; this check does not depend on that.
            if not url.lower().startswith("data:"):
                raise ValueError(f"only data: URLs may be fetched, not {url[:60]!r}")
            return super().fetch(url, headers)

    return DataOnlyFetcher


def data_only_fetcher() -> Any:
    """A WeasyPrint URL fetcher (`weasyprint.urls.URLFetcher`) that serves `data:` URLs only."""
    return _data_only_fetcher_class()()


def data_url(content: bytes, content_type: str) -> str:
    """A `data:` URL for embedding an image (e.g. a signature PNG) in a document."""
    return f"data:{content_type};base64,{base64.b64encode(content).decode('ascii')}"


def render_pdf(html: str, *, stylesheets: Sequence[str] = ()) -> bytes:
    """The PDF of `html` (plus CSS given as strings); external resources other than `data:` are dropped."""
    from weasyprint import CSS, HTML

    fetcher = data_only_fetcher()
    # No base URL: a relative reference resolves to nothing, so it cannot point at the disk.
    document = HTML(string=html, base_url=None, url_fetcher=fetcher)
    styles = [CSS(string=css, url_fetcher=fetcher) for css in stylesheets]
    pdf: bytes = document.write_pdf(stylesheets=styles)
    return pdf


async def render_pdf_async(html: str, *, stylesheets: Sequence[str] = ()) -> bytes:
    return await asyncio.to_thread(render_pdf, html, stylesheets=stylesheets)


@cache
def template_environment(package: str, folder: str = "templates") -> jinja2.Environment:
    """The Jinja2 environment of a package's `templates/` folder (HTML autoescaped, strict undefined).

    Cached per package: templates are compiled once per process."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, folder),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=jinja2.StrictUndefined,  # a misspelt field fails the render instead of printing nothing
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_template(package: str, name: str, context: Mapping[str, Any]) -> str:
    return template_environment(package).get_template(name).render(context)


def template_source(package: str, name: str) -> str:
    """A non-HTML file from the package's templates (e.g. its stylesheet), read as text."""
    loader = template_environment(package).loader
    assert loader is not None
    source, _, _ = loader.get_source(template_environment(package), name)
    return source
