from django.contrib.auth import views as auth_views
from django.urls import path

from .views import evidence, observer

app_name = "web"

urlpatterns = [
    path("", observer.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="reports/login.html", redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("reports/new/", observer.report_new, name="report-new"),
    path("reports/", observer.my_reports, name="my-reports"),
    path("photos/<uuid:pk>/", evidence.photo, name="photo"),
    path("exports/reports.csv", evidence.export_reports_csv, name="export-csv"),
]
