from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="reports/login.html", redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("reports/new/", views.report_new, name="report-new"),
    path("reports/", views.my_reports, name="my-reports"),
    path("photos/<uuid:pk>/", views.photo, name="photo"),
    path("exports/reports.csv", views.export_reports_csv, name="export-csv"),
]
