from django.urls import path

from pepiniere.payments import views

app_name = "payments"
urlpatterns = [
    path("dossiers/<int:application_id>/", views.schedule, name="schedule"),
    path("tranches/<int:pk>/demande/", views.request_form, name="request"),
]
