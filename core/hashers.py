"""How passwords are stored: Argon2id with OWASP's recommended parameters.

Django's own Argon2 hasher asks for 100 MiB and 8 lanes (about 200 ms of this 2-core
machine per sign-in, all of both cores); PBKDF2 at Django 5.2's 1,000,000 iterations
takes about 260 ms of one core. OWASP's Password Storage Cheat Sheet lists Argon2id
configurations of equal strength, the first being 19 MiB of memory, 2 passes, 1 lane
(m=19456, t=2, p=1): memory-hard, so a GPU or ASIC guessing passwords pays for the
memory of every guess in parallel, which PBKDF2's iterations never cost it. Here it
takes about 23 ms per hash (bench/bench_signin.py), so twenty people signing in at the
same moment no longer queue for seconds on two cores.

An account whose hash was made with PBKDF2 (or with other Argon2 parameters) is
re-hashed with these at its next successful sign-in: Django does so whenever the first
hasher of PASSWORD_HASHERS differs from the hash's own (``must_update``).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2idHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
