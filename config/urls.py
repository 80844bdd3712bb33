from django.contrib import admin
from django.urls import path

admin.site.site_header = "Quản lý kế hoạch giáo dục phường"
admin.site.site_title = "Kế hoạch giáo dục phường"
admin.site.index_title = "Quản trị dữ liệu"

urlpatterns = [
    path("admin/", admin.site.urls),
]
