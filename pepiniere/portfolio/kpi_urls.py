from django.urls import path

from pepiniere.portfolio import indicator_views, kpi_views

app_name = "kpi"
urlpatterns = [
    path("", kpi_views.mine, name="mine"),
    path("rapports/<int:pk>/", kpi_views.report, name="report"),
    path("rapports/<int:pk>/valider/", kpi_views.validate, name="validate"),
    path("rapports/<int:pk>/renvoyer/", kpi_views.send_back, name="return"),
    path("rapports/<int:pk>/corriger/", kpi_views.correct, name="correct"),
    path("campagnes/", kpi_views.campaigns, name="campaigns"),
    path("campagnes/nouvelle/", kpi_views.new_campaign, name="new_campaign"),
    path("campagnes/<int:pk>/", kpi_views.campaign, name="campaign"),
    path("campagnes/<int:pk>/clore/", kpi_views.close, name="close"),
    path("campagnes/<int:pk>/modele.xlsx", kpi_views.template, name="template"),
    path("campagnes/<int:pk>/import/", kpi_views.upload, name="upload"),
    path("campagnes/<int:pk>/import/<int:import_pk>/", kpi_views.import_preview, name="import"),
    path("emplois/", indicator_views.indicators_page, name="indicators"),
    path("emplois/detail/", indicator_views.drill_down, name="drill_down"),
]
