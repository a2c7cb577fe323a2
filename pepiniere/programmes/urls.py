from django.urls import path

from pepiniere.programmes import views

app_name = "programmes"
urlpatterns = [
    path("programmes/<slug:slug>/", views.programme_detail, name="detail"),
    path("labels/<slug:slug>/", views.label_public, name="label"),
    path("instruction/labels/", views.label_list, name="labels"),
    path("instruction/labels/<slug:slug>/", views.label_manage, name="label_manage"),
    path(
        "instruction/labels/<slug:slug>/detentions/<int:pk>/fin/",
        views.end_holding,
        name="end_holding",
    ),
]
