"""Judging the figures: each metric's state, the health score, the status and the alerts.

The score rule, in full:

* Every judged metric has an alert threshold and a weight (``config.METRICS``).
* A metric whose value crosses its threshold is ``breach`` and takes its weight off
  100; a metric within its threshold is ``ok``; a metric with nothing to measure in
  the period (no spends, no awards) is ``no_data`` and costs nothing.
* A rate or a percentile measured over fewer than ``MIN_SAMPLE`` operations (20 by
  default) is ``insufficient_data``: reported with its value and sample, never judged,
  so one slow or failed spend in a quiet night cannot degrade the system.
* The score never goes below 0. ``healthy`` at 90 or more (the health score's own
  threshold), ``critical`` below 50, ``degraded`` in between.

Storytellers' decisions never enter the score: denials, refusals (``rejected``
outcomes such as not enough XP) and scenes waiting for their XP are reported but
judged by no metric. With tg's weights any single breach makes the system degraded,
and the gravest two together (integrity and scene awards) make it critical.
"""

from oversight.monitoring.config import MetricSpec, health_spec, option

HEALTHY = "healthy"
DEGRADED = "degraded"
CRITICAL = "critical"

# Metric states
OK = "ok"
BREACH = "breach"
NO_DATA = "no_data"
INSUFFICIENT_DATA = "insufficient_data"


def metric_state(spec: MetricSpec, value, sample: int | None = None) -> str:
    if value is None:
        return NO_DATA
    if spec.sampled and sample is not None and sample < option("MIN_SAMPLE"):
        return INSUFFICIENT_DATA
    return BREACH if spec.breached(value) else OK


def status_for(score: float) -> str:
    if score >= health_spec().threshold:
        return HEALTHY
    return CRITICAL if score < option("CRITICAL_BELOW") else DEGRADED


def judge(
    specs: list[MetricSpec],
    values: dict,
    *,
    samples: dict | None = None,
    forced=frozenset(),
) -> dict:
    """``{"status", "health_score", "metrics", "alerts"}`` for the measured ``values``.

    ``values`` maps metric keys to numbers or None (no data); ``samples`` maps the keys
    of rates and percentiles to the number of operations they were measured over. Keys
    in ``forced`` are a breach whatever their value (the endpoints' missing snapshot
    has no age at all).
    """
    samples = samples or {}
    metrics = {}
    alerts = []
    penalty = 0
    for spec in specs:
        value = values.get(spec.key)
        sample = samples.get(spec.key)
        state = BREACH if spec.key in forced else metric_state(spec, value, sample)
        metrics[spec.key] = _entry(spec, value, state, sample)
        if state == BREACH:
            penalty += spec.weight
            alerts.append(_alert(spec, value))
    score = max(0, 100 - penalty)
    health = health_spec()
    health_state = metric_state(health, score)
    metrics = {health.key: _entry(health, score, health_state), **metrics}
    if health_state == BREACH:
        alerts.insert(0, _alert(health, score))
    return {
        "status": status_for(score),
        "health_score": score,
        "metrics": metrics,
        "alerts": alerts,
    }


def _entry(spec: MetricSpec, value, state: str, sample: int | None = None) -> dict:
    judged = state in (OK, BREACH)
    return {
        "label": spec.label,
        "value": value,
        "unit": spec.unit,
        "target": spec.target,
        "threshold": spec.threshold,
        "alert_when": "below" if spec.below else "above",
        "weight": spec.weight,
        "state": state,
        "target_met": spec.target_met(value) if judged and value is not None else None,
        "sample": sample if spec.sampled else None,
        "min_sample": option("MIN_SAMPLE") if spec.sampled else None,
    }


def _alert(spec: MetricSpec, value) -> dict:
    return {
        "metric": spec.key,
        "label": spec.label,
        "value": value,
        "threshold": spec.threshold,
        "unit": spec.unit,
        "alert_when": "below" if spec.below else "above",
        "action": spec.action,
    }
