from django.urls import path

from . import token_views, views

app_name = "accounts"
urlpatterns = [
    path("2fa/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("2fa/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("tokens/", token_views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
    path("enrolment-codes/", token_views.enrolment_code_issue, name="enrolment_code_issue"),
]
