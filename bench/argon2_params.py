"""How long argon2id takes here, for the parameters the workbench could hash passwords with.

    python -m bench.argon2_params [--rounds 5]

Times ``PasswordHasher.hash`` (a verify costs the same) for argon2-cffi's defaults,
the console's choice (``services.console.adapters.people.HASH_PARAMETERS``) and OWASP's
argon2id configurations (Password Storage Cheat Sheet: m=47104 KiB t=1, m=19456 t=2,
m=12288 t=3, m=9216 t=4, m=7168 t=5, all p=1), one at a time and then four at once
(people signing in together on one console). Prints the median and the slowest, in
milliseconds; asserts nothing. Choose the strongest that stays well under ~0.3 s on
the machine the console runs on.
"""
import argparse
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher, Type

CANDIDATES = [  # label, time_cost, memory_cost (KiB), parallelism
    ("argon2-cffi default", 3, 65536, 4),
    ("OWASP m=47104 t=1 p=1", 1, 47104, 1),
    ("OWASP m=19456 t=2 p=1", 2, 19456, 1),
    ("OWASP m=12288 t=3 p=1", 3, 12288, 1),
    ("OWASP m=9216 t=4 p=1", 4, 9216, 1),
    ("OWASP m=7168 t=5 p=1", 5, 7168, 1),
    ("stronger m=65536 t=2 p=1", 2, 65536, 1),
    ("stronger m=65536 t=3 p=1", 3, 65536, 1),
]


def timings(hasher, rounds, concurrent=1):
    def one(_):
        start = time.perf_counter()
        hasher.hash("correct horse battery staple")
        return (time.perf_counter() - start) * 1000
    with ThreadPoolExecutor(concurrent) as pool:
        return sorted(t for t in pool.map(one, range(rounds * concurrent)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    from services.console.adapters.people import HASH_PARAMETERS

    chosen = ("console's choice", HASH_PARAMETERS["time_cost"], HASH_PARAMETERS["memory_cost"],
              HASH_PARAMETERS["parallelism"])
    print(f"argon2id on {os.cpu_count()} CPU(s), {args.rounds} round(s) each; milliseconds")
    print(f"{'parameters':<24} {'t':>2} {'m KiB':>6} {'p':>2}   {'alone p50':>9} {'max':>7}   {'4 at once p50':>13} {'max':>7}")
    for label, t, m, p in [*CANDIDATES, chosen]:
        hasher = PasswordHasher(time_cost=t, memory_cost=m, parallelism=p, type=Type.ID)
        alone = timings(hasher, args.rounds)
        crowd = timings(hasher, args.rounds, concurrent=4)
        print(f"{label:<24} {t:>2} {m:>6} {p:>2}   {statistics.median(alone):9.1f} {alone[-1]:7.1f}"
              f"   {statistics.median(crowd):13.1f} {crowd[-1]:7.1f}")


if __name__ == "__main__":
    main()
