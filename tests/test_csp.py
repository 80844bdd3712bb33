"""The Content-Security-Policy: on every page the app answers (error pages included), the error pages' one
<style> allowed by its hash, and evidence served sandboxed. The browser's own view of it is in
tests/test_browser.py (no violation reported on the main pages)."""

import base64
import hashlib
import re
from datetime import date

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kpi.services import scorecard_get_or_create
from tasks.services import evidence_upload
from tests.factories import TaskFactory, UserFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MARCH = date(2026, 3, 1)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


def assert_site_policy(response, where):
    assert "Content-Security-Policy" in response, where
    directives = policy(response)
    assert directives["default-src"] == ["'self'"], where
    assert directives["script-src"] == ["'self'"], where  # no 'unsafe-inline', no nonce, no other origin
    assert directives["object-src"] == ["'none'"], where
    assert directives["frame-ancestors"] == ["'none'"], where
    assert directives["base-uri"] == ["'self'"] and directives["form-action"] == ["'self'"], where
    # Inline styles only as attributes; a <style> element only by the error pages' hash.
    assert directives["style-src"] == ["'self'"], where
    assert directives["style-src-attr"] == ["'unsafe-inline'"], where
    assert "'unsafe-inline'" not in directives["style-src-elem"], where
    assert not any("http" in value for values in directives.values() for value in values), where


@pytest.fixture
def site(world, rubric, plan, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    task = TaskFactory(plan=plan, content="Tổ chức sinh hoạt chuyên đề")
    task.lead_units.add(world.vhxh)
    card = scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=MARCH)
    (evidence,) = evidence_upload(
        unit=world.vhxh, by=people.alice, task=task, files=[SimpleUploadedFile("bien-ban.pdf", PDF)]
    )
    return task, card, evidence


def test_every_page_carries_the_policy(site, people, world):
    task, card, evidence = site
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    anonymous = Client()
    pages = {
        anonymous: [reverse("login"), reverse("healthz"), "/khong-co-trang-nay/"],
        people.alice: [
            reverse("home"),
            reverse("task", args=[task.pk]),
            reverse("self_assessment", args=["2026-03"]),
            reverse("scorecard", args=[card.pk]),
            reverse("password_change"),
            reverse("evidence_remove", args=[evidence.pk]),
        ],
        people.bob: [
            reverse("review_queue"),
            reverse("review", args=[card.pk]),
            reverse("scorecard_history", args=[card.pk]),
            reverse("dashboard"),
        ],
        admin: [reverse("admin:index"), reverse("admin:tasks_evidence_changelist"), reverse("admin:login")],
    }
    seen = 0
    for who, urls in pages.items():
        client = who if isinstance(who, Client) else Client()
        if not isinstance(who, Client):
            client.force_login(who)
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 302, 404), (url, response.status_code)
            assert_site_policy(response, url)
            seen += 1
    assert seen == 16


def test_the_refusals_answered_before_any_view_carry_it_too(db, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    too_large = Client().post(reverse("login"), data=b"x" * 2048, content_type="application/octet-stream")
    assert too_large.status_code == 413
    assert_site_policy(too_large, "413")
    csrf = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "a", "password": "b"})
    assert csrf.status_code == 403
    assert_site_policy(csrf, "403 CSRF")


def test_the_error_pages_style_is_allowed_by_its_hash_and_nothing_else_is(db, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    page = Client().post(reverse("login"), data=b"x" * 2048, content_type="application/octet-stream")
    styles = re.findall(r"<style>(.*?)</style>", page.content.decode(), re.DOTALL)
    assert len(styles) == 1
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert policy(page)["style-src-elem"] == ["'self'", f"'sha256-{digest}'"]
    # The hash is read from the template as the page renders it: editing the style keeps them in step.
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src-elem"][1] == f"'sha256-{digest}'"


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for template in (settings.BASE_DIR / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+\s*=", text):
            offenders.append(template.name)
        if "javascript:" in text:
            offenders.append(template.name)
    assert offenders == []


@pytest.mark.parametrize("inline", [True, False], ids=["shown", "downloaded"])
def test_evidence_is_served_sandboxed(site, people, inline):
    _, _, evidence = site
    client = Client()
    client.force_login(people.alice)
    url = reverse("evidence_download", args=[evidence.pk]) + ("?xem=1" if inline else "")
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline" if inline else "attachment")
    # The view's own policy, not the site's: the PDF gets an opaque origin without scripts.
    assert response["Content-Security-Policy"] == "sandbox"
