"""Validates YAML files against a JSON Schema with the reference Python implementation.

Usage: validate_schema.py SCHEMA FILE...  Prints one line per problem (FILE: path: message) and
exits 1 when any file has one, 0 when every file is valid. PyYAML applies merge keys (`<<:`).
"""

import json
import sys

import jsonschema
import yaml


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as handle:
        schema = json.load(handle)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    bad = 0
    for name in sys.argv[2:]:
        with open(name, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
        for error in validator.iter_errors(document):
            where = "/".join(str(part) for part in error.absolute_path)
            print(f"{name}: {where}: {error.message}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
