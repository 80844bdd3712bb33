from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.views import healthz
from kpi import review_views
from kpi.views import home, scorecard_move, scorecard_page, self_assessment_month
from reports import dashboard_views, notification_views
from tasks.views import evidence_download, evidence_remove, task_detail

admin.site.site_header = "Quản lý kế hoạch giáo dục phường"
admin.site.site_title = "Kế hoạch giáo dục phường"
admin.site.index_title = "Quản trị dữ liệu"

# 400, 403 and 404 are Django's own views with templates/400.html, 403.html, 404.html; a server error caused by
# an unreachable database becomes the 503 "bảo trì" page.
handler500 = "config.views.server_error"
# Too large a form or too many files: what was too much, in Vietnamese (config.views.bad_request).
handler400 = "config.views.bad_request"

urlpatterns = [
    # Public, for a load balancer: no sign-in, no personal data.
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("reports/", include("reports.urls")),
    path("", home, name="home"),
    path("nhiem-vu/<int:pk>/", task_detail, name="task"),
    path("tu-cham/<str:month>/", self_assessment_month, name="self_assessment"),
    path("phieu-kpi/<int:pk>/", scorecard_page, name="scorecard"),
    path("phieu-kpi/<int:pk>/tham-dinh/", review_views.review, name="review"),
    path("phieu-kpi/<int:pk>/lich-su/", review_views.history, name="scorecard_history"),
    path("phieu-kpi/<int:pk>/tinh-diem/", review_views.score_preview, name="score_preview"),
    path("phieu-kpi/<int:pk>/minh-chung/", review_views.evidence_for_card, name="scorecard_evidence"),
    path("phieu-kpi/<int:pk>/chuyen-phien-ban/", scorecard_move, name="scorecard_move"),
    path("phieu-kpi/<int:pk>/<str:action>/", review_views.card_action, name="scorecard_action"),
    path("tham-dinh/", review_views.queue, name="review_queue"),
    path("phe-duyet/", review_views.approve_many, name="approve_many"),
    path("dashboard/", dashboard_views.ward, name="dashboard"),
    path("dashboard/thanh-pho/", dashboard_views.city, name="city_dashboard"),
    path("dashboard/ke-hoach/<int:pk>/nhiem-vu/", dashboard_views.tasks, name="dashboard_tasks"),
    path("minh-chung/<int:pk>/tai-ve/", evidence_download, name="evidence_download"),
    path("minh-chung/<int:pk>/xoa/", evidence_remove, name="evidence_remove"),
    path("thong-bao/", notification_views.notification_list, name="notifications"),
    path("thong-bao/<int:pk>/", notification_views.notification_open, name="notification"),
    path("thong-bao/da-doc/", notification_views.notification_read_all, name="notifications_read"),
    path("thong-bao/cai-dat/", notification_views.notification_preferences, name="notification_preferences"),
    path("tham-dinh/nhac-nop/", notification_views.submit_nudge, name="submit_nudge"),
    path("tham-dinh/tron-bo/", notification_views.bundle_start, name="bundle_start"),
    path("viec-nen/<uuid:pk>/", notification_views.job_page, name="job"),
    path("viec-nen/<uuid:pk>/tai-ve/", notification_views.job_download, name="job_download"),
    path("dang-nhap/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("doi-mat-khau/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("doi-mat-khau/xong/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
