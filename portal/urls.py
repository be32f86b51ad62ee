from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.views.generic import RedirectView

from . import views

app_name = "portal"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:statement-list"), name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(success_url=reverse_lazy("portal:password-reset-done")),
        name="password-reset",
    ),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("portal:password-reset-complete")
        ),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    path("statements/", views.statement_list, name="statement-list"),
    path("statements/<str:number>/", views.statement_detail, name="statement-detail"),
    path("statements/<str:number>/pdf/", views.statement_pdf, name="statement-pdf"),
]
