from django.urls import path

from pepiniere.reviews import views

app_name = "reviews"
urlpatterns = [
    path("", views.home, name="home"),
    path("profil/", views.profile, name="profile"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("evaluations/<int:pk>/", views.review_form, name="review"),
    path("evaluations/<int:pk>/conflit/", views.declare_conflict, name="conflict"),
    path("appels/<slug:slug>/preferences/", views.bids, name="bids"),
    path("instruction/<slug:slug>/experts/", views.pool, name="pool"),
    path("instruction/<slug:slug>/affectation/", views.assignment, name="assignment"),
    path("instruction/<slug:slug>/avancement/", views.progress, name="progress"),
    path("instruction/<slug:slug>/classement/", views.ranking, name="ranking"),
]
