from django.urls import path

from pepiniere.organisations import bank_views, join_views, views

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
    path("<int:pk>/coordonnees-bancaires/", bank_views.bank_details, name="bank_details"),
    path("coordonnees-bancaires/", bank_views.bank_queue, name="bank_queue"),
    path("coordonnees-bancaires/<int:pk>/", bank_views.bank_decision, name="bank_decision"),
    path("coordonnees-bancaires/<int:pk>/rib/", bank_views.bank_rib, name="bank_rib"),
]
