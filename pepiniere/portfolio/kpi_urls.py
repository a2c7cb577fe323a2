from django.urls import path

from pepiniere.portfolio import kpi_views

app_name = "kpi"
urlpatterns = [
    path("rapports/<int:pk>/", kpi_views.report, name="report"),
]
