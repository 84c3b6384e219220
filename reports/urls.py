from django.urls import path

from .views import checkin, evidence, observer

app_name = "web"

urlpatterns = [
    path("", observer.home, name="home"),
    path("login/", observer.LoginView.as_view(), name="login"),
    path("logout/", observer.auth_views.LogoutView.as_view(), name="logout"),
    path("reports/new/", observer.report_new, name="report-new"),
    path("reports/", observer.my_reports, name="my-reports"),
    path("checkins/", checkin.checkin, name="checkin"),
    path("offline/", observer.offline, name="offline"),
    path("sw.js", observer.service_worker, name="service-worker"),
    path("photos/<uuid:pk>/", evidence.photo, name="photo"),
    path("exports/reports.csv", evidence.export_reports_csv, name="export-csv"),
    path("evidence/public-key.pem", evidence.public_key_pem, name="evidence-public-key"),
]
