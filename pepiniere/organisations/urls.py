from django.urls import path

from pepiniere.organisations import join_views, views

app_name = "organisations"
urlpatterns = [
    path("", views.my_organisations, name="mine"),
    path("nouvelle/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/modifier/", views.edit, name="edit"),
    path("demandes/", join_views.join_requests, name="join_requests"),
    path("demandes/<int:pk>/", join_views.join_request, name="join_request"),
    path("demandes/<int:pk>/reponse/", join_views.decide, name="decide_join_request"),
    path("invitation/<str:token>/", join_views.invitation, name="invitation"),
]
