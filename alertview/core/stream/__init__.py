"""Kafka: the only package that imports confluent_kafka (checked by a test).

Everything here is written for real clusters (SASL, TLS, consumer groups,
10 MB messages) and tested against the embedded brokers.
"""
