from django.urls import path

from pepiniere.api import views

app_name = "api_tokens"
urlpatterns = [
    path("nouveau/", views.create, name="create"),
    path("<int:pk>/revoquer/", views.revoke, name="revoke"),
]
