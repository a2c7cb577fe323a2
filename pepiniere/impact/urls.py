from django.urls import path

from pepiniere.impact import views

app_name = "impact"
urlpatterns = [
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("tableau-de-bord/export.csv", views.dashboard_csv, name="dashboard_csv"),
    path("programmes/<slug:slug>/", views.public_programme, name="public_programme"),
    path("programmes/<slug:slug>/export.csv", views.public_programme_csv, name="public_csv"),
]
