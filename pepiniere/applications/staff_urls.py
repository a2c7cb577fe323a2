from django.urls import path

from pepiniere.applications import staff_views

app_name = "backoffice"
urlpatterns = [
    path("", staff_views.home, name="home"),
    path("dossiers/", staff_views.application_list, name="list"),
    path("dossiers/lot/", staff_views.bulk, name="bulk"),
    path("dossiers/export/", staff_views.export, name="export"),
    path("dossiers/<int:pk>/", staff_views.application_detail, name="detail"),
    path("dossiers/<int:pk>/<slug:action>/", staff_views.decide, name="decide"),
    path("exports/<int:pk>/", staff_views.export_status, name="export_status"),
    path("exports/<int:pk>/fichier/", staff_views.export_download, name="export_download"),
    path("appels/<slug:slug>/", staff_views.dashboard, name="dashboard"),
]
