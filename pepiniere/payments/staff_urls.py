from django.urls import path

from pepiniere.payments import staff_views as views

app_name = "payments_staff"
urlpatterns = [
    path("demandes/", views.to_check, name="to_check"),
    path("demandes/<int:pk>/", views.check, name="check"),
    path("demandes/<int:pk>/renvoyer/", views.return_request, name="return"),
    path("autorisations/", views.to_authorise, name="to_authorise"),
    path("autorisations/<int:pk>/", views.authorise, name="authorise"),
    path("lots/", views.run_list, name="runs"),
    path("lots/nouveau/", views.create_run, name="create_run"),
    path("lots/<int:pk>/", views.run_detail, name="run"),
    path("lots/<int:pk>/confirmer/", views.confirm_run, name="confirm_run"),
    path("lots/<int:pk>/<str:kind>/", views.run_file, name="run_file"),
    path("reversements/", views.recovery_list, name="recoveries"),
    path("reversements/<int:pk>/<str:action>/", views.recovery_action, name="recovery_action"),
]
