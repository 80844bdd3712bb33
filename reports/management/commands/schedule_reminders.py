from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from reports.reminders import first_run_after

NAME = "send_reminders"


class Command(BaseCommand):
    help = (
        "Đặt lịch chạy send_reminders hằng ngày lúc REMINDER_TIME (giờ địa phương) trong hàng đợi công việc. "
        "Chạy lại bao nhiêu lần cũng chỉ có một lịch; đổi REMINDER_TIME rồi chạy lại để dời giờ."
    )

    def handle(self, *args, **options):
        from django_q.models import Schedule

        next_run = first_run_after(timezone.now(), settings.REMINDER_TIME)
        schedule = Schedule.objects.filter(name=NAME).first()
        if schedule is not None and schedule.schedule_type == Schedule.DAILY:
            stored = timezone.localtime(schedule.next_run)
            if (stored.hour, stored.minute) == (next_run.hour, next_run.minute) and stored > timezone.now():
                self.stdout.write(f"Lịch nhắc việc hằng ngày đã có: lần tới {stored:%H:%M %d/%m/%Y}.")
                return
        Schedule.objects.update_or_create(
            name=NAME,
            defaults={"func": "reports.reminders.daily", "schedule_type": Schedule.DAILY, "repeats": -1,
                      "next_run": next_run},
        )  # fmt: skip
        self.stdout.write(
            f"Lịch nhắc việc hằng ngày lúc {settings.REMINDER_TIME}: lần tới {next_run:%H:%M %d/%m/%Y}."
        )
