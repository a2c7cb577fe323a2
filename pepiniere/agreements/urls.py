from django.urls import path

from pepiniere.agreements import views

app_name = "agreements"
urlpatterns = [
    path("instruction/conventions/appels/<slug:slug>/", views.call_agreements, name="call"),
    path("instruction/conventions/appels/<slug:slug>/preparer/", views.prepare, name="prepare"),
    path(
        "instruction/conventions/appels/<slug:slug>/modele/", views.template_edit, name="template"
    ),
    path(
        "instruction/conventions/appels/<slug:slug>/echeancier/",
        views.schedule_edit,
        name="schedule",
    ),
    path("instruction/conventions/<int:pk>/", views.detail, name="detail"),
    path("instruction/conventions/<int:pk>/brouillon/", views.edit_draft, name="edit_draft"),
    path("instruction/conventions/<int:pk>/envoyer/", views.send, name="send"),
    path("instruction/conventions/<int:pk>/signer/", views.sign_funder, name="sign_funder"),
    path("instruction/conventions/<int:pk>/avenant/", views.amend, name="amend"),
    path("instruction/conventions/<int:pk>/resilier/", views.terminate, name="terminate"),
    path("conventions/versions/<int:pk>/<slug:kind>.pdf", views.version_pdf, name="pdf"),
    path("dossiers/<int:pk>/convention/", views.mine, name="mine"),
]
