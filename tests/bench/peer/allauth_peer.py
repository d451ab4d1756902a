"""The django-allauth peer: CPU per login POST against one argon2id verify, in one process.

Runs inside the peer's own virtual environment (tests/bench/peer/__init__.py makes it), never in
the project's: `python allauth_peer.py '{"n": 40, "memory_kib": 19456, "time_cost": 2, "parallelism": 1}'`
prints one JSON line. A minimal Django project in this file: django.contrib.auth and sessions on
SQLite (a file, as a deployed SQLite would be), django-allauth's account app with email login,
mandatory verification (the account's address is verified) and its rate limits on (raised so 40
logins a minute pass), and a PASSWORD_HASHERS of one argon2id hasher with our parameters. A login
is a POST of the email and password to allauth's login view from a fresh test client (a new
browser, as ours) answered by its redirect; Django's test client skips the CSRF check.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time

ARGS = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
N = int(ARGS.get("n", 40))
EMAIL, PASSWORD = "peer@example.com", "a quiet harbour at dawn"

import django  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import Argon2PasswordHasher  # noqa: E402


class GatehouseArgon2(Argon2PasswordHasher):
    """Django's argon2id hasher with Gatehouse's parameters (its defaults differ)."""

    time_cost = int(ARGS.get("time_cost", 2))
    memory_cost = int(ARGS.get("memory_kib", 19456))
    parallelism = int(ARGS.get("parallelism", 1))


sys.modules.setdefault("peer_hashers", sys.modules[__name__])
workdir = tempfile.mkdtemp(prefix="allauth-peer-")
settings.configure(
    DEBUG=False, SECRET_KEY="peer-bench-not-secret", ALLOWED_HOSTS=["testserver"], ROOT_URLCONF=__name__,
    USE_TZ=True, SITE_ID=1,
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(workdir, "db.sqlite3")}},
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
                    "django.contrib.messages", "django.contrib.sites", "allauth", "allauth.account"],
    MIDDLEWARE=["django.middleware.security.SecurityMiddleware",
                "django.contrib.sessions.middleware.SessionMiddleware",
                "django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware",
                "django.contrib.auth.middleware.AuthenticationMiddleware",
                "django.contrib.messages.middleware.MessageMiddleware",
                "allauth.account.middleware.AccountMiddleware"],
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
                "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                                   "django.contrib.auth.context_processors.auth",
                                                   "django.contrib.messages.context_processors.messages"]}}],
    AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend",
                             "allauth.account.auth_backends.AuthenticationBackend"],
    PASSWORD_HASHERS=["peer_hashers.GatehouseArgon2"],
    ACCOUNT_LOGIN_METHODS={"email"}, ACCOUNT_SIGNUP_FIELDS=["email*", "password1*", "password2*"],
    ACCOUNT_EMAIL_VERIFICATION="mandatory", ACCOUNT_UNIQUE_EMAIL=True,
    ACCOUNT_RATE_LIMITS={"login": "100000/m/ip", "login_failed": "100000/m/ip,100000/5m/key"},
    LOGIN_REDIRECT_URL="/", EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
)
django.setup()

from django.urls import include, path  # noqa: E402

urlpatterns = [path("accounts/", include("allauth.urls"))]


def main() -> None:
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import get_hasher
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0, interactive=False)
    user = get_user_model().objects.create_user(username="peer", email=EMAIL, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=EMAIL, verified=True, primary=True)
    hasher = get_hasher()
    encoded = user.password

    def login() -> None:
        r = Client().post("/accounts/login/", {"login": EMAIL, "password": PASSWORD})
        assert r.status_code == 302 and r.headers["Location"] == "/", (r.status_code, r.content[:300])

    def verify() -> None:
        assert hasher.verify(PASSWORD, encoded)

    login(), verify()  # the first calls import, compile templates and URL patterns, allocate
    samples: list[list[float]] = [[], []]
    for _ in range(N):  # interleaved, as ours: a change of the machine's load weighs on both alike
        for once, out in zip((login, verify), samples, strict=True):
            started = time.process_time()
            once()
            out.append(time.process_time() - started)

    def summary(values: list[float]) -> dict[str, float]:
        return {"mean_ms": statistics.fmean(values) * 1000, "median_ms": statistics.median(values) * 1000,
                "min_ms": min(values) * 1000}

    logins, hashes = samples
    out = {"n": N, "login": summary(logins), "hash": summary(hashes),
           "efficiency": statistics.fmean(hashes) / statistics.fmean(logins),
           "params": f"m={hasher.memory_cost} KiB, t={hasher.time_cost}, p={hasher.parallelism}",
           "django": django.get_version(), "allauth": _version("django-allauth"),
           "hash_prefix": encoded.split("$", 4)[:4]}
    print(json.dumps(out))


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    main()
