from django.urls import path

from pepiniere.home import finance_views, views

app_name = "home"
urlpatterns = [
    path("", views.index, name="index"),
    path("finances/", finance_views.ledgers, name="finance"),
    path("finances/export/", finance_views.ledgers_export, name="finance_export"),
    path("finances/mouvements/", finance_views.movements, name="movements"),
    path("finances/mouvements/export/", finance_views.movements_export, name="movements_export"),
    path("finances/journal/<int:pk>/", finance_views.audit_entry, name="audit_entry"),
]
