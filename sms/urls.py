from django.urls import path

from . import views

app_name = "sms"
urlpatterns = [path("sms/inbound/", views.inbound, name="inbound")]
