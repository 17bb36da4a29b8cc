"""Bytes to Avro records: framings, container files, codecs, writer schemas, compiled readers.

The bottom of the pipeline: nothing here knows a survey. ``packets`` tells the
four framings apart, ``schemas`` finds each writer schema once (header,
Confluent id, Fink key, registry), ``compiled`` reads the records fast,
``encode`` writes a packet back in the framing a survey sends.
"""
