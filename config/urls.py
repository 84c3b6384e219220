from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from checklists import views as checklists_views
from checklists import web as checklists_web
from checklists.api import views as checklists_api
from command.api import views as command_api
from messaging import api as messaging_api
from monitoring.api import views as monitoring_api
from reports.api import checkpoints as checkpoints_api
from reports.api import views as reports_api
from roster.api import views as roster_api

from . import metrics, views

checklists_web_urls = [
    path("", checklists_web.checklist_list, name="list"),
    path("<slug:code>/", checklists_web.checklist_form, name="form"),
]

api_v1 = [
    path("auth/token/", roster_api.TokenView.as_view(), name="token"),
    path("auth/activate/", roster_api.ActivateView.as_view(), name="activate"),
    path("me/", monitoring_api.MeView.as_view(), name="me"),
    path("elections/", monitoring_api.ElectionListView.as_view(), name="elections"),
    path("stations/", monitoring_api.StationListView.as_view(), name="stations"),
    path("categories/", reports_api.CategoryListView.as_view(), name="categories"),
    path("reports/", reports_api.ReportListCreateView.as_view(), name="reports"),
    path("reports/<uuid:pk>/", reports_api.ReportDetailView.as_view(), name="report-detail"),
    path("forms/", checklists_api.FormListView.as_view(), name="forms"),
    path("checkins/", reports_api.CheckInListCreateView.as_view(), name="checkins"),
    path("checklists/", checklists_api.ChecklistListCreateView.as_view(), name="checklists"),
    path("quick-count/", checklists_api.QuickCountView.as_view(), name="quick-count"),
    path("checkpoints/", checkpoints_api.CheckpointListView.as_view(), name="checkpoints"),
    path("coverage/", command_api.CoverageView.as_view(), name="coverage"),
    path("messages/", messaging_api.MessageListView.as_view(), name="messages"),
    path("messages/<int:pk>/read/", messaging_api.MessageReadView.as_view(), name="message-read"),
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's setup script from this same URL
    # (?script=), so the page needs no inline code under the site's CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("exports/results.csv", checklists_views.export_results_csv, name="export-results-csv"),
    path("exports/checklists.csv", checklists_views.export_checklists_csv, name="export-checklists-csv"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("checklists/", include((checklists_web_urls, "checklists-web"), namespace="checklists-web")),
    path("", include("sms.urls")),
    path("", include("roster.urls")),
    path("", include("reports.urls")),
]

handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
