"""The phone's activation page: `/activate/#<code>` from the badge's QR code.

The code travels in the URL's fragment, which browsers never send: no server
or proxy log holds it. static/js/activate.js moves it from the fragment into
the form (and out of the address bar) and submits it; without JavaScript the
observer types the code. A good code opens a web session on this phone and
goes to the report form, in the observer's language."""

from django.conf import settings
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .auth import ActivationFailureThrottle
from .credentials import ActivationRefused, credential_activate
from .forms import ActivationForm
from .models import RosterEntry

SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


@never_cache
@require_http_methods(["GET", "POST"])
def activate(request):
    if request.method == "GET":
        return render(request, "roster/activate.html", {"form": ActivationForm()})
    form = ActivationForm(request.POST)
    throttle = ActivationFailureThrottle()
    if throttle.blocked(request):
        form.add_error(None, translation.gettext("Too many wrong codes from this network. Wait a while and try again."))
        return render(request, "roster/activate.html", {"form": form}, status=429)
    if not form.is_valid():
        return render(request, "roster/activate.html", {"form": form}, status=400)
    try:
        activation = credential_activate(code=form.cleaned_data["code"], device_label=form.cleaned_data["device_label"], issue_token=False)
    except ActivationRefused as exc:
        throttle.record_failure(request)
        form.add_error("code", exc.message)
        return render(request, "roster/activate.html", {"form": form, "refusal": exc.code}, status=exc.status)
    user = activation.observer.user
    login(request, user, backend=SESSION_BACKEND)
    # The observer's start page (the report form), as after a password login.
    response = redirect(settings.LOGIN_REDIRECT_URL)
    language = RosterEntry.objects.filter(observer=activation.observer).values_list("language", flat=True).first()
    if language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.SESSION_COOKIE_AGE, samesite="Lax")
    return response
