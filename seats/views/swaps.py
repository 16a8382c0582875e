"""Vote swaps: register, see your match, confirm or cancel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import user_has_verified_email
from alliance.forms import form_errors_add
from seats import services
from seats.forms import SwapRegistrationForm
from seats.models import SwapStatus, VoteSwapRegistration


def vote_swap(request):
    """Explain swapping; register, see your match, confirm or cancel."""
    registration = swap = explanation = None
    offers = []
    verified = False
    if request.user.is_authenticated:
        verified = user_has_verified_email(request.user)
        registration = (
            VoteSwapRegistration.objects.filter(user=request.user)
            .select_related("preferred_party", "local_party", "constituency")
            .first()
        )
        swap = services.vote_swap_active_for(request.user)
        if registration and registration.status == SwapStatus.WAITING:
            explanation = services.vote_swap_queue_explanation(registration)
            offers = services.vote_swap_offers(registration)
    # Pre-filled from the seat's advice page (?constituency=<id>); only ever a form's initial.
    initial = {"constituency": request.GET.get("constituency")}
    if not (initial["constituency"] or "").isdigit():
        initial = {}
    form = SwapRegistrationForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        if form.is_valid():
            try:
                services.vote_swap_register(user=request.user, **form.cleaned_data)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            except ValidationError as error:
                form_errors_add(form, error)
            else:
                messages.success(
                    request, "You are in the queue. We will pair you as soon as we can."
                )
                return redirect("seats:swap")
    partner = None
    if swap and registration:
        mine = swap.a if swap.a_id == registration.pk else swap.b
        partner = swap.partner_of(mine)
        swap.my_side_confirmed = (
            swap.a_confirmed_at if swap.a_id == registration.pk else swap.b_confirmed_at
        )
    return render(
        request,
        "seats/vote_swap.html",
        {
            "form": form,
            "registration": registration,
            "swap": swap,
            "partner": partner,
            "explanation": explanation,
            "offers": offers,
            "verified": verified,
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def vote_swap_confirm(request, pk):
    try:
        swap = services.vote_swap_confirm(user=request.user, swap_id=pk)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    except services.VoteSwap.DoesNotExist:
        raise Http404("No such swap.")
    else:
        messages.success(
            request,
            "Confirmed. Your partner's contact details are below."
            if swap.state == "confirmed"
            else "Confirmed. We are waiting for your partner to confirm.",
        )
    return redirect("seats:swap")


@login_required
@require_POST
def vote_swap_cancel(request):
    services.vote_swap_cancel(user=request.user)
    messages.success(request, "You have left the vote swap.")
    return redirect("seats:swap")


@login_required
@require_POST
def vote_swap_choose(request):
    """Choose one of the partners offered: the swap is proposed, your side confirmed."""
    partner = request.POST.get("partner", "")
    try:
        services.vote_swap_choose(
            user=request.user,
            partner_id=int(partner) if partner.isdigit() and len(partner) < 10 else 0,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, "Swap proposed and confirmed on your side: we have emailed your partner."
        )
    return redirect("seats:swap")
