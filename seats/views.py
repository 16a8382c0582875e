from django.core.paginator import Paginator
from django.shortcuts import render

from seats.models import Constituency


def seat_list(request):
    constituencies = Constituency.objects.current().search(request.GET.get("q", "").strip())
    page = Paginator(constituencies, 50).get_page(request.GET.get("page"))
    return render(request, "seats/constituency_list.html", {"page_obj": page})
