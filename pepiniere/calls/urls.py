from django.urls import path

from pepiniere.calls import views

app_name = "calls"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("appels/<slug:slug>/", views.call_detail, name="detail"),
    path("appels/<slug:slug>/documents/<int:document_id>/", views.call_document, name="document"),
]
