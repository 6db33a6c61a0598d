"""URLs: each part of the clinic brings its own; this file only includes them (URL names are
global, as they were: no namespaces)."""

from django.urls import include, path

from weizhong.clinic.api import api

handler500 = "weizhong.clinic.web.dashboard.server_error"

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("weizhong.clinic.web.urls")),
    path("", include("weizhong.clinic.interop.urls")),
    path("", include("weizhong.clinic.portal.urls")),
]
