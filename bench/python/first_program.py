"""kafka-python as a user's first program sends: KafkaProducer at its defaults,
records sent one of three ways (the job's options.way), timed from the first
send to the last acknowledgement. The same program as
bench/clients/ours-first.ts; the bench runs it in the virtual environment of
bench/setup/kafka-python.ts with the job as JSON in argv[1] and reads the one
JSON line it prints last (the RunResult of bench/job.ts).
"""

import json
import os
import resource
import sys
import time

from kafka import KafkaProducer

VALUE_POOL = 1024


def printable(size):
    """Random printable ASCII (33 to 126), as every runner of the bench sends."""
    return bytes(33 + b % 94 for b in os.urandom(size))


def await_each(producer, topic, values, n):
    for i in range(n):
        producer.send(topic, value=values[i % VALUE_POOL]).get()


def all_then_flush(producer, topic, values, n):
    futures = [producer.send(topic, value=values[i % VALUE_POOL]) for i in range(n)]
    producer.flush()
    return futures


def callback_flush(producer, topic, values, n):
    errors = []
    for i in range(n):
        producer.send(topic, value=values[i % VALUE_POOL]).add_errback(errors.append)
    producer.flush()
    if errors:
        raise RuntimeError(f"{len(errors)} of {n} records failed, the first with: {errors[0]!r}")


WAYS = {"await-each": await_each, "all-then-await": all_then_flush, "callback-flush": callback_flush}

HOW = (
    "KafkaProducer(bootstrap_servers), every other setting at its default (acks all, idempotent, linger_ms 0, batch_size 16384); "
    "partitions_for(topic) before timing; the three ways: producer.send(topic, value).get() for each record; "
    "every producer.send(topic, value) kept, then producer.flush(), the futures checked after the clock stops; "
    "producer.send(topic, value).add_errback(...) for each record, then producer.flush(), the errbacks counting failures"
)


def run(job):
    way = WAYS[job["options"]["way"]]
    if job["keyed"]:
        raise ValueError("the first-program runner sends keyless records only")
    values = [printable(job["valueSize"]) for _ in range(VALUE_POOL)]
    producer = KafkaProducer(bootstrap_servers=job["bootstrap"].split(","))
    try:
        # The topic's metadata before the clock, as ours awaits partitionsFor(topic).
        producer.partitions_for(job["topic"])
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        futures = way(producer, job["topic"], values, job["records"])
        wall_ms = (time.perf_counter() - t0) * 1000
        cpu_ms = (time.process_time() - cpu0) * 1000
        failed = [f for f in futures or [] if f.failed()]
        if failed:
            raise RuntimeError(f"{len(failed)} of {job['records']} records failed, the first with: {failed[0].exception!r}")
    finally:
        producer.close()
    return {
        "ok": True,
        "how": HOW,
        "wallMs": wall_ms,
        # A first program is about its whole life: nothing is sent to warm up.
        "warmupRecords": 0,
        "cpuMs": cpu_ms,
        # Linux reports ru_maxrss in KiB.
        "maxRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "loopP99Ms": None,
        "latency": None,
    }


def main():
    try:
        result = run(json.loads(sys.argv[1]))
    except Exception as err:  # the bench reads the reason from the JSON line
        result = {"ok": False, "error": f"{type(err).__name__}: {err}"}
    print(json.dumps(result), flush=True)
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
