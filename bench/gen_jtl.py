#!/usr/bin/env python3
"""Generate a realistic JMeter 5.x JTL CSV of N rows, for benchmarks (not fixtures).

Default 17 columns of JMeter 5.x, several labels with log-normal latencies, about 1% failures
with quoted multi-line messages, a thread count ramping up, rows not sorted by timestamp (JMeter
writes at sample end). Deterministic for a given seed.

usage: gen_jtl.py ROWS OUT.jtl [--seed S]
"""
import argparse
import math
import random

HEADER = ("timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,"
          "failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect")
LABELS = [  # (label, mu, sigma) of log-normal latency in ms
    ("Home Page", 3.2, 0.5),
    ('Search "products", page 1', 4.0, 0.6),
    ("Add to cart", 3.6, 0.4),
    ("Checkout", 4.6, 0.7),
    ("Login", 3.9, 0.5),
]
FAILURES = [
    ("500", "Internal Server Error", "Test failed: code expected to contain /200/"),
    ("Non HTTP response code: java.net.SocketTimeoutException",
     "Non HTTP response message: Read timed out", ""),
    ("200", "OK", "Test failed: text expected to contain /\"status\": \"ok\"/,\nbut got \"error\""),
]


def quote(field):
    if any(c in field for c in ',"\n\r'):
        return '"' + field.replace('"', '""') + '"'
    return field


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    start = 1_795_000_000_000
    max_threads = 200
    duration_ms = max(60_000, args.rows // 2)  # about 2000 samples per second
    with open(args.out, "w", newline="") as f:
        f.write(HEADER + "\n")
        for i in range(args.rows):
            t = start + i * duration_ms // args.rows + rnd.randint(-50, 50)
            threads = min(max_threads, 1 + (i * max_threads * 4) // args.rows)
            label, mu, sigma = LABELS[rnd.randrange(len(LABELS))]
            elapsed = int(math.exp(rnd.gauss(mu, sigma)))
            latency = max(0, elapsed - rnd.randint(0, 3))
            thread = f"Users {1 + i % threads}-{1 + i % 7}"
            if rnd.random() < 0.01:
                code, msg, failure = FAILURES[rnd.randrange(len(FAILURES))]
                ok = "false"
            else:
                code, msg, failure, ok = "200", "OK", "", "true"
            url = "http://127.0.0.1:8080/" + label.split()[0].lower()
            row = [str(t), str(elapsed), quote(label), quote(code), quote(msg), quote(thread),
                   "text", ok, quote(failure), str(rnd.randint(200, 20000)), "120",
                   str(threads), str(threads), url, str(latency), "0", str(rnd.randint(0, 2))]
            f.write(",".join(row) + "\n")


if __name__ == "__main__":
    main()
