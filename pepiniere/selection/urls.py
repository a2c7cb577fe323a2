from django.urls import path

from pepiniere.selection import jury_views, views

app_name = "selection"
urlpatterns = [
    path("<slug:slug>/", views.scenarios, name="scenarios"),
    path("<slug:slug>/comparer/", views.compare, name="compare"),
    path("<slug:slug>/jury/", jury_views.jury, name="jury"),
    path("<slug:slug>/<int:pk>/", views.detail, name="detail"),
]
