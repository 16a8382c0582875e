"""A signed-in person's own data: see it, download it (JSON), delete the account.

Kept apart from accounts/views.py (profile) so the two can change independently.
"""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts.services import user_data_export, user_delete
from groups.personal_data import groups_left_without_organiser


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label="Your password, to be sure it is you",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="I understand that my account and my personal data will be deleted for good.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


@login_required
@never_cache
def data_overview(request):
    data = user_data_export(user=request.user)
    sections = [
        (label.replace("_", " ").capitalize(), json.dumps(value, indent=2, default=str))
        for label, value in data.items()
        if label not in {"generated_at", "account"}
    ]
    return render(
        request,
        "accounts/data_overview.html",
        {"account": data["account"], "sections": sections},
    )


@login_required
@never_cache
def data_export(request):
    data = user_data_export(user=request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False, default=str),
        content_type="application/json; charset=utf-8",
    )
    filename = f"alliance-my-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@never_cache
def account_delete(request):
    # Not `request.POST or None`: an empty POST must show the errors, not a blank form.
    form = AccountDeleteForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user_delete(user=request.user)  # first: if it fails, they are still signed in
        logout(request)
        messages.success(request, "Your account and your personal data have been deleted.")
        return redirect("home")
    return render(
        request,
        "accounts/data_delete.html",
        {"form": form, "orphaned_groups": groups_left_without_organiser(request.user)},
    )
