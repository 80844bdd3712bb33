"""The officer → reviewer → leader flow in a real browser: Playwright drives Debian's chromium (installed by the
Makefile, never downloaded) against the live test server."""

import os
import shutil
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import TaskFactory
from tests.kpi_helpers import settle

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Không thấy Chromium ở {CHROMIUM}: chạy `make test` (cài gói chromium của Debian).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the ORM calls made by the tests between
    # browser steps are ordinary synchronous calls and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def flow(world, rubric, plan, people, settings, tmp_path, live_server):
    settings.MEDIA_ROOT = tmp_path
    task = TaskFactory(plan=plan, content="Tổ chức sinh hoạt chuyên đề học tập suốt đời")
    task.lead_units.add(world.vhxh)
    return task


# What the browser says when the Content-Security-Policy blocks something: a console error naming the policy.
# Every page a test opens is watched, so each step of the flow also checks that the policy broke nothing.
CSP_ERRORS: dict[int, list[str]] = {}


def watch_csp(page) -> list[str]:
    errors = CSP_ERRORS.setdefault(id(page), [])

    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            errors.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return errors


def sign_in(browser, live_server, username, *, width=375):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="vi-VN")
    page = context.new_page()
    watch_csp(page)
    page.set_default_timeout(15_000)
    page.goto(live_server.url + reverse("login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "password")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + reverse("home"))
    return page


def message(page) -> str:
    return page.locator("ul.messages").inner_text()


def submit(page):
    """ "Nộp phiếu…" opens the confirmation (what is missing, what sending means); its button sends."""
    page.click("summary:has-text('Nộp phiếu')")
    page.click("button[name=submit]")


def test_it_carries_a_month_from_the_officer_to_the_leader(browser, flow, live_server, people, tmp_path):
    from kpi.models import Scorecard
    from tasks.models import Evidence

    url = live_server.url
    # The officer, on a phone: evidence from the task page…
    alice = sign_in(browser, live_server, "alice")
    assert "Việc của tôi — Phòng Văn hóa - Xã hội" in alice.inner_text("h1")
    alice.click("text=Tổ chức sinh hoạt chuyên đề")
    upload = tmp_path / "bien-ban.pdf"
    upload.write_bytes(PDF)
    alice.set_input_files("input[name=e-files]", str(upload))
    alice.fill("input[name=e-doc_number]", "15/BB-VHXH")
    alice.click("button[name=evidence]")
    assert "Đã thêm 1 minh chứng." in message(alice)
    evidence = Evidence.objects.get()

    # …then the month's self-assessment: the total follows what is chosen before anything is saved.
    alice.goto(url + reverse("self_assessment", args=["2026-03"]))
    assert not Scorecard.objects.exists()  # opening the month makes no card…
    alice.click("button:has-text('Lập phiếu tháng 03/2026')")  # …its first save does
    card = Scorecard.objects.get(unit=evidence.unit)
    e11 = card.entries.get(criterion__code="1.1")
    # Work that did not arise this month, marked as the unit would (every result is someone's choice).
    settle(card, by=people.alice, keep=["1.1"])
    alice.reload()
    with alice.expect_response(lambda r: "tinh-diem" in r.url):
        alice.locator(f"#tieu-chi-{e11.pk} label.choice:has-text('Hoàn thành')").first.click()
    # 1.1 done (3,75) of 1.1 and 7.1 still "Chưa chấm" (2,50): 60,00.
    alice.wait_for_function("document.querySelector('[data-total]').textContent.trim() === '60,00'")
    assert card.entries.get(pk=e11.pk).result == "not_assessed"  # a preview, not a save
    alice.click(
        f"#tieu-chi-{e11.pk} summary:has-text('Chọn có sẵn')"
    )  # the unit's files, under the criterion
    # Each change asks for a preview; wait for it so that the save below is the only request in flight.
    with alice.expect_response(lambda r: "tinh-diem" in r.url):
        alice.locator(f"input[name=ev-{e11.pk}][value='{evidence.pk}']").check()
    submit(alice)
    assert "Đã nộp phiếu tháng 03/2026." in message(alice)
    card.refresh_from_db()
    assert card.state == Scorecard.State.SUBMITTED

    # Another ward's officer: nothing of this unit, not even a hint.
    dave = sign_in(browser, live_server, "dave")
    for path in [reverse("task", args=[flow.pk]), reverse("evidence_download", args=[evidence.pk]),
                 reverse("scorecard", args=[card.pk])]:  # fmt: skip
        response = dave.goto(url + path)
        assert response.status == 404, path
        assert "Phòng Văn hóa" not in dave.content()

    # The reviewer returns it…
    bob = sign_in(browser, live_server, "bob", width=1280)
    bob.click("text=Thẩm định, phê duyệt")
    bob.goto(url + reverse("review_queue") + "?month=2026-03")
    bob.click(f"a[href='{reverse('review', args=[card.pk])}']")
    assert "Thẩm định: Phòng Văn hóa - Xã hội" in bob.inner_text("h1")
    bob.fill("#return-reason", "Bổ sung số văn bản vào nhận xét")
    bob.once("dialog", lambda dialog: dialog.accept())  # "Trả lại" asks first
    bob.click("button:has-text('Trả lại đơn vị')")
    assert "Đã trả lại phiếu cho đơn vị." in message(bob)

    # …the officer sends it again…
    alice.goto(url + reverse("scorecard", args=[card.pk]))
    assert "Bổ sung số văn bản vào nhận xét" in alice.content()
    alice.click(f"#tieu-chi-{e11.pk} summary:has-text('Ghi chú')")
    with alice.expect_response(lambda r: "tinh-diem" in r.url):
        alice.fill(f"#comment-{e11.pk}", "Biên bản 15/BB-VHXH")
    submit(alice)
    assert "Đã nộp phiếu" in message(alice)

    # …and the reviewer confirms the review.
    bob.goto(url + reverse("review", args=[card.pk]))
    assert "Trong tháng không phát sinh nhiệm vụ này." in bob.content()  # the unit's reasons, shown…
    for box in bob.locator("input[name^=na-ok-]").all():
        box.check()  # …and accepted one by one
    bob.click("button[name=done]")
    assert "Đã thẩm định phiếu của Phòng Văn hóa - Xã hội." in message(bob)

    # The leader approves from the queue.
    charlie = sign_in(browser, live_server, "charlie", width=1280)
    charlie.goto(url + reverse("review_queue") + "?month=2026-03&state=reviewed")
    charlie.check(f"input[name=card][value='{card.pk}']")
    charlie.once("dialog", lambda dialog: dialog.accept())
    charlie.click("button:has-text('Phê duyệt các phiếu đã chọn')")
    assert "Đã phê duyệt 1 phiếu." in message(charlie)
    card.refresh_from_db()
    assert card.state == Scorecard.State.APPROVED

    # The approved card offers no form to the officer any more.
    alice.goto(url + reverse("scorecard", args=[card.pk]))
    assert "Phiếu đã khóa." in alice.content()
    assert alice.locator(f"#result-{e11.pk}").count() == 0
    assert alice.locator("button[name=submit]").count() == 0
    # The live total and every page above worked under the policy, and it blocked nothing on the way.
    assert [e for page in (alice, dave, bob, charlie) for e in CSP_ERRORS[id(page)]] == []


def test_the_browser_reports_no_policy_violation_on_the_main_pages(browser, flow, live_server, people, world):
    from django.contrib.auth.models import User

    from kpi.models import Scorecard

    User.objects.filter(username="bob").update(is_staff=True, is_superuser=True)
    url = live_server.url
    alice = sign_in(browser, live_server, "alice", width=1280)
    alice.goto(url + reverse("self_assessment", args=["2026-03"]))
    alice.click("button:has-text('Lập phiếu tháng 03/2026')")
    card = Scorecard.objects.get(unit=world.vhxh)
    pages = {
        alice: [reverse("home"), reverse("task", args=[flow.pk]), reverse("scorecard", args=[card.pk]),
                reverse("password_change"), "/khong-co-trang-nay/"],
        sign_in(browser, live_server, "bob", width=1280): [
            reverse("review_queue"), reverse("review", args=[card.pk]), reverse("scorecard_history", args=[card.pk]),
            reverse("dashboard"), reverse("admin:index"), reverse("admin:kpi_scorecard_changelist"),
            reverse("admin:plans_plan_change", args=[flow.plan_id]),
        ],
    }  # fmt: skip
    for page, paths in pages.items():
        for path in paths:
            response = page.goto(url + path)
            assert response.status in (200, 404), path
            assert (
                "Content-Security-Policy" in response.headers or "content-security-policy" in response.headers
            )
            page.wait_for_load_state("load")
    assert [e for page in pages for e in CSP_ERRORS[id(page)]] == []

    # The watch itself sees a violation: an inline script added to the page is blocked, and reported.
    with alice.expect_console_message(lambda m: "Content Security Policy" in m.text):
        alice.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = \"document.title = 'injected'\"; document.body.append(s); }"
        )
    assert alice.title() != "injected"
    assert CSP_ERRORS[id(alice)] and "script-src" in CSP_ERRORS[id(alice)][0]


@pytest.fixture
def seeded(db, live_server, settings, tmp_path):
    """The seeded ward (its real 25-criterion rubric) with an officer, a reviewer and a leader."""
    from kpi.seed import load_seed_data
    from plans.models import OrgUnit
    from tests.factories import UserFactory, UserProfileFactory

    settings.MEDIA_ROOT = tmp_path
    load_seed_data()
    made = {}
    for name, code, role, full in [("ha", "LB-VHXH", "officer", ("Nguyễn Thu", "Hà")),
                                   ("tham", "LB-VHXH", "reviewer", ("Phạm Thị", "Thẩm")),
                                   ("lanh", "LB", "leader", ("Lê Minh", "Lãnh"))]:  # fmt: skip
        user = UserFactory(username=name, first_name=full[0], last_name=full[1])
        UserProfileFactory(user=user, unit=OrgUnit.objects.get(code=code), role=role)
        made[name] = user
    return made


def test_an_officer_fills_the_whole_month_with_one_thumb(browser, seeded, live_server, tmp_path):
    from kpi.models import Scorecard
    from kpi.scoring import Result
    from kpi.services import scorecard_review
    from tests.kpi_helpers import accept_not_applicable

    url = live_server.url
    ha = sign_in(browser, live_server, "ha")
    ha.goto(url + reverse("self_assessment", args=["2026-03"]))
    ha.click("button:has-text('Lập phiếu tháng 03/2026')")
    card = Scorecard.objects.get()
    entries = sorted(card.entries.select_related("criterion", "group"),
                     key=lambda e: (e.group.order, e.criterion.order))  # fmt: skip
    assert len(entries) == 25
    # Nothing expanded: the whole month fits in less than 5,000 px on a 375 px phone.
    height = ha.evaluate("document.documentElement.scrollHeight")
    assert height < 5000, height
    # The ratio and the N/A reason are not shown until their result is chosen.
    first = entries[0]
    assert not ha.is_visible(f"#ratio-{first.pk}") and not ha.is_visible(f"#na-{first.pk}")

    def choose(entry, label):
        ha.locator(f"#tieu-chi-{entry.pk} label.choice").filter(has_text=label).first.click()

    with_files = entries[:4]
    for entry in with_files:
        choose(entry, "Hoàn thành")
    # Something typed, then a file attached under another criterion: the upload happens in the background
    # and the typed text is still there (and saved by the autosave), with no reload.
    choose(entries[4], "Một phần")
    assert ha.is_visible(f"#ratio-{entries[4].pk}")
    ha.fill(f"#ratio-{entries[4].pk}", "60")
    for index, entry in enumerate([*with_files, entries[4]]):
        upload = tmp_path / f"bien-ban-{index}.pdf"
        upload.write_bytes(PDF + str(index).encode())  # different content: different files
        with ha.expect_response(lambda r: "minh-chung" in r.url):
            ha.set_input_files(f"input[name=file-{entry.pk}]", str(upload))
        ha.wait_for_function(
            f"document.querySelector('[data-upload-status=\"{entry.pk}\"]').textContent.startsWith('Đã tải lên')"
        )
        assert ha.locator(f"#tieu-chi-{entry.pk} .attached input[name=ev-{entry.pk}]:checked").count() == 1
    assert ha.input_value(f"#ratio-{entries[4].pk}") == "60"
    # Every other criterion: "Không áp dụng", its reason asked in place.
    rest = entries[5:-1]
    for entry in rest:
        choose(entry, "Không áp dụng")
        ha.fill(f"#na-{entry.pk}", "Trong tháng không phát sinh.")
    assert ha.locator("details[open]").count() == 0  # no panel opened for any of it
    # The total and what is left stay in view while scrolling.
    ha.locator(f"#tieu-chi-{rest[0].pk}").scroll_into_view_if_needed()
    assert ha.is_visible("#submitbar [data-total]")
    ha.wait_for_function("document.querySelector('[data-unassessed]').textContent.trim() === '1'")
    # Submit asks first and lists what is still missing: the last criterion.
    ha.click("summary:has-text('Nộp phiếu')")
    last = entries[-1]
    assert f"{last.key}: chưa chấm" in ha.inner_text("[data-missing]")
    choose(last, "Không áp dụng")
    ha.fill(f"#na-{last.pk}", "Không có kiến nghị trong tháng.")
    ha.wait_for_function("document.querySelector('[data-missing]').textContent.includes('Đã chấm đủ')")
    # The draft saved itself: nothing is lost when the page is opened again.
    ha.wait_for_function(
        "document.querySelector('[data-autosave-status]').textContent.startsWith('Đã tự lưu')"
    )
    ha.wait_for_timeout(3000)  # the last change's autosave (2.5 s after it)
    ha.wait_for_function("!document.querySelector('[data-autosave-status]').textContent.startsWith('Đang')")
    card.refresh_from_db()
    stored = {e.pk: e for e in card.entries.prefetch_related("evidence")}
    assert stored[entries[4].pk].result == Result.PARTIAL and stored[entries[4].pk].ratio == Decimal("0.6")
    assert all(stored[e.pk].evidence.count() == 1 for e in [*with_files, entries[4]])
    assert stored[last.pk].na_reason == "Không có kiến nghị trong tháng."
    ha.reload()
    assert ha.input_value(f"#ratio-{entries[4].pk}") == "60"
    submit(ha)
    assert "Đã nộp phiếu tháng 03/2026." in message(ha)
    # Sent, the officer still sees every criterion's evidence.
    assert ha.locator("ul.evidence li").count() == 5

    card.refresh_from_db()
    card = accept_not_applicable(card, by=seeded["tham"])
    scorecard_review(scorecard=card, by=seeded["tham"])
    # The leader approves from the card itself, with the evidence and the N/A reasons in front of them.
    lanh = sign_in(browser, live_server, "lanh")
    lanh.goto(url + reverse("scorecard", args=[card.pk]))
    page = lanh.content()
    assert "bien-ban-0.pdf" in page and "Trong tháng không phát sinh." in page
    assert lanh.locator("ul.evidence li").count() == 5
    asked = []
    lanh.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    lanh.click("button:has-text('Phê duyệt phiếu')")
    assert "Phê duyệt phiếu tháng 03/2026" in asked[0]
    card.refresh_from_db()
    assert card.state == Scorecard.State.REVIEWED  # dismissed: nothing happened
    lanh.once("dialog", lambda dialog: dialog.accept())
    lanh.click("button:has-text('Phê duyệt phiếu')")
    assert "Đã phê duyệt phiếu." in message(lanh)
