from django.urls import path

from pepiniere.accounts import account_views, mfa_views, views

app_name = "accounts"
urlpatterns = [
    path("", account_views.account, name="account"),
    path("mes-donnees/", account_views.download_data, name="download_data"),
    path("fermer/", account_views.close_account, name="close_account"),
    path("inscription/", views.signup, name="signup"),
    path("inscription/envoyee/", views.signup_sent, name="signup_sent"),
    path("activation/<uidb64>/<token>/", views.activate, name="activate"),
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("connexion/code/", mfa_views.second_step, name="mfa_second_step"),
    path("double-facteur/activer/", mfa_views.enrol, name="mfa_enrol"),
    path("double-facteur/codes-de-secours/", mfa_views.recovery_codes, name="mfa_recovery_codes"),
    path(
        "double-facteur/nouveaux-codes/",
        mfa_views.regenerate_recovery_codes,
        name="mfa_regenerate_codes",
    ),
    path("double-facteur/desactiver/", mfa_views.turn_off, name="mfa_turn_off"),
    path("double-facteur/demo/", mfa_views.demo, name="mfa_demo"),
    path("mot-de-passe/", views.password_reset, name="password_reset"),
    path("mot-de-passe/envoye/", views.password_reset_done, name="password_reset_done"),
    path(
        "mot-de-passe/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("mot-de-passe/termine/", views.password_reset_complete, name="password_reset_complete"),
]
