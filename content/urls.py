from django.urls import path

from content import views

app_name = "content"

urlpatterns = [
    path("articles/", views.article_list, name="articles"),
    path("articles/<slug:slug>/", views.article_detail, name="article"),
    path("glossary/", views.glossary, name="glossary"),
    path("search/", views.search, name="search"),
]
