from django.urls import path

from pepiniere.accelerator import views

app_name = "accelerator"

urlpatterns = [
    path("", views.home, name="home"),
    path("programmes/<int:pk>/", views.programme, name="programme"),
    path("programmes/<int:pk>/cohorte/", views.form_cohort, name="form_cohort"),
    path("programmes/<int:pk>/mentors/", views.mentors, name="mentors"),
    path("cohortes/<int:pk>/mentors/", views.matching_page, name="matching"),
    path("cohortes/<int:pk>/proposer/", views.propose, name="propose"),
    path("propositions/<int:pk>/remplacer/", views.swap, name="swap"),
    path("propositions/<int:pk>/confirmer/", views.confirm, name="confirm"),
    path("sejours/<int:pk>/", views.stay, name="stay"),
    path("sejours/<int:pk>/<slug:action>/", views.stay_action, name="stay_action"),
    path("sejours/<int:pk>/seances/nouvelle/", views.add_session, name="add_session"),
    path("sejours/<int:pk>/jalons/nouveau/", views.add_milestone, name="add_milestone"),
    path("jalons/<int:pk>/preuve/", views.evidence, name="evidence"),
    path("jalons/<int:pk>/<slug:action>/", views.decide_milestone, name="decide_milestone"),
]
