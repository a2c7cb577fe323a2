from django.urls import path

from pepiniere.organisations import views

app_name = "organisations"
urlpatterns = [
    path("", views.my_organisations, name="mine"),
    path("nouvelle/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/modifier/", views.edit, name="edit"),
]
