from django.contrib import admin
from django.urls import include, path

from pepiniere.api.api import api

urlpatterns = [
    path("", include("pepiniere.calls.urls")),
    path("", include("pepiniere.programmes.urls")),
    path("accueil/", include("pepiniere.home.urls")),
    path("compte/jetons-api/", include("pepiniere.api.urls")),
    path("compte/", include("pepiniere.accounts.urls")),
    path("structures/", include("pepiniere.organisations.urls")),
    path("dossiers/", include("pepiniere.applications.urls")),
    path("instruction/selection/", include("pepiniere.selection.urls")),
    path("instruction/aides/", include("pepiniere.grants.urls")),
    path("", include("pepiniere.agreements.urls")),
    path("aides/", include("pepiniere.grants.applicant_urls")),
    path("versements/", include("pepiniere.payments.urls")),
    path("", include("pepiniere.crowdfunding.urls")),
    path("instruction/versements/", include("pepiniere.payments.staff_urls")),
    path("instruction/conception/", include("pepiniere.builder.urls")),
    path("indicateurs/", include("pepiniere.portfolio.kpi_urls")),
    path("suivi/", include("pepiniere.portfolio.urls")),
    path("accelerateur/", include("pepiniere.accelerator.urls")),
    path("impact/", include("pepiniere.impact.urls")),
    path("donnees-ouvertes/", include("pepiniere.opendata.urls")),
    path("instruction/", include("pepiniere.applications.staff_urls")),
    path("expertise/", include("pepiniere.reviews.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
