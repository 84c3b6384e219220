from django.urls import path

from . import views

app_name = "roster"

urlpatterns = [
    path("activate/", views.activate, name="activate"),
]
