from django.urls import path

from pepiniere.opendata import import_views, views

app_name = "opendata"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:siret>/", views.funder_page, name="funder"),
    path("<str:siret>/subventions.csv", views.scdl_file, name="scdl"),
    path("<str:siret>/360giving.json", views.giving_file, name="giving"),
    path("<str:siret>/gestion/", views.manage, name="manage"),
    path("<str:siret>/gestion/<int:award_id>/retirer/", views.withhold, name="withhold"),
    path("<str:siret>/gestion/<int:award_id>/retablir/", views.restore, name="restore"),
    path("<str:siret>/gestion/imports/", import_views.imports, name="imports"),
    path(
        "<str:siret>/gestion/imports/<int:batch_id>/",
        import_views.preview,
        name="import_preview",
    ),
    path(
        "<str:siret>/gestion/imports/<int:batch_id>/confirmer/",
        import_views.confirm,
        name="import_confirm",
    ),
    path(
        "<str:siret>/gestion/imports/<int:batch_id>/annuler/",
        import_views.cancel,
        name="import_cancel",
    ),
    path(
        "<str:siret>/gestion/imports/<int:batch_id>/rapport.csv",
        import_views.report,
        name="import_report",
    ),
]
