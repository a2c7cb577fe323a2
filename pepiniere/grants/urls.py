from django.urls import path

from pepiniere.grants import letter_views, views

app_name = "grants"
urlpatterns = [
    path("<slug:slug>/", views.call_awards, name="call"),
    path("<slug:slug>/regles/", views.policy, name="policy"),
    path("<slug:slug>/cofinancement/", views.co_funding, name="co_funding"),
    path("<slug:slug>/courriers/", views.send_letters, name="send_letters"),
    path(
        "<slug:slug>/courriers/modeles/",
        letter_views.letter_templates_list,
        name="letter_templates",
    ),
    path(
        "<slug:slug>/courriers/modeles/<str:outcome>/",
        letter_views.letter_template,
        name="letter_template",
    ),
    path("<slug:slug>/dossiers/<int:pk>/attribuer/", views.award, name="award"),
    path("<slug:slug>/dossiers/<int:pk>/liens/<int:link_pk>/", views.decide_link, name="link"),
]
