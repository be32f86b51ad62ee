"""Reading and writing contract files (YAML or JSON) without losing a digit.

YAML floats become ``Decimal`` built from the literal text (``3.00`` stays ``3.00``), JSON
floats likewise; duplicate keys are an error rather than silently the last one.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml


class DocumentError(ValueError):
    """The file is not a readable YAML/JSON document; the message names the line."""


class _DecimalLoader(yaml.SafeLoader):
    pass


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode):
    text = loader.construct_scalar(node)
    try:
        return Decimal(text.replace("_", ""))
    except InvalidOperation:
        return text  # ".inf", ".nan": left as text, refused by the validator as not a number


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode):
    loader.flatten_mapping(node)
    result = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_DecimalLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line text (addresses) as literal blocks, the way a person would."""


def _represent_str(dumper: yaml.SafeDumper, text: str):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockDumper.add_representer(str, _represent_str)


def parse_document(text: str, *, file_name: str):
    """Parse ``text`` as JSON (``.json`` files) or YAML (anything else).

    Raises ``DocumentError`` with the line and column of a syntax error.
    """
    if Path(file_name).suffix.lower() == ".json":
        try:
            return json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as error:
            raise DocumentError(
                f"line {error.lineno}, column {error.colno}: invalid JSON: {error.msg}"
            ) from None
    try:
        return yaml.load(text, Loader=_DecimalLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise DocumentError(f"{where}invalid YAML: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise DocumentError(f"invalid YAML: {error}") from None


def dump_document(document: dict, *, fmt: str = "yaml") -> str:
    """Write a canonical document: keys in the given order, decimals already as strings."""
    if fmt == "json":
        return json.dumps(document, indent=2, default=str) + "\n"
    return yaml.dump(document, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=110)
