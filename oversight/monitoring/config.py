"""The monitored figures, their targets, alert thresholds and score weights; the
monitoring settings with their defaults and ranges.

``METRICS`` is the one list of what ``monitor_validation`` judges. Targets and
thresholds come from the deployment contract's monitoring table; tg adds the data
integrity count (any violation is a breach), whether the cache answers and, for the
HTTP endpoints only, the age of the last cron snapshot. ``TG_MONITORING`` in settings
may override any threshold, target or weight by metric key; everything else about the
rule lives here.

``OPTIONS`` is the one list of ``TG_MONITORING`` keys, defaults and ranges. This module
is imported by tg/settings (``from_environment``), so it must not import models.
"""

import difflib
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tg.settings.env import describe_range, env_int, env_list, env_str, in_range


@dataclass(frozen=True)
class MetricSpec:
    """One judged figure. ``below`` means the alert fires when the value drops under
    the threshold (rates); otherwise when it rises above it (times, counts)."""

    key: str
    label: str
    unit: str
    target: float
    threshold: float
    below: bool
    weight: int
    action: str
    # A rate or a percentile: judged only over at least MIN_SAMPLE operations, since one
    # slow or failed operation in a quiet hour says nothing about the system.
    sampled: bool = False

    def breached(self, value: float) -> bool:
        return value < self.threshold if self.below else value > self.threshold

    def target_met(self, value: float) -> bool:
        return value >= self.target if self.below else value <= self.target


HEALTH_SCORE = MetricSpec(
    key="health_score",
    label="Health score",
    unit="points",
    target=100,
    threshold=90,
    below=True,
    weight=0,
    action="Investigate: read the alerts above and run `manage.py monitor_validation --verbose`.",
)

METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        key="data_integrity_issues",
        label="Data integrity issues",
        unit="issues",
        target=0,
        threshold=0,
        below=False,
        weight=30,
        action=(
            "Data audit: `manage.py validate_data_integrity --verbose` shows the rows; "
            "`--fix` repairs the fixable ones."
        ),
    ),
    MetricSpec(
        key="xp_spend_success_rate",
        label="XP spend success",
        unit="%",
        target=95,
        threshold=90,
        below=True,
        weight=20,
        action=(
            "Review errors: `monitor_validation --verbose` lists the failed spends; "
            "look for their error class in the application log."
        ),
        sampled=True,
    ),
    MetricSpec(
        key="xp_spend_time_p95_ms",
        label="XP spend time (p95)",
        unit="ms",
        target=200,
        threshold=500,
        below=False,
        weight=15,
        action=(
            "Performance review: `monitor_validation --verbose` lists the slowest "
            "operations; check database load and long-running transactions."
        ),
        sampled=True,
    ),
    MetricSpec(
        key="scene_xp_award_success_rate",
        label="Scene XP award success",
        unit="%",
        target=100,
        threshold=99,
        below=True,
        weight=30,
        action=(
            "Fix now: a scene award failed for a reason other than a storyteller's "
            "input; `monitor_validation --verbose` and the application log name it."
        ),
        sampled=True,
    ),
    MetricSpec(
        key="constraint_violations_per_day",
        label="Constraint violations",
        unit="/day",
        target=0,
        threshold=10,
        below=False,
        weight=20,
        action=(
            "Data audit: the database refused writes that the code let through; run "
            "`validate_data_integrity --verbose` and find the code path in the log."
        ),
    ),
    MetricSpec(
        key="transaction_rollback_rate",
        label="Transaction rollbacks",
        unit="%",
        target=1,
        threshold=5,
        below=False,
        weight=15,
        action=(
            "Code review: XP operations are failing (errors, constraint violations, "
            "deadlocks); the application log has their tracebacks."
        ),
        sampled=True,
    ),
    MetricSpec(
        key="database_deadlocks_per_day",
        label="Database deadlocks",
        unit="/day",
        target=0,
        threshold=1,
        below=False,
        weight=15,
        action=(
            "Lock analysis: two transactions locked rows in different orders; check "
            "the PostgreSQL log (log_lock_waits) for the statements involved."
        ),
    ),
    MetricSpec(
        key="cache_available",
        label="Cache reachable (1 yes, 0 no)",
        unit="",
        target=1,
        threshold=1,
        below=True,
        weight=15,
        action=(
            "Restart or reach the cache: Redis at REDIS_URL does not answer. Pages are "
            "still served (sessions come from the database) but slower; /health/ stays 200."
        ),
    ),
)

