"""In a real browser (Debian's chromium, never a downloaded one): the reviewer returns a card; the officer sees
the bell's count, the banner with the reason, and follows the notification to the card."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.urls import reverse

from kpi.scoring import Result
from kpi.services import EntryInput, scorecard_get_or_create, scorecard_submit, scorecard_update_entries
from tests.kpi_helpers import settle
from tests.test_browser import browser, sign_in  # noqa: F401  (the module's browser fixture)

REASON = "Thiếu biên bản hội nghị tháng 3"


def test_the_officer_sees_a_returned_card_from_the_bell(browser, world, rubric, people, live_server):  # noqa: F811
    card = scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=date(2026, 3, 1))
    card = scorecard_update_entries(scorecard=card, by=people.alice, version=card.version,
                                    entries={"1.1": EntryInput(Result.DONE, evidence_note="Biên bản 1")})  # fmt: skip
    scorecard_submit(scorecard=settle(card), by=people.alice,
                     at=datetime(2026, 4, 2, 9, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")))  # fmt: skip

    bob = sign_in(browser, live_server, "bob", width=1200)
    bob.goto(live_server.url + reverse("scorecard", args=[card.pk]))
    bob.fill("#return-reason", REASON)
    bob.once("dialog", lambda dialog: dialog.accept())  # "Trả lại" asks first
    bob.click("button:has-text('Trả lại đơn vị')")
    assert "Đã trả lại phiếu cho đơn vị." in bob.locator("ul.messages").inner_text()
    bob.context.close()

    alice = sign_in(browser, live_server, "alice")
    assert alice.locator("[data-bell-count]").inner_text() == "1"
    banner = alice.locator("[data-returned]").inner_text()
    assert "Phiếu KPI tháng 03/2026 bị trả lại" in banner and REASON in banner
    alice.click("[data-bell]")
    alice.click("text=Phiếu KPI tháng 03/2026 bị trả lại")
    alice.wait_for_url(live_server.url + reverse("scorecard", args=[card.pk]))
    assert REASON in alice.locator("[data-returned]").inner_text()
    assert alice.locator("[data-bell-count]").count() == 0  # opened: read
    alice.context.close()
