"""Judging the figures: each metric's state, the health score, the status and the alerts.

The score rule, in full:

* Every judged metric has an alert threshold and a weight (``config.METRICS``).
* A metric whose value crosses its threshold is ``breach`` and takes its weight off
  100; a metric within its threshold is ``ok``; a metric with nothing to measure in
  the period (no spends, no awards) is ``no_data`` and costs nothing.
* The score never goes below 0. ``healthy`` at 90 or more (the health score's own
  threshold), ``critical`` below 50, ``degraded`` in between.

Storytellers' decisions never enter the score: denials, refusals (``rejected``
outcomes such as not enough XP) and scenes waiting for their XP are reported but
judged by no metric. With tg's weights any single breach makes the system degraded,
and the gravest two together (integrity and scene awards) make it critical.
"""

from .config import MetricSpec, health_spec, option

HEALTHY = "healthy"
DEGRADED = "degraded"
CRITICAL = "critical"


def metric_state(spec: MetricSpec, value) -> str:
    if value is None:
        return "no_data"
    return "breach" if spec.breached(value) else "ok"


def status_for(score: float) -> str:
    if score >= health_spec().threshold:
        return HEALTHY
    return CRITICAL if score < option("CRITICAL_BELOW") else DEGRADED


def judge(specs: list[MetricSpec], values: dict, *, forced=frozenset()) -> dict:
    """``{"status", "health_score", "metrics", "alerts"}`` for the measured ``values``.

    ``values`` maps metric keys to numbers or None (no data). Keys in ``forced`` are a
    breach whatever their value (the endpoints' missing snapshot has no age at all).
    """
    metrics = {}
    alerts = []
    penalty = 0
    for spec in specs:
        value = values.get(spec.key)
        state = "breach" if spec.key in forced else metric_state(spec, value)
        metrics[spec.key] = _entry(spec, value, state)
        if state == "breach":
            penalty += spec.weight
            alerts.append(_alert(spec, value))
    score = max(0, 100 - penalty)
    health = health_spec()
    health_state = metric_state(health, score)
    metrics = {health.key: _entry(health, score, health_state), **metrics}
    if health_state == "breach":
        alerts.insert(0, _alert(health, score))
    return {
        "status": status_for(score),
        "health_score": score,
        "metrics": metrics,
        "alerts": alerts,
    }


def _entry(spec: MetricSpec, value, state: str) -> dict:
    return {
        "label": spec.label,
        "value": value,
        "unit": spec.unit,
        "target": spec.target,
        "threshold": spec.threshold,
        "alert_when": "below" if spec.below else "above",
        "weight": spec.weight,
        "state": state,
        "target_met": None if value is None else spec.target_met(value),
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
