"""Sign-in's cost: the password hash, alone and with twenty people at once.

    .venv/bin/python bench/bench_signin.py [--people 20] [--rounds 5]

No database: a sign-in's CPU is its password check, and this measures exactly that —
Django's ``check_password`` for each hasher, as ``authenticate()`` calls it — first one
at a time (median of 15), then ``--people`` threads starting together behind a barrier,
as the load test's ramp signs everyone in within its first seconds (each hash holds a
core: argon2-cffi and hashlib release the GIL). Compares Django 5.2's PBKDF2 (1,000,000
iterations, what tg used before), Django's Argon2 defaults and tg's Argon2id (OWASP's
m=19 MiB, t=2, p=1; core/hashers.py).
"""

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tg.settings.test")

import django
from django.conf import settings

django.setup()

from django.contrib.auth.hashers import (  # noqa: E402
    check_password,
    get_hashers,
    get_hashers_by_algorithm,
    identify_hasher,
    make_password,
)

HASHERS = {
    "PBKDF2 (Django 5.2 default, tg before)": "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "Argon2 (Django's defaults)": "django.contrib.auth.hashers.Argon2PasswordHasher",
    "Argon2id (tg: OWASP m=19 MiB, t=2, p=1)": "core.hashers.OwaspArgon2idHasher",
}
PASSWORD = "a long enough pass phrase"


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def at_once(encoded: str, people: int) -> list[float]:
    """Each person's time from the common start to their password being checked."""
    barrier = threading.Barrier(people)
    times = [0.0] * people

    def person(n):
        barrier.wait()
        start = time.perf_counter()
        assert check_password(PASSWORD, encoded)
        times[n] = time.perf_counter() - start

    threads = [threading.Thread(target=person, args=(n,)) for n in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5, help="bursts per hasher")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; {args.people} people at once, {args.rounds} bursts each")
    print(f"{'hasher':42} {'alone p50':>10} {'at once p50':>12} {'p95':>8} {'max':>8}")
    for label, path in HASHERS.items():
        settings.PASSWORD_HASHERS = [path]
        get_hashers.cache_clear()  # Django caches the hasher list
        get_hashers_by_algorithm.cache_clear()
        encoded = make_password(PASSWORD)
        assert identify_hasher(encoded).__class__.__name__ == path.rsplit(".", 1)[1]
        alone = []
        for _ in range(15):
            start = time.perf_counter()
            check_password(PASSWORD, encoded)
            alone.append(time.perf_counter() - start)
        burst: list[float] = []
        for _ in range(args.rounds):
            burst += at_once(encoded, args.people)
        alone_ms, burst_ms = statistics.median(alone) * 1000, statistics.median(burst) * 1000
        p95_ms, max_ms = percentile(burst, 0.95) * 1000, max(burst) * 1000
        print(
            f"{label:42} {alone_ms:8.0f} ms {burst_ms:10.0f} ms {p95_ms:6.0f} ms {max_ms:6.0f} ms"
        )


if __name__ == "__main__":
    main()
