"""Every URL of the app, for every role: what each may open, and 404 (never data) outside one's scope.

The table below must name every URL pattern the project has: a new page without a row fails
`test_it_has_a_row_for_every_url`, so nobody adds a page without deciding who may open it.

The world (tests/conftest.py): alice is an officer of Phòng VH-XH of Phường Thử Một and owns the card, task and
evidence below; bob reviews and charlie leads that ward; dave (officer) and erin (leader) belong to the other
ward; root is a superuser. The card has been sent (state "Đã nộp"), so review actions apply to it.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kpi.scoring import Result
from kpi.services import EntryInput, scorecard_get_or_create, scorecard_submit, scorecard_update_entries
from tasks.services import evidence_upload
from tests.factories import TaskFactory, UserFactory
from tests.kpi_helpers import settle

ROLES = ["anon", "alice", "dave", "bob", "charlie", "erin", "root"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
L = 302  # sent to the sign-in page (anonymous) or elsewhere after an action
NO_JOB = "00000000-0000-4000-8000-000000000000"
BUNDLE = {"ward": "ward", "month": "2026-03"}


def row(name, args, method="get", data=None, **expected):
    """`expected` lists a status per role; roles not named get the `others` status."""
    others = expected.pop("others", None)
    statuses = {role: expected.get(role, others) for role in ROLES}
    assert None not in statuses.values(), f"{name}: every role needs an expected status"
    return pytest.param(name, args, method, data or {}, statuses, id=f"{name}-{'-'.join(map(str, args))}")


# (url name, args by the objects' names, method, data, expected status per role)
TABLE = [
    row("home", [], anon=L, others=200),
    row("task", ["task"], anon=L, dave=404, erin=404, others=200),
    # Only a unit's own staff assess; root has no unit, dave's ward has no rubric; a future month is 404.
    row("self_assessment", ["2026-03"], anon=L, alice=L, dave=404, root=404, others=403),
    row("self_assessment", ["2099-01"], anon=L, dave=404, root=404, alice=404, others=403),
    row("self_assessment", ["2026-03"], "post", anon=L, alice=L, dave=404, root=404, others=403),
    row("scorecard", ["card"], anon=L, dave=404, erin=404, others=200),
    row("scorecard_history", ["card"], anon=L, dave=404, erin=404, others=200),
    row("review", ["card"], anon=L, alice=403, dave=403, charlie=403, erin=403, bob=200, root=200),
    row(
        "score_preview",
        ["card"],
        "post",
        anon=L,
        alice=403,
        dave=404,
        charlie=403,
        erin=404,
        bob=200,
        root=200,
    ),
    # Officers may do none of these: refused by role before the card is looked up.
    row("scorecard_action", ["card", "return"], "post", anon=L, alice=403, dave=403, erin=404, others=L),
    row(
        "scorecard_action",
        ["card", "approve"],
        "post",
        anon=L,
        alice=403,
        bob=403,
        dave=403,
        erin=404,
        others=L,
    ),
    row(
        "scorecard_action",
        ["card", "reopen"],
        "post",
        anon=L,
        alice=403,
        bob=403,
        dave=403,
        erin=404,
        others=L,
    ),
    row(
        "scorecard_action",
        ["card", "reviewed"],
        "post",
        anon=L,
        alice=403,
        charlie=403,
        dave=403,
        erin=404,
        others=L,
    ),
    row("scorecard_action", ["card", "unknown"], "post", anon=L, alice=403, dave=403, others=404),
    # The card has been sent: nobody attaches evidence to it now.
    row("scorecard_evidence", ["card"], "post", anon=L, dave=404, others=403),
    row("scorecard_move", ["card"], "post", anon=L, dave=404, erin=404, others=L),
    row("review_queue", [], anon=L, alice=403, dave=403, others=200),
    row("approve_many", [], "post", {"card": "card"}, anon=L, alice=403, dave=403, bob=403, others=L),
    row("evidence_download", ["evidence"], anon=L, dave=404, erin=404, others=200),
    row("evidence_remove", ["evidence"], anon=L, dave=404, erin=404, others=200),  # the confirmation
    row("evidence_remove", ["evidence"], "post", anon=L, dave=404, erin=404, others=L),
    row("healthz", [], others=200),  # for the load balancer: no sign-in, no personal data
    row("login", [], anon=200, others=L),
    row("logout", [], "post", others=L),
    row("password_change", [], anon=L, others=200),
    row("password_change_done", [], anon=L, others=200),
    row("reports:scorecard", ["card", "xlsx"], anon=L, dave=404, erin=404, others=200),
    row("reports:scorecard", ["card", "pdf"], anon=L, dave=404, erin=404, others=200),
    row(
        "reports:ward_summary", ["ward", "2026-03", "xlsx"], anon=L, alice=403, dave=403, erin=404, others=200
    ),
    row(
        "reports:quarter_report", ["plan", 2026, 1, "xlsx"], anon=L, alice=403, dave=403, erin=404, others=200
    ),
    row("dashboard", [], anon=L, alice=403, dave=403, root=L, others=200),  # root has no ward: the city
    row("city_dashboard", [], anon=L, alice=403, dave=403, others=200),
    row("dashboard_tasks", ["plan"], anon=L, alice=403, dave=403, erin=404, others=200),
    row("admin:index", [], anon=L, root=200, others=L),
    # Notifications and background jobs (issue #15): one's own notifications only (none has this id); the
    # bundle and "Nhắc nộp" act on the ward in scope; a job nobody may see is a 404 like any object.
    row("notifications", [], anon=L, others=200),
    row("notification", [999999], anon=L, others=404),
    row("notifications_read", [], "post", anon=L, others=L),
    row("notification_preferences", [], anon=L, others=200),
    row("submit_nudge", [], "post", {"all": "1", "month": "2026-03"}, anon=L, bob=L, root=L, others=403),
    row("bundle_start", [], "post", BUNDLE, anon=L, alice=403, dave=403, erin=404, others=L),
    row("job", [NO_JOB], anon=L, others=404),
    row("job_download", [NO_JOB], anon=L, others=404),
]
# Pages whose rows live elsewhere: the admin's own pages check staff permissions per model (tests/test_admin*).
COVERED_ELSEWHERE = {"admin"}


@pytest.fixture
def objects(world, rubric, plan, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    task = TaskFactory(plan=plan)
    task.lead_units.add(world.vhxh)
    [evidence] = evidence_upload(unit=world.vhxh, by=people.alice, task=task,
                                 files=[SimpleUploadedFile("bien-ban.pdf", PDF)])  # fmt: skip
    card = scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=date(2026, 3, 1))
    card = scorecard_update_entries(scorecard=card, by=people.alice, version=card.version,
                                    entries={"1.1": EntryInput(Result.DONE, evidence_ids=[evidence.pk])})  # fmt: skip
    card = settle(card, by=people.alice)
    scorecard_submit(
        scorecard=card, by=people.alice, at=datetime(2026, 4, 2, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    )
    users = {name: getattr(people, name) for name in ["alice", "dave", "bob", "charlie", "erin"]}
    users["root"] = UserFactory(username="root", is_superuser=True, is_staff=True)
    return {
        "card": card.pk,
        "task": task.pk,
        "evidence": evidence.pk,
        "ward": world.ward.code,
        "plan": plan.pk,
    }, users


@pytest.mark.parametrize("name, args, method, data, statuses", TABLE)
def test_it_answers_each_role_as_the_table_says(objects, name, args, method, data, statuses):
    from django.db import transaction
    from django.test import Client

    names, users = objects
    url = reverse(name, args=[names.get(a, a) if isinstance(a, str) else a for a in args])
    payload = {key: names.get(value, value) for key, value in data.items()}
    answers = {}
    for role in ROLES:
        # Each role meets the world as the fixture made it: what an earlier role's request changed (a card
        # returned, evidence removed) is rolled back before the next one asks.
        with transaction.atomic():
            client = Client()
            if role != "anon":
                client.force_login(users[role])
            response = getattr(client, method)(url, payload)
            answers[role] = response.status_code
            if response.status_code in (403, 404):
                # Refusals say nothing about what is behind them.
                assert b"Ph\xc3\xb2ng V\xc4\x83n h\xc3\xb3a" not in response.content, (role, url)
                # …and say so in Vietnamese.
                title = "Không tìm thấy trang" if response.status_code == 404 else "Không có quyền"
                assert title in response.content.decode(), (role, url)
            if role == "anon" and response.status_code == L:
                assert "/dang-nhap/" in response.url or "/admin/login/" in response.url
            transaction.set_rollback(True)
    assert answers == statuses, f"{method.upper()} {url}"


def _names(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _names(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name


def test_it_has_a_row_for_every_url():
    tabled = {param.values[0] for param in TABLE}
    missing = {
        name for name in _names(get_resolver().url_patterns)
        if name not in tabled and name.split(":")[0] not in COVERED_ELSEWHERE
    }  # fmt: skip
    assert not missing, f"URLs without a row in the access table: {sorted(missing)}"


# Who each signed-in name is, by role (tests/conftest.py `people`; root is a superuser).
ROLE_OF = {"alice": "officer", "dave": "officer", "bob": "reviewer", "charlie": "leader", "erin": "leader"}
ROLE_OF["root"] = "admin"
# Django's own sign-in pages are for everyone, signed in or not.
UNDECLARED = {"login", "logout", "password_change", "password_change_done", "healthz"}


def _views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _views(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name, pattern.callback


def test_it_declares_the_roles_of_every_view():
    undeclared = sorted(
        name
        for name, view in _views(get_resolver().url_patterns)
        if name not in UNDECLARED and name.split(":")[0] not in COVERED_ELSEWHERE
        and not getattr(view, "required_roles", None)
    )  # fmt: skip
    assert not undeclared, f"views without @role_required: {undeclared}"


@pytest.mark.parametrize("name, args, method, data, statuses", TABLE)
def test_it_refuses_every_role_the_view_does_not_declare(name, args, method, data, statuses):
    """The table agrees with the views' own declarations: a role a view does not declare gets 403."""
    if name in UNDECLARED or name.split(":")[0] in COVERED_ELSEWHERE:
        pytest.skip("not a role-declared view")
    objects = {"card", "task", "evidence", "ward", "plan"}
    view = get_resolver().resolve(reverse(name, args=[1 if a in objects else a for a in args])).func
    declared = set(view.required_roles)
    for user, role in ROLE_OF.items():
        if role not in declared:
            assert statuses[user] == 403, f"{name}: {user} ({role}) is not declared, so must get 403"
