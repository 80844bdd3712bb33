from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "Quản lý kế hoạch giáo dục phường"
admin.site.site_title = "Kế hoạch giáo dục phường"
admin.site.index_title = "Quản trị dữ liệu"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("reports/", include("reports.urls")),
    # Until the officers' pages exist the data lives in the admin; "/" leads there rather than to a 404.
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
