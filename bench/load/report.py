"""Summarise a load run: per page requests, latency percentiles, failures, and 5xx.

    python bench/load/report.py bench/load/results

Reads what bench/load/run.sh leaves in the results directory: Locust's statistics
(load_stats.csv), its failures (load_failures.csv) and the gunicorn access logs of the
instances (instance*.log), whose status column is the server's own word on errors (Locust
only sees responses that reached it). Exits 1 when any 4xx or 5xx was served (no
action of the simulated people should get one) or when no request was made.
"""

import csv
import json
import re
import sys
from collections import Counter
from pathlib import Path

# The access line of tg/gunicorn.conf.py: host [time] "request" status bytes ...
ACCESS = re.compile(r'^\S+ \[[^\]]+\] "(?P<request>[^"]*)" (?P<status>\d{3}) ')


def main(results: Path) -> int:
    rows = list(csv.DictReader((results / "load_stats.csv").open()))
    print(
        f"{'page / action':<28}{'requests':>9}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
        f"{'max ms':>8}{'failed':>8}{'req/s':>8}"
    )
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        print(
            f"{name[:27]:<28}{row['Request Count']:>9}{row['50%']:>8}{row['95%']:>8}"
            f"{row['99%']:>8}{float(row['Max Response Time']):>8.0f}{row['Failure Count']:>8}"
            f"{float(row['Requests/s']):>8.1f}"
        )

    failures_file = results / "load_failures.csv"
    if failures_file.exists():
        failures = list(csv.DictReader(failures_file.open()))
        if failures:
            print("\nfailures seen by the clients:")
            for row in failures:
                print(f"  {row['Occurrences']:>5} × {row['Method']} {row['Name']}: {row['Error']}")

    exceptions_file = results / "load_exceptions.csv"
    exceptions = list(csv.DictReader(exceptions_file.open())) if exceptions_file.exists() else []
    for row in exceptions:
        print(f"\nerror in the load script ({row['Count']} ×): {row['Message']}")

    outcomes_file = results / "outcomes.json"
    if outcomes_file.exists():
        print("\nwhat the pages said after each action:")
        for outcome, count in json.loads(outcomes_file.read_text()).items():
            print(f"  {count:>5} × {outcome}")

    statuses: Counter[str] = Counter()
    server_errors: list[str] = []
    for log in sorted(results.glob("instance*.log")):
        for line in log.open(errors="replace"):
            match = ACCESS.match(line)
            if match:
                statuses[match["status"]] += 1
                if match["status"][0] in "45":
                    server_errors.append(f"{log.name}: {line.strip()}")
    print("\nstatus codes served (access logs):", dict(sorted(statuses.items())))
    print(f"4xx/5xx served: {len(server_errors)}")
    for line in server_errors[:20]:
        print("  " + line)
    total = sum(int(row["Request Count"]) for row in rows if row["Name"] == "Aggregated")
    if not total:
        print("no request was made: see locust.log")
    return 1 if server_errors or exceptions or not total else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "bench/load/results")))
