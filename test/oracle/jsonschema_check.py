"""Validates JSON instances against JSON Schemas (draft 2020-12) with the python `jsonschema` package: an
oracle independent of Effect's Schema for the bodies the API documents in /openapi.json.
stdin: [{"name": str, "schema": {...}, "instance": ...}, ...]  stdout: [{"name": str, "errors": [str, ...]}, ...]
Exit 3 when jsonschema is not installed (the caller skips)."""
import json
import sys

try:
    from jsonschema import Draft202012Validator
except ImportError:
    sys.exit(3)

out = []
for case in json.load(sys.stdin):
    validator = Draft202012Validator(case["schema"])
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(case["instance"])]
    out.append({"name": case["name"], "errors": errors})
json.dump(out, sys.stdout)
