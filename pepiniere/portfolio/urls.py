from django.urls import path

from pepiniere.portfolio import views_portfolio

app_name = "portfolio"
urlpatterns = [
    path("portefeuille/", views_portfolio.portfolio_list, name="list"),
    path("portefeuille/export/", views_portfolio.portfolio_export, name="export"),
    path("portefeuille/emplois/", views_portfolio.portfolio_jobs, name="jobs"),
    path("structures/<int:pk>/", views_portfolio.organisation_page_view, name="organisation"),
]
