from django.urls import path

from pepiniere.crowdfunding import staff_views, views

app_name = "crowdfunding"
urlpatterns = [
    path("financement-participatif/", views.public_list, name="public"),
    path("financement-participatif/mes-campagnes/", views.mine, name="mine"),
    path(
        "financement-participatif/structures/<int:pk>/nouvelle-campagne/",
        views.create,
        name="create",
    ),
    path("financement-participatif/campagnes/<int:pk>/", views.detail, name="detail"),
    path("financement-participatif/campagnes/<int:pk>/modifier/", views.edit, name="edit"),
    path("financement-participatif/campagnes/<int:pk>/lancer/", views.launch, name="launch"),
    path(
        "financement-participatif/campagnes/<int:pk>/contribution/",
        views.add_pledge,
        name="add_pledge",
    ),
    path("financement-participatif/campagnes/<int:pk>/import/", views.upload, name="upload"),
    path(
        "financement-participatif/campagnes/<int:pk>/import/<int:import_pk>/",
        views.import_preview,
        name="import_preview",
    ),
    path("instruction/abondement/", staff_views.index, name="staff_index"),
    path("instruction/abondement/<slug:slug>/", staff_views.call_campaigns, name="call"),
    path("instruction/abondement/campagnes/<int:pk>/cloturer/", staff_views.close, name="close"),
]
