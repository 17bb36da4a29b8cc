"""Embedded brokers for replay and tests: librdkafka's mock cluster, Tansu, real Apache Kafka."""
