"""The Content-Security-Policy (django-csp): scripts and styles only from this site, nothing from elsewhere.

No page has an inline script or an on… handler (the live total is static/js/score-preview.js), so a script
injected into a comment or a file name cannot run even if an escape were ever missed. Two exceptions, both for
styles only, and both narrow:

- `style="…"` attributes (style-src-attr 'unsafe-inline'): a handful of kpi/report templates still set a
  width or a colour inline; the UI redesign moves them into static/css/app.css, and then this goes. An
  attribute can only restyle the page, never run code.
- the error pages' one <style> element (error_base.html), allowed by its SHA-256 rather than by
  'unsafe-inline': those pages must render without static files (config/views.py), and a hash allows exactly
  that text and no other <style> someone could inject.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from csp.constants import NONE, SELF, UNSAFE_INLINE

STYLE_ELEMENT = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def inline_style_hashes(*templates: Path) -> list[str]:
    """'sha256-…' of every <style> element of these templates, as the browser hashes it (the exact text
    between the tags): editing the style changes the hash with it, with nothing to keep in step by hand. The
    templates must not put template tags inside <style>, or the rendered text would differ."""
    hashes = []
    for template in templates:
        for css in STYLE_ELEMENT.findall(template.read_text(encoding="utf-8")):
            digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
            hashes.append(f"'sha256-{digest}'")
    return hashes


def content_security_policy(templates_dir: Path) -> dict:
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF],
            "style-src": [SELF],
            "style-src-elem": [SELF, *inline_style_hashes(templates_dir / "error_base.html")],
            "style-src-attr": [UNSAFE_INLINE],
            # data: for the empty favicon (<link rel="icon" href="data:,">) that spares a 404 on every page.
            "img-src": [SELF, "data:"],
            "object-src": [NONE],
            "frame-ancestors": [NONE],
            "base-uri": [SELF],
            "form-action": [SELF],
        }
    }
