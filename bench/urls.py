"""URLs of the bench settings: the app's URLs plus a hello-world reference view."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns


def hello(request):
    return HttpResponse("Hello, world")


urlpatterns = [path("bench/hello", hello), *app_urlpatterns]