MONITOR_STALE = MetricSpec(
    key="monitor_stale",
    label="Minutes since the last monitor run",
    unit="min",
    target=60,
    threshold=120,
    below=False,
    weight=15,
    action=(
        "The hourly `monitor_validation --json` cron job has not run: check cron, its "
        "log and that the command exits (it stores a snapshot on every run)."
    ),
)

MAX_PERIOD_HOURS = 24 * 366 * 10  # ten years: beyond it there is no data to read


@dataclass(frozen=True)
class Option:
    """One ``TG_MONITORING`` setting: its default, its type and allowed range, and the
    environment variable that sets it (if any)."""

    default: object
    kind: type
    env: str = ""
    minimum: float | None = None
    maximum: float | None = None
    url: bool = False  # a string that is empty or an http(s) URL with a host name

    def allowed(self) -> str:
        if self.url:
            return "an http(s) URL with a host name, or empty"
        kind = {int: "a whole number", float: "a number", str: "a string"}.get(
            self.kind, f"a {self.kind.__name__}"
        )
        return kind + describe_range(self.minimum, self.maximum)


# Every monitoring setting and its default, in one place. tg/settings lists only what
# the environment sets (``from_environment()``); docs/deployment/monitoring.md explains each.
OPTIONS: dict[str, Option] = {
    "ALERT_EMAILS": Option([], list, env="TG_ALERT_EMAILS"),
    "WEBHOOK_URL": Option("", str, env="TG_ALERT_WEBHOOK_URL", url=True),
    "WEBHOOK_TIMEOUT_SECONDS": Option(5.0, float, minimum=0.1, maximum=60),
    "ALERT_COOLDOWN_HOURS": Option(6, int, env="TG_ALERT_COOLDOWN_HOURS", minimum=0, maximum=8784),
    "SNAPSHOT_RETENTION_DAYS": Option(
        90, int, env="TG_MONITOR_RETENTION_DAYS", minimum=1, maximum=36600
    ),
    "OPERATION_RETENTION_DAYS": Option(
        90, int, env="TG_OPERATION_RETENTION_DAYS", minimum=1, maximum=36600
    ),
    "TOKEN": Option("", str, env="TG_MONITOR_TOKEN"),
    "STALE_AFTER_MINUTES": Option(
        120, int, env="TG_MONITOR_STALE_MINUTES", minimum=1, maximum=527040
    ),
    "ENDPOINT_PERIOD_HOURS": Option(24, int, minimum=1, maximum=MAX_PERIOD_HOURS),
    "ENDPOINT_CACHE_SECONDS": Option(
        60, int, env="TG_MONITOR_CACHE_SECONDS", minimum=0, maximum=86400
    ),
    "MIN_SAMPLE": Option(20, int, env="TG_MONITOR_MIN_SAMPLE", minimum=1, maximum=1_000_000),
    "VERBOSE_EXAMPLES": Option(5, int, minimum=1, maximum=1000),
    "CRITICAL_BELOW": Option(50, int, minimum=0, maximum=100),
    "THRESHOLDS": Option({}, dict),
    "TARGETS": Option({}, dict),
    "WEIGHTS": Option({}, dict),
}


