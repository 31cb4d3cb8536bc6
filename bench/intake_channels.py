"""Throughput of intake's doors against a running stack; prints figures, asserts nothing.

    .venv/bin/hotline apikeys create bench          # the key is the last line
    .venv/bin/python bench/intake_channels.py --api-key KEY [--url http://127.0.0.1:8000] [-n 300]

Open311 POSTs one at a time over HTTP, then ``n`` AMQP submissions published
at once and timed until the last receipt. Every request has its own caller
and text, so the duplicate check runs but finds nothing.
"""
import argparse
import json
import os
import time
import uuid

import pika
import requests


def open311_posts(url, key, n):
    session = requests.Session()
    started = time.perf_counter()
    for i in range(n):
        response = session.post(f"{url}/open311/v2/requests.json", data={
            "api_key": key, "service_code": "road-damage", "lat": 36.0 + i * 0.01, "long": 120.3,
            "description": f"第{i}号路段路面破损 {uuid.uuid4().hex[:6]}", "phone": f"139{i:08d}"})
        assert response.status_code == 201, response.text
    return n / (time.perf_counter() - started)


def amqp_submissions(amqp, key, n, source="bench"):
    connection = pika.BlockingConnection(pika.URLParameters(amqp))
    channel = connection.channel()
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "hotline.inbound", routing_key=f"ticket.receipt.{source}")
    started = time.perf_counter()
    for i in range(n):
        body = {"source_system": source, "external_id": uuid.uuid4().hex, "api_key": key,
                "title": f"第{i}号楼道灯坏了", "description": f"{uuid.uuid4().hex} 楼道照明坏了",
                "caller_phone": f"137{i:08d}", "district": "市北区"}
        channel.basic_publish("hotline.inbound", "ticket.submit", json.dumps(body).encode(),
                              pika.BasicProperties(content_type="application/json", delivery_mode=2))
    received = 0
    while received < n:
        method, _, _ = channel.basic_get(queue, auto_ack=True)
        if method is None:
            connection.sleep(0.01)
        else:
            received += 1
    elapsed = time.perf_counter() - started
    connection.close()
    return n / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=os.environ.get("HOTLINE_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--amqp", default=os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"))
    parser.add_argument("--api-key", required=True, help="a key named 'bench'")
    parser.add_argument("-n", type=int, default=300)
    args = parser.parse_args()
    print(f"Open311 POST requests.json, sequential: {open311_posts(args.url, args.api_key, args.n):7.1f} /s")
    print(f"AMQP ticket.submit -> receipt, {args.n} at once: {amqp_submissions(args.amqp, args.api_key, args.n):7.1f} /s")


if __name__ == "__main__":
    main()
