from django.urls import path

from pepiniere.grants import applicant_views

app_name = "aid"
urlpatterns = [
    path("structures/<int:pk>/minimis/", applicant_views.minimis, name="minimis"),
    path("dossiers/<int:pk>/decision/", applicant_views.decision, name="decision"),
    path("courriers/<int:pk>/pdf/", applicant_views.letter_download, name="letter_pdf"),
]
