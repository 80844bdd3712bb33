import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from plans.models import OrgUnit, UserProfile

Role = UserProfile.Role
DEMO_WARD = "LB"  # phường Long Biên, from the seed data

# username, role, unit (code, or a kind to pick the first unit of in the ward), what to print, and the
# (invented) full name and title that reports print instead of the username
DEMO_USERS = [
    ("quantri", Role.ADMIN, "LB", "Quản trị", ("Quản trị", "viên"), "Quản trị hệ thống"),
    ("lanhdao", Role.LEADER, "LB", "Lãnh đạo phường", ("Lê Minh", "Lãnh"), "Phó Chủ tịch UBND phường"),
    ("thamdinh", Role.REVIEWER, "LB-VHXH", "Chuyên viên thẩm định, Phòng VH-XH", ("Phạm Thị", "Thẩm"),
     "Chuyên viên Phòng Văn hóa - Xã hội"),
    ("canbo.vhxh", Role.OFFICER, "LB-VHXH", "Cán bộ Phòng Văn hóa - Xã hội", ("Nguyễn Văn", "Bình"),
     "Cán bộ Phòng Văn hóa - Xã hội"),
    ("canbo.congan", Role.OFFICER, "LB-CA", "Cán bộ Công an phường", ("Hoàng Văn", "An"), "Cán bộ Công an phường"),
    ("canbo.truong", Role.OFFICER, OrgUnit.Kind.SCHOOL, "Cán bộ một trường (minh họa)", ("Đỗ Thị", "Hoa"),
     "Giáo viên"),
]  # fmt: skip


class Command(BaseCommand):
    help = "Tạo tài khoản minh họa cho từng vai trò (mật khẩu từ DEMO_PASSWORD hoặc sinh ngẫu nhiên)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Cho phép chạy khi DEBUG tắt.")

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG đang tắt (chế độ vận hành): không tạo tài khoản minh họa. Dùng --force nếu thật sự cần."
            )
        ward = OrgUnit.objects.filter(code=DEMO_WARD, kind=OrgUnit.Kind.WARD).first()
        if ward is None:
            raise CommandError(f"Không có phường mã “{DEMO_WARD}”. Chạy load_seed_data trước.")
        password = settings.DEMO_PASSWORD or secrets.token_urlsafe(9)
        User = get_user_model()
        self.stdout.write("Tài khoản minh họa (tên đăng nhập / mật khẩu — vai trò, đơn vị):")
        for username, role, unit_key, label, (first, last), title in DEMO_USERS:
            unit = self._unit(ward, unit_key)
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = user.is_superuser = role == Role.ADMIN
            user.first_name, user.last_name = first, last
            user.set_password(password)
            user.save()
            UserProfile.objects.update_or_create(
                user=user, defaults={"unit": unit, "role": role, "title": title}
            )
            self.stdout.write(f"  {username:<14} / {password}  — {label}: {unit.name}")

    def _unit(self, ward: OrgUnit, key: str) -> OrgUnit:
        if key in OrgUnit.Kind.values:
            unit = OrgUnit.objects.filter(ward=ward, kind=key).order_by("path").first()
        else:
            unit = OrgUnit.objects.filter(code=key).first()
        if unit is None:
            raise CommandError(f"Không có đơn vị “{key}” cho tài khoản minh họa. Chạy load_seed_data trước.")
        return unit
