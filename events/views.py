from django.shortcuts import render


def index(request, pk=None):
    return render(request, "coming_soon.html", {"section": "events"})
