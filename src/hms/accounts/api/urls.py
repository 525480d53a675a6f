from django.urls import path

from hms.accounts.api import views

urlpatterns = [
    path("me/", views.MeApi.as_view(), name="me"),
    path("tokens/", views.TokenListCreateApi.as_view(), name="token-list"),
    path(
        "tokens/<uuid:external_id>/revoke/",
        views.TokenRevokeApi.as_view(),
        name="token-revoke",
    ),
    path("facilities/", views.FacilityListApi.as_view(), name="facility-list"),
    path("users/", views.UserListCreateApi.as_view(), name="user-list"),
]
