from django.urls import path

from pepiniere.builder import views

app_name = "builder"
urlpatterns = [
    path("", views.call_list, name="list"),
    path("nouveau/", views.new_call, name="new"),
    path("<slug:slug>/", views.general, name="general"),
    path("<slug:slug>/eligibilite/", views.eligibility, name="eligibility"),
    path("<slug:slug>/formulaire/", views.form_step, name="form"),
    path("<slug:slug>/formulaire/ordre/", views.reorder_questions, name="reorder"),
    path("<slug:slug>/formulaire/<int:pk>/", views.question, name="question"),
    path("<slug:slug>/formulaire/<int:pk>/colonne/", views.add_column, name="add_column"),
    path("<slug:slug>/formulaire/<int:pk>/retirer/", views.remove_question, name="remove_question"),
    path("<slug:slug>/formulaire/<int:pk>/deplacer/", views.move_question, name="move_question"),
    path("<slug:slug>/grille/", views.grid, name="grid"),
    path("<slug:slug>/evaluation/", views.review, name="review"),
    path("<slug:slug>/documents/", views.documents, name="documents"),
    path("<slug:slug>/documents/<int:pk>/retirer/", views.remove_document, name="remove_document"),
    path("<slug:slug>/courriers/", views.letters, name="letters"),
    path("<slug:slug>/apercu/", views.preview, name="preview"),
    path("<slug:slug>/publication/", views.publish, name="publish"),
]
