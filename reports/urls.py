from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("scorecards/<int:pk>.<str:fmt>", views.scorecard_download, name="scorecard"),
    path("wards/<str:code>/<str:month>.<str:fmt>", views.ward_summary_download, name="ward_summary"),
    path(
        "plans/<int:pk>/<int:year>-Q<int:quarter>.<str:fmt>",
        views.quarter_report_download,
        name="quarter_report",
    ),
]
