from django.urls import path

from pepiniere.applications import views

app_name = "applications"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("candidater/<slug:slug>/", views.start, name="start"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/modifier/", views.edit, name="edit"),
    path("<int:pk>/pieces/<slug:field_key>/", views.upload, name="upload"),
    path("<int:pk>/pieces/retirer/<int:attachment_id>/", views.remove, name="remove"),
    path("<int:pk>/verifier/", views.precheck_view, name="precheck"),
    path("<int:pk>/deposer/", views.submit, name="submit"),
    path("<int:pk>/recepisse/", views.receipt, name="receipt"),
    path("<int:pk>/recepisse.pdf", views.receipt_download, name="receipt_pdf"),
    path("<int:pk>/versions/<int:number>/", views.version, name="version"),
    path("<int:pk>/retirer/", views.withdraw, name="withdraw"),
    path("pieces/<str:token>/", views.attachment_download, name="attachment"),
]