def from_environment() -> dict:
    """The settings the environment sets, read and range-checked: for tg/settings.

    A value out of range stops start-up with a message naming the variable.
    """
    values = {}
    for name, spec in OPTIONS.items():
        if not spec.env:
            continue
        value: object
        if spec.kind is int:
            value = env_int(spec.env, None, minimum=spec.minimum, maximum=spec.maximum)
        elif spec.kind is list:
            value = env_list(spec.env) or None
        else:
            value = env_str(spec.env)
            if spec.url and value and not is_http_url(value):
                # Not repeated: a webhook URL often carries its secret in the path.
                raise ImproperlyConfigured(
                    f"{spec.env} must be {spec.allowed()}; the value is not repeated here "
                    "(it may hold a secret)."
                )
        if value is not None:
            values[name] = value
    return values


def is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed "[" in the host
        return False


def option(name: str):
    """One ``TG_MONITORING`` value, falling back to tg's default."""
    return getattr(settings, "TG_MONITORING", {}).get(name, OPTIONS[name].default)


OVERRIDABLE = (("threshold", "THRESHOLDS"), ("target", "TARGETS"), ("weight", "WEIGHTS"))


def validate() -> None:
    """Refuse a ``TG_MONITORING`` that cannot mean what its author wanted, with one line
    naming the key: an unknown setting (a typo would silently leave the default in
    force), a value of the wrong type or out of range, an override of an unknown metric."""
    configured = getattr(settings, "TG_MONITORING", {})
    if not isinstance(configured, dict):
        raise ImproperlyConfigured("TG_MONITORING must be a dict.")
    for name, value in configured.items():
        spec = OPTIONS.get(name)
        if spec is None:
            close = difflib.get_close_matches(str(name), OPTIONS, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(OPTIONS)}."
            raise ImproperlyConfigured(
                f"TG_MONITORING[{name!r}] is not a monitoring setting; {hint}"
            )
        if not _valid(spec, value):
            source = f" (environment variable {spec.env})" if spec.env else ""
            shown = (
                "; the value is not repeated here (it may hold a secret)"
                if spec.url
                else f", not {value!r}"
            )
            raise ImproperlyConfigured(
                f"TG_MONITORING[{name!r}]{source} must be {spec.allowed()}{shown}."
            )
    check_overrides()


def _valid(spec: Option, value) -> bool:
    if spec.url:
        return isinstance(value, str) and (value == "" or is_http_url(value))
    if spec.kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif spec.kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif spec.kind is list:
        ok = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
    else:
        ok = isinstance(value, spec.kind)
    return ok and (spec.kind not in (int, float) or in_range(value, spec.minimum, spec.maximum))


def check_overrides() -> None:
    """Refuse overrides that name no metric or are not numbers: a typo in a threshold
    must not silently leave the default in force."""
    known = {spec.key for spec in (HEALTH_SCORE, *METRICS, MONITOR_STALE)}
    for _field, setting in OVERRIDABLE:
        for key, value in option(setting).items():
            if key not in known:
                raise ImproperlyConfigured(
                    f"TG_MONITORING[{setting!r}] names an unknown metric {key!r}; "
                    f"known metrics: {', '.join(sorted(known))}."
                )
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ImproperlyConfigured(
                    f"TG_MONITORING[{setting!r}][{key!r}] must be a number, not {value!r}."
                )


def _configured(spec: MetricSpec) -> MetricSpec:
    changes = {}
    for field, setting in OVERRIDABLE:
        overrides = option(setting)
        if spec.key in overrides:
            changes[field] = overrides[spec.key]
    return replace(spec, **changes) if changes else spec


def metric_specs(*, with_staleness: bool = False) -> list[MetricSpec]:
    """The judged metrics with settings applied; the staleness metric for endpoints only."""
    validate()
    specs = [_configured(spec) for spec in METRICS]
    if with_staleness:
        specs.append(stale_spec())
    return specs


def stale_spec() -> MetricSpec:
    """The age of the last snapshot as judged: ``STALE_AFTER_MINUTES`` is its threshold
    (a ``THRESHOLDS`` override of ``monitor_stale`` wins, as for any metric)."""
    return _configured(replace(MONITOR_STALE, threshold=option("STALE_AFTER_MINUTES")))


def health_spec() -> MetricSpec:
    return _configured(HEALTH_SCORE)
