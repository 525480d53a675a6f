from django.urls import path

from hms.accounts.web import users, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("keepalive/", views.keepalive, name="keepalive"),
    path("2fa/", views.two_factor_verify, name="two-factor-verify"),
    path("2fa/setup/", views.two_factor_setup, name="two-factor-setup"),
    path("2fa/recovery-codes/", views.recovery_codes, name="recovery-codes"),
    path("password/", views.password_change, name="password-change"),
    path("facility/", views.switch_facility, name="switch-facility"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<uuid:external_id>/revoke/", views.token_revoke, name="token-revoke"),
    path("users/", users.user_list, name="user-list"),
    path("users/new/", users.user_create, name="user-create"),
    path("users/<uuid:external_id>/", users.user_detail, name="user-detail"),
]
