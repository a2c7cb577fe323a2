from django.urls import path

from pepiniere.opendata import views

app_name = "opendata"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:siret>/", views.funder_page, name="funder"),
    path("<str:siret>/subventions.csv", views.scdl_file, name="scdl"),
    path("<str:siret>/360giving.json", views.giving_file, name="giving"),
    path("<str:siret>/gestion/", views.manage, name="manage"),
    path("<str:siret>/gestion/<int:award_id>/retirer/", views.withhold, name="withhold"),
    path("<str:siret>/gestion/<int:award_id>/retablir/", views.restore, name="restore"),
]
