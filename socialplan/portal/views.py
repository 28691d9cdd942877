from django.shortcuts import render

from socialplan.plan.models import Plan


def home(request):
    plans = Plan.objects.select_related("municipality")
    return render(request, "portal/home.html", {"plans": plans})
