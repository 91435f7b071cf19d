"""tg's monitoring: measure, judge, render, alert and remember.

``config``     the judged metrics, their targets, thresholds and weights; settings
``collect``    the report's sections, each a fixed number of aggregate queries
``health``     metric states, the health score rule and the status
``report``     ``build_report``: the one plain-data report every output starts from
``render``     text, JSON, Prometheus and alert messages from that data
``alerting``   email and webhook delivery, cooldown and recovery notices
``snapshots``  one stored snapshot per run, pruned after the retention period

``config`` is imported by tg/settings before the app registry exists, so this package
imports ``report`` (and through it the models) only when ``build_report`` is asked for.
"""

__all__ = ["Report", "build_report"]


def __getattr__(name: str):
    if name in __all__:
        from oversight.monitoring import report

        return getattr(report, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
