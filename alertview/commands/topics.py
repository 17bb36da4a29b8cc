"""`alertview topics`: topics with partitions, available messages and a group's lag."""

from __future__ import annotations

import argparse
import json

from alertview.commands.kafka_options import add_kafka_arguments, kafka_settings
from alertview.core.stream.admin import list_topics


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "topics",
        help="list topics with partitions, watermarks and a group's lag",
        description="List the topics of a cluster: partitions, low and high watermarks, "
        "messages available and, with --group, what that group has still to read.",
    )
    parser.add_argument("--group", help="show this consumer group's committed offsets and lag")
    parser.add_argument("--json", action="store_true", help="one JSON object per topic")
    add_kafka_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    for topic in list_topics(kafka_settings(args), group=args.group):
        if args.json:
            print(
                json.dumps(
                    {
                        "topic": topic.name,
                        "available": topic.available,
                        "lag": topic.lag,
                        "partitions": [
                            {
                                "partition": p.partition,
                                "low": p.low,
                                "high": p.high,
                                "committed": p.committed,
                                "lag": p.lag,
                            }
                            for p in topic.partitions
                        ],
                    }
                )
            )
            continue
        lag = "" if topic.lag is None else f", lag {topic.lag}"
        print(f"{topic.name}: {len(topic.partitions)} partitions, {topic.available} messages{lag}")
        for p in topic.partitions:
            committed = "" if p.committed is None else f" committed {p.committed}"
            print(f"  [{p.partition}] {p.low}..{p.high}{committed}")
    return 0
