from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts.forms import ProfileForm
from groups.models import Membership, PartyStaff


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile has been saved.")
        return redirect("accounts:profile")
    context = {
        "form": form,
        # Roles come from memberships and party staff records, never from a flag on the user.
        "memberships": Membership.objects.of_user(request.user),
        "staff_roles": PartyStaff.objects.filter(user=request.user).select_related("party"),
    }
    return render(request, "accounts/profile.html", context)
