"""Clusters of seats: packages of agreements that each party accepts or rejects as a whole,
and their local consultation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from groups.models import Party
from groups.permissions import user_staff_party_ids
from seats import packages as package_services
from seats.forms import PackageCommentForm, PackageForm, PackageSeatForm, PartyActionForm
from seats.models import Agreement, AgreementPackage
from seats.permissions import (
    package_get_for_reader,
    package_get_for_staff,
    package_organiser_groups,
    party_staff_required,
)
from seats.views.common import PAGE_SIZE, next_election


def _staff_party_ids(user) -> set[int]:
    if user.is_superuser:
        return set(Party.objects.values_list("pk", flat=True))
    return user_staff_party_ids(user)


@login_required
def package_list(request):
    """Party staff: the packages their parties are in."""
    party_staff_required(request.user)
    packages = (
        AgreementPackage.objects.filter(
            agreements__parties__party_id__in=_staff_party_ids(request.user)
        )
        .distinct()
        .select_related("election")
        .prefetch_related("agreements__constituency", "agreements__parties__party")
        .order_by("-updated_at", "pk")
    )
    page = Paginator(packages, PAGE_SIZE).get_page(request.GET.get("page"))
    for package in page.object_list:
        package.balance_sentence = package_services.package_balance_sentence(
            package_services.package_balance(package.agreements.all())
        )
    return render(request, "seats/package_list.html", {"page_obj": page})


@login_required
def package_create(request):
    party_staff_required(request.user)
    initial = {"election": request.GET.get("election") or getattr(next_election(), "slug", None)}
    form = PackageForm(
        request.POST or None, initial=initial, party_ids=_staff_party_ids(request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            package = package_services.package_propose(
                user=request.user,
                election=form.cleaned_data["election"],
                name=form.cleaned_data["name"],
                agreements=list(form.cleaned_data["agreements"]),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Package proposed. Each party's staff must now accept it.")
            return redirect(package)
    return render(request, "seats/package_form.html", {"form": form})


def package_detail(request, pk):
    """Agreed packages are public; a package under negotiation is for the staff of its parties,
    and (while open to consultation) the organisers of the groups covering its seats, who never
    see the red lines."""
    package, who = package_get_for_reader(user=request.user, pk=pk)
    agreements = list(
        package.agreements.select_related("constituency").prefetch_related(
            "parties__party", "acceptances"
        )
    )
    balance = package_services.package_balance(agreements)
    party_ids = {link.party_id for a in agreements for link in a.parties.all()}
    parties = Party.objects.filter(pk__in=party_ids).order_by("name")
    accepted = {a.party_id: a for a in package.acceptances.all()}
    context = {
        "package": package,
        "who": who,
        "agreements": agreements,
        "balance": balance,
        "balance_sentence": package_services.package_balance_sentence(balance),
        "party_rows": [(party, accepted.get(party.pk)) for party in parties],
        "ledger": None,
    }
    if who in ("staff", "organiser"):
        context["comments"] = package.comments.select_related("group", "author")
    if who == "organiser":
        context["comment_form"] = PackageCommentForm(
            groups=package_organiser_groups(user=request.user, package=package)
        )
    if who == "staff":
        mine = parties.filter(pk__in=_staff_party_ids(request.user))
        addable = (
            Agreement.objects.live()
            .filter(election=package.election, package__isnull=True)
            .involving(_staff_party_ids(request.user))
            .select_related("constituency")
            .prefetch_related("parties__party")
        )
        context.update(
            history=package.history.select_related("actor"),
            accept_form=PartyActionForm(parties=mine, prefix="accept", with_reason=False),
            reject_form=PartyActionForm(parties=mine, prefix="reject"),
            add_form=PackageSeatForm(agreements=addable, prefix="add"),
            remove_form=PackageSeatForm(agreements=package.agreements.all(), prefix="remove"),
            groups_consulted=package_services.package_consulted_groups(package),
        )
    return render(request, "seats/package_detail.html", context)


def _party_action(request, pk, prefix, action):
    package = package_get_for_staff(user=request.user, pk=pk)
    parties = Party.objects.filter(pk__in=package_services.package_party_ids(package))
    form = PartyActionForm(
        request.POST, parties=parties, prefix=prefix, with_reason=prefix == "reject"
    )
    if not form.is_valid():
        messages.error(request, "Choose one of the parties in this package.")
        return redirect(package)
    try:
        action(package=package, party=form.cleaned_data["party"], form=form)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(package)


@login_required
@require_POST
def package_accept(request, pk):
    def accept(*, package, party, form):
        package_services.package_accept(package=package, user=request.user, party=party)
        messages.success(request, f"Accepted the whole package for {party.name}.")

    return _party_action(request, pk, "accept", accept)


@login_required
@require_POST
def package_reject(request, pk):
    def reject(*, package, party, form):
        package_services.package_reject(
            package=package, user=request.user, party=party, reason=form.cleaned_data["reason"]
        )
        messages.success(request, f"{party.name} rejected the package.")

    return _party_action(request, pk, "reject", reject)


@login_required
@require_POST
def package_seats(request, pk):
    """Add a seat to the package, or remove one: either way every acceptance is reset."""
    package = package_get_for_staff(user=request.user, pk=pk)
    adding = "add-agreement" in request.POST
    if adding:
        choices = Agreement.objects.live().filter(election=package.election, package__isnull=True)
    else:
        choices = package.agreements.all()
    form = PackageSeatForm(request.POST, agreements=choices, prefix="add" if adding else "remove")
    if not form.is_valid():
        messages.error(request, "Choose a seat.")
        return redirect(package)
    change = (
        package_services.package_agreement_add
        if adding
        else package_services.package_agreement_remove
    )
    try:
        change(package=package, user=request.user, agreement=form.cleaned_data["agreement"])
        messages.success(request, "Package changed: every party must accept it again.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(package)


@login_required
@require_POST
def package_consult(request, pk):
    package = package_get_for_staff(user=request.user, pk=pk)
    package_services.package_consultation_open(package=package, user=request.user)
    messages.success(request, "Organisers of the groups covering these seats can now comment.")
    return redirect(package)


@login_required
@require_POST
def package_comment(request, pk):
    package, who = package_get_for_reader(user=request.user, pk=pk)
    groups = package_organiser_groups(user=request.user, package=package)
    if who != "organiser" and not groups.exists():
        raise PermissionDenied("Only organisers of the groups covering these seats comment.")
    form = PackageCommentForm(request.POST, groups=groups)
    if form.is_valid():
        package_services.package_comment_add(
            package=package, user=request.user, **form.cleaned_data
        )
        messages.success(request, "Thank you: the parties' staff will read your comment.")
    else:
        messages.error(request, "Choose your group and write a comment (2,000 characters at most).")
    return redirect(package)
