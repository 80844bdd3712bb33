"""The one way documents become PDF: WeasyPrint, one font configuration, no network.

Liberation Serif (fonts-liberation2) is metric-compatible with Times New Roman, which NĐ 30/2020 prescribes,
and covers Vietnamese; WeasyPrint embeds the subset it uses.
"""

from __future__ import annotations

from functools import lru_cache

from django.template.loader import render_to_string


class OfflineFetcher:
    """Refuse every URL: a document is rendered from its HTML and the system fonts, never from the network."""

    def __call__(self, url, *args, **kwargs):
        raise ValueError(f"Không tải tài nguyên ngoài khi dựng PDF: {url}")


@lru_cache(maxsize=1)
def font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=OfflineFetcher()).write_pdf(font_config=font_config())


def render_pdf(template: str, context: dict) -> bytes:
    return html_to_pdf(render_to_string(template, context))


def render_many(htmls: list[str]) -> list[bytes]:
    """A bundle worker's share: its documents one after the other with the one font configuration. Lives here,
    in a module that imports no models, because the worker processes never set Django up (reports.bundle)."""
    return [html_to_pdf(html) for html in htmls]
