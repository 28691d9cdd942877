from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.my_cases, name="mine"),
    path("overdue/", views.overdue, name="overdue"),
    path("supervisor/", views.supervisor, name="supervisor"),
    path("new/<int:person_pk>/", views.case_open, name="open"),
    path("<int:pk>/", views.case_detail, name="case"),
    path("<int:pk>/move/", views.case_move, name="move"),
    path("<int:pk>/reopen/", views.case_reopen, name="reopen"),
    path("<int:pk>/notes/", views.case_note, name="note"),
    path("<int:pk>/conferences/new/", views.conference_add, name="conference_add"),
    path("<int:pk>/consents/new/", views.consent_add, name="consent_add"),
    path(
        "<int:pk>/consents/<int:consent_pk>/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("<int:pk>/refer/", views.refer, name="refer"),
    path("referrals/", views.inbox, name="inbox"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral"),
    path("referrals/<int:pk>/accept/", views.referral_accept, name="referral_accept"),
    path("referrals/<int:pk>/decline/", views.referral_decline, name="referral_decline"),
    path("referrals/<int:pk>/outcome/", views.referral_outcome, name="referral_outcome"),
    path("referrals/<int:pk>/form.pdf", views.referral_pdf, name="referral_pdf"),
]
