"""Swarmdeck settings: everything comes from the environment, with safe development defaults."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_int, env_list, env_networks, env_secret, env_str
from .private_files import local_redis_url, secret_file

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("SWARMDECK_DATA_DIR", str(BASE_DIR / "var")))
# The database, the keys and Redis's files: for the panel's user alone (dashboard/private_files.py;
# bin/run and the container's entrypoint also tighten a directory an older release created).
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
# Production mode: behind a real host name, nothing is guessed.
PRODUCTION = env_bool("SWARMDECK_PRODUCTION", False)
if PRODUCTION and DEBUG:
    # DEBUG pages show settings, environment and source to whoever triggers an error.
    raise ImproperlyConfigured("DEBUG must be off in production mode.")


def _secret_key() -> str:
    key = env_secret("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required in production mode.")
    # Generated once and kept private, so sessions survive restarts without a key in the code.
    return secret_file(DATA_DIR / "secret_key", nbytes=50)


SECRET_KEY = _secret_key()

# How users reach the panel: the host of the printed activation link, and an allowed host name.
SWARMDECK_URL = env_str("SWARMDECK_URL").rstrip("/")
_URL_HOST = urlsplit(SWARMDECK_URL).hostname if SWARMDECK_URL else None
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
if _URL_HOST and _URL_HOST not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_URL_HOST)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required in production mode.")
# The container's health check asks http://127.0.0.1/healthz from inside the container.
ALLOWED_HOSTS += [host for host in ("127.0.0.1", "localhost") if host not in ALLOWED_HOSTS]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "axes",
    # django-ninja: its bundled Swagger UI (static files and template) for the API's docs page.
    "ninja",
    "dashboard",
    "accounts",
    "services",
    "jobs",
    "history",
    "watcher",
    "updates",
    "logs",
    "nodes",
    "stacks",
    "networks",
    "swarm_secrets",
    "configs",
    "metrics",
    "users",
    "api",
    "hooks",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before activation every URL leads to the activation page; after it, every view needs a login
    # unless marked @login_not_required (accounts/access.py).
    "accounts.access.ActivationGateMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.sessions.SessionLifetimeMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dashboard.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
ASGI_APPLICATION = "dashboard.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.role",
            ],
        },
    },
]

# SQLite is the embedded default. Web, worker and watcher write at once: WAL lets readers run
# beside the writer, IMMEDIATE takes the write lock up front (no upgrade deadlock) and the
# timeout makes a writer wait instead of failing with "database is locked".
SQLITE_PATH = Path(env_str("SWARMDECK_SQLITE_PATH", str(DATA_DIR / "swarmdeck.sqlite3")))
DATABASE_URL = env_secret("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not memory, so the worker and server processes of the tests share it.
            "TEST": {"NAME": env_str("SWARMDECK_TEST_SQLITE_PATH", str(DATA_DIR / "test.sqlite3"))},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"

# First run: the server prints an activation link with a one-time token that expires.
SWARMDECK_SETUP_TOKEN_MINUTES = env_int("SWARMDECK_SETUP_TOKEN_MINUTES", 30)

# Brute force: a client address is locked after repeated failures, whatever user names it tried.
# Never a user name on its own: anyone could then lock the administrator out from anywhere.
AXES_FAILURE_LIMIT = env_int("SWARMDECK_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SWARMDECK_LOGIN_LOCK_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The image collects its static files at build time, outside the data volume.
STATIC_ROOT = Path(env_str("SWARMDECK_STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Served by WhiteNoise from the ASGI server itself; no separate web server needed. `collectstatic`
# (bin/run, bin/test, the image build) names each file by its content's hash and adds a gzip copy;
# WhiteNoise serves those names with a cache of ten years, as they change when the content does.
# A static file edited while the panel runs shows after the next `make run`.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Served over HTTPS (production default): secure cookies, redirect to HTTPS, HSTS.
HTTPS = env_bool("SWARMDECK_HTTPS", PRODUCTION)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("SWARMDECK_HSTS_SECONDS", 31536000) if HTTPS else 0
# Opt-in: both bind every subdomain of the panel's domain to HTTPS for as long as browsers remember
# (preload: for good, through the browsers' built-in list), which the panel cannot know is wanted.
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS and env_bool("SWARMDECK_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = HTTPS and env_bool("SWARMDECK_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]  # the two opt-ins above
if env_bool("SWARMDECK_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the client:
# failed logins are counted per client address, so behind a proxy that is not listed here every
# client would share the proxy's address. A request from any other address names itself.
SWARMDECK_TRUSTED_PROXIES = env_networks("SWARMDECK_TRUSTED_PROXIES")
# /metrics (metrics/): a scraper shows this bearer token, or comes from one of these networks
# (this machine only, unless set).
SWARMDECK_METRICS_TOKEN = env_secret("SWARMDECK_METRICS_TOKEN")
SWARMDECK_METRICS_NETWORKS = env_networks("SWARMDECK_METRICS_NETWORKS") or ["127.0.0.0/8", "::1/128"]
# The JSON API (/api/v1/): calls a personal token may make a minute, counted across web processes
# in Redis (api/ratelimit.py); past it, a 429 with Retry-After.
SWARMDECK_API_RATE_PER_MINUTE = env_int("SWARMDECK_API_RATE_PER_MINUTE", 120)

# Sessions end after this long without a request the user made (a page left open, whose live
# updates re-read it, does not count), and in any case this long after the login.
SWARMDECK_SESSION_IDLE_MINUTES = env_int("SWARMDECK_SESSION_IDLE_MINUTES", 12 * 60)
SWARMDECK_SESSION_MAX_HOURS = env_int("SWARMDECK_SESSION_MAX_HOURS", 7 * 24)
SESSION_COOKIE_AGE = SWARMDECK_SESSION_MAX_HOURS * 3600
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# Redis carries the Channels layer and the Celery broker.
# Unset: the panel's own Redis (bin/run, the all-in-one container), which asks for a generated password.
REDIS_URL = env_secret("REDIS_URL") or local_redis_url(DATA_DIR, env_int("SWARMDECK_REDIS_PORT", 6390))
# Redis pub/sub: a group message is published once and each web process hands it to its own sockets,
# so 200 viewers cost one Redis message a process, not a list per socket; and sockets share one
# connection a process instead of a pool that ran out at 20 handshakes at a time (bench/README.md).
# A message nobody listens to is dropped: pushes are never the truth, a reconnecting page re-reads.
CHANNEL_LAYERS = {
    "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# The worker runs each job in a thread of its own (every `celery -A dashboard worker` reads these,
# so no command line names a pool): a job spends nearly all its time waiting on the engine while it
# follows a rollout, for seconds to minutes, so with a few slots a burst of jobs would queue behind
# the first rollouts. 64 runs a burst of 50 jobs at once with room to spare, and costs nothing until
# that many run (threads are made on demand). What it bounds: each running job holds one database
# connection (Celery's Django fixup closes it when the job ends), so 64 leaves PostgreSQL's default
# max_connections of 100 room for the web server and the watchers; and each polls the engine twice
# a second, the load a burst puts on the manager.
CELERY_WORKER_POOL = "threads"
CELERY_WORKER_CONCURRENCY = env_int("SWARMDECK_WORKER_THREADS", 64)
# A message is acknowledged once its job returns, and the worker reserves no more messages than it
# has threads: a worker that dies mid-job leaves its messages unacknowledged, and Redis hands them
# back after the visibility timeout below. (Rejecting on a lost worker only matters to the prefork
# pool, whose child processes can die alone.)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# No task time limit: Celery enforces one only in the prefork and gevent pools (a thread cannot be
# stopped). Each job bounds itself: every engine call by SWARMDECK_DOCKER_TIMEOUT, retries by their
# counts, following a rollout by SWARMDECK_ROLLOUT_TIMEOUT; the update of the panel's own container
# waits for its helper, whose wait for health has a deadline, or until the job is reaped; a job whose
# heartbeat stops is resumed by another thread or, after SWARMDECK_JOB_REAP_SECONDS, failed.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request must not hang when Redis is down: give up fast and tell the user.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
# A message a dead worker held comes back after the visibility timeout; the job then resumes
# if its heartbeat is older than SWARMDECK_JOB_STALE_SECONDS (a live worker keeps it fresh).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 3,
    "socket_timeout": 5,
    "visibility_timeout": env_int("SWARMDECK_JOB_VISIBILITY_TIMEOUT", 120),
    "unacked_restore_interval": 5,
    "unacked_restore_throttle": 1,
}
CELERY_BEAT_SCHEDULE = {
    "reap-stale-jobs": {"task": "jobs.celery_tasks.reap_stale_jobs_task", "schedule": 30.0},
    # Every minute: is an update check due by the schedule stored in the database? (Changing the
    # schedule on the Updates page then needs no restart.)
    "update-check-due": {"task": "updates.celery_tasks.update_check_due_task", "schedule": 60.0},
    # Hourly by default: remove what is past its keeping time (dashboard/retention.py; the days below).
    "retention": {
        "task": "dashboard.celery_tasks.retention_task",
        "schedule": float(env_int("SWARMDECK_RETENTION_SECONDS", 3600)),
    },
    # Every 15 s: the notification rules against what the watcher recorded (notifications/incidents.py).
    "notifications-evaluate": {
        "task": "notifications.celery_tasks.notifications_evaluate_task",
        "schedule": float(env_int("SWARMDECK_NOTIFICATIONS_SECONDS", 15)),
    },
}
SWARMDECK_JOB_STALE_SECONDS = env_int("SWARMDECK_JOB_STALE_SECONDS", 30)
SWARMDECK_JOB_REAP_SECONDS = env_int("SWARMDECK_JOB_REAP_SECONDS", 600)
SWARMDECK_JOB_CONFLICT_RETRIES = env_int("SWARMDECK_JOB_CONFLICT_RETRIES", 3)
# A transient engine error (connection refused, a timeout, a 5xx) runs the job's step again this
# many times, after 2, 4, 8... seconds, before the job fails with it.
SWARMDECK_JOB_ENGINE_RETRIES = env_int("SWARMDECK_JOB_ENGINE_RETRIES", 3)
SWARMDECK_JOB_ENGINE_RETRY_SECONDS = env_int("SWARMDECK_JOB_ENGINE_RETRY_SECONDS", 2)
SWARMDECK_ROLLOUT_TIMEOUT = env_int("SWARMDECK_ROLLOUT_TIMEOUT", 600)

# The Docker engine (a Swarm manager). Unset means the local socket.
DOCKER_HOST = env_str("DOCKER_HOST", "unix:///var/run/docker.sock")
DOCKER_TIMEOUT = env_int("SWARMDECK_DOCKER_TIMEOUT", 10)
# The Docker CLI that deploys and removes stacks (it does the compose translation, as `docker stack
# deploy` does): Debian's docker.io client, which the image carries too.
SWARMDECK_DOCKER_CLI = env_str("SWARMDECK_DOCKER_CLI", "/usr/bin/docker")
# Off: the forms refuse new mounts of host paths, since root in a service with one is root on the
# host. On, a mount of the Docker socket, /etc and the like still asks the user's password again.
SWARMDECK_ALLOW_BIND_MOUNTS = env_bool("SWARMDECK_ALLOW_BIND_MOUNTS", False)
# The panel's health: the watcher whose heartbeat /healthz asks about (its own, in the all-in-one
# container); unset, any watcher's. A heartbeat older than this means the watcher is stuck or gone.
SWARMDECK_HEALTH_WATCHER = env_str("SWARMDECK_HEALTH_WATCHER")
# False for the watchers on worker nodes (docker/stack.yml), which hold no Redis credentials: they
# record what they see and publish no hints; browsers learn of it on the next re-read.
SWARMDECK_WATCHER_PUBLISH = env_bool("SWARMDECK_WATCHER_PUBLISH", True)
# PostgreSQL role of those watchers: `migrate_locked` grants it the history tables, nothing else.
SWARMDECK_NODE_WATCHER_DB_USER = env_str("SWARMDECK_NODE_WATCHER_DB_USER")
SWARMDECK_WATCHER_STALE_SECONDS = env_int("SWARMDECK_WATCHER_STALE_SECONDS", 90)

# Updates: SWARMDECK_AUTO_UPDATE, when set, fixes the panel's own auto-update flag (the page then
# shows it as fixed); unset, the flag stored by the wizard or the Updates page decides.
SWARMDECK_AUTO_UPDATE = env_bool("SWARMDECK_AUTO_UPDATE", None)
# An update is given this long to become healthy before Swarm (or the helper) rolls it back.
SWARMDECK_UPDATE_MONITOR_SECONDS = env_int("SWARMDECK_UPDATE_MONITOR_SECONDS", 120)
# The same image is not updated to again within this many seconds (a tag that keeps moving back).
SWARMDECK_UPDATE_COOLDOWN_SECONDS = env_int("SWARMDECK_UPDATE_COOLDOWN_SECONDS", 3600)

# Task and restart history is kept this long (Swarm itself keeps only 5 tasks per slot).
SWARMDECK_HISTORY_DAYS = env_int("SWARMDECK_HISTORY_DAYS", 30)
# Finished jobs, the record of every change made through the panel, are kept this long (queued and
# running ones always); so are the sign-in records (django-axes' logs). Expired sessions, and the
# failed attempts of a lockout whose cool-off is over, go at the next retention run.
SWARMDECK_JOB_DAYS = env_int("SWARMDECK_JOB_DAYS", 90)
SWARMDECK_LOGIN_LOG_DAYS = env_int("SWARMDECK_LOGIN_LOG_DAYS", 90)

# Live logs: each open log page holds a thread and an engine stream in a web process, and a busy
# service's lines cost CPU to read even when the page drops them. These bound what readers can open
# (across all web processes), so a few forgotten tabs cannot slow the panel or the engine down.
SWARMDECK_LOG_STREAMS_PER_USER = env_int("SWARMDECK_LOG_STREAMS_PER_USER", 4)
SWARMDECK_LOG_STREAMS = env_int("SWARMDECK_LOG_STREAMS", 40)

# The console a person reads: daphne's access lines stay out, and so do Celery's lines about each
# run of a periodic task (LOG_LEVEL=DEBUG shows them).
_PERIODIC = {"filters": ["periodic_task_chatter"]}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"periodic_task_chatter": {"()": "dashboard.logfilters.PeriodicTaskChatter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        "celery.beat": _PERIODIC,
        "celery.app.trace": _PERIODIC,
        "celery.worker.strategy": _PERIODIC,
    },
}

# A compose file pasted into the stack form is refused in words past its 1 MiB limit (stacks/compose.py):
# the request itself may be a few MiB, rather than Django's 2.5 MiB answering a bare 400 before the form.
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024
