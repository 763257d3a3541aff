"""The OpenSLO v1 documents as written, validated field by field (what is supported: docs/slos.md)."""
