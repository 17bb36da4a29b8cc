"""Kafka: the only package that imports confluent_kafka's client (checked by a test;
the schema registry's client is ``avro.registry``'s).

Everything here is written for real clusters (SASL, TLS, consumer groups,
10 MB messages) and tested against the embedded brokers.
"""
