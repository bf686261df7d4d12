from django.urls import path

from therapies import views

app_name = "therapies"

urlpatterns = [
    path("", views.therapy_list, name="list"),
    path("<slug:inn>/", views.therapy_detail, name="detail"),
]
