"""core.pdf: only data: URLs reach a PDF; a file:// reference leaves nothing of the file behind."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import StreamObject
from weasyprint import HTML

from core.pdf import data_only_fetcher, data_url, render_pdf, render_template
from tests.integration.service_report_fixtures import signature_png

MARKER = "LEAKED-MARKER-7f3a"


@pytest.fixture
def secret_files(tmp_path: Path) -> dict[str, str]:
    """Files a hostile document would like to read: text, a stylesheet, an image, a font."""
    text = tmp_path / "secret.txt"
    text.write_text(f"{MARKER} the content of a private file\n")
    css = tmp_path / "secret.css"
    css.write_text(f'body::after {{ content: "{MARKER}"; }}\n')
    png = tmp_path / "secret.png"
    png.write_bytes(signature_png() + MARKER.encode())
    return {"text": text.as_uri(), "css": css.as_uri(), "png": png.as_uri()}


def hostile_html(files: dict[str, str], *, with_data_image: bool = True) -> str:
    data_image = f'<img src="{data_url(signature_png(), "image/png")}">' if with_data_image else ""
    return f"""<!doctype html><html><head>
      <link rel="stylesheet" href="{files["css"]}">
      <link rel="attachment" href="{files["text"]}" title="passwd">
      <style>
        @font-face {{ font-family: Stolen; src: url({files["text"]}); }}
        @import url({files["css"]});
        p {{ background: url({files["png"]}); }}
      </style></head>
      <body><p>Visible text</p>
        <img src="{files["png"]}"><img src="{files["text"]}"><object data="{files["text"]}"></object>
        <a rel="attachment" href="{files["text"]}">attach</a>
        {data_image}
      </body></html>"""


def everything_in(pdf: bytes) -> bytes:
    """The raw PDF plus every stream decompressed: where a leaked file would have to be."""
    reader = PdfReader(io.BytesIO(pdf))
    parts = [pdf]
    for number in range(1, int(reader.trailer["/Size"])):  # type: ignore[call-overload]
        try:
            obj = reader.get_object(number)
        except Exception:  # noqa: BLE001 - free object numbers
            continue
        if isinstance(obj, StreamObject):
            parts.append(obj.get_data())
    return b"\n".join(parts)


def test_the_default_fetcher_would_leak_the_files_so_this_test_can_see_a_leak(secret_files: dict[str, str]) -> None:
    leaky = HTML(string=hostile_html(secret_files, with_data_image=False)).write_pdf()
    reader = PdfReader(io.BytesIO(leaky))

    assert MARKER.encode() in everything_in(leaky) or MARKER in reader.pages[0].extract_text()
    assert reader.attachments  # the file came along as an attachment


def test_file_urls_as_image_stylesheet_font_and_attachment_are_left_out(secret_files: dict[str, str]) -> None:
    pdf = render_pdf(hostile_html(secret_files))

    reader = PdfReader(io.BytesIO(pdf))
    assert "Visible text" in reader.pages[0].extract_text()
    assert MARKER not in reader.pages[0].extract_text()
    assert MARKER.encode() not in everything_in(pdf)
    assert zlib.compress(MARKER.encode()) not in pdf
    assert not reader.attachments
    # Only the data: image is embedded; the file:// image, object and background are not.
    assert len(reader.pages[0].images) == 1


def test_a_stylesheet_given_to_the_renderer_cannot_fetch_files_either(secret_files: dict[str, str]) -> None:
    css = f"@import url({secret_files['css']}); p {{ background: url({secret_files['png']}); }}"

    pdf = render_pdf("<p>Hello</p>", stylesheets=[css])

    assert MARKER.encode() not in everything_in(pdf)
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 0


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "FILE:///etc/passwd", "http://127.0.0.1/", "https://example.com/x.png", "ftp://h/x"]
)
def test_the_fetcher_refuses_every_scheme_but_data(url: str) -> None:
    with pytest.raises(ValueError, match="only data: URLs"):
        data_only_fetcher().fetch(url)


def test_the_fetcher_serves_data_urls() -> None:
    response = data_only_fetcher().fetch(data_url(b"\x89PNG-bytes", "image/png"))

    assert response.read() == b"\x89PNG-bytes"


def test_templates_escape_what_they_print() -> None:
    html = render_template(
        "service_mgmt",
        "service_report.html",
        {"report": _minimal_report(findings='<img src="file:///etc/passwd">')},
    )

    assert '<img src="file:///etc/passwd">' not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html


def _minimal_report(findings: str) -> object:
    from service_mgmt.services.service_report import ReportData, TaskDone

    report = ReportData(
        number="WO-1",
        status="completed",
        service_type="repair",
        priority="P2",
        completed_at=None,
        time_zone="UTC",
        customer={"number": "C-1", "name": "ACME"},
        site={"name": "HQ", "address": ""},
        equipment=None,
        request=None,
        coverage=None,
    )
    report.tasks.append(TaskDone("Fix", "completed", "Erik", None, findings, None, None, []))
    return report
