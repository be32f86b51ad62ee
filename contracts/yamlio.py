"""Reading and writing contract files (YAML or JSON) without losing a digit.

YAML floats become ``Decimal`` built from the literal text (``3.00`` stays ``3.00``), JSON
floats likewise; duplicate keys are an error rather than silently the last one.

The readers are bounded before they allocate or recurse: the caller limits the size
(``contracts.services.MAX_FILE_BYTES``); nesting deeper than ``MAX_DEPTH`` is refused while
the document is composed (YAML) or before it is parsed (JSON), so no input reaches Python's
recursion limit; YAML aliases may not expand the document beyond ``MAX_NODES`` values (the
"billion laughs"), nor refer to themselves; a number whose text is not a plain decimal or is
longer than ``checks.MAX_NUMBER_CHARS`` is kept as a :class:`~contracts.checks.NumberLiteral`
for the validator to refuse with its key path, so ``int()`` never sees 100,000 digits.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import yaml

from .checks import MAX_NUMBER_CHARS, NumberLiteral

# A contract file is four levels deep (terms → components → bands → band) under the top
# mapping; 20 leaves room for any honest layout.
MAX_DEPTH = 20
# Values in the whole document once aliases are expanded. The demo's largest contract has 270;
# PyYAML composes about 20,000 values a second on the 2-core CI machine, so the worst file
# (1 MiB of values, or of aliases) is refused within about a second.
MAX_NODES = 20_000

_PLAIN_INT_RE = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_PLAIN_DECIMAL_RE = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


class DocumentError(ValueError):
    """The file is not a readable YAML/JSON document; the message names the line."""


def _number(text: str, plain: re.Pattern, convert):
    """``convert(text)`` for a plain number of bounded length, else the text kept as a literal."""
    text = text.strip()
    if len(text) <= MAX_NUMBER_CHARS and plain.fullmatch(text):
        return convert(text)
    return NumberLiteral(text)


class _DecimalLoader(yaml.SafeLoader):
    """A SafeLoader with exact decimals, duplicate keys refused and the composer bounded."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}  # id(node) → values under it, aliases expanded
        self._composed = 0  # values composed so far, aliases expanded: refused as it grows
        self._merges = 0

    def flatten_mapping(self, node):
        # Merge keys (<<: *defaults) are flattened recursively, one call per merge in a chain.
        self._merges += 1
        try:
            if self._merges > MAX_DEPTH:
                raise yaml.constructor.ConstructorError(
                    None, None, f"merge keys (<<) chained deeper than {MAX_DEPTH} levels", node.start_mark
                )
            super().flatten_mapping(node)
        finally:
            self._merges -= 1

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            anchored = self.anchors.get(event.anchor)
            if anchored is not None and id(anchored) not in self._sizes:
                raise yaml.composer.ComposerError(
                    None, None, f"alias *{event.anchor} refers to itself", event.start_mark
                )
            if anchored is not None:
                self._count(self._sizes[id(anchored)], event.start_mark)
            return super().compose_node(parent, index)
        start = self.peek_event().start_mark
        self._count(1, start)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", start)
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._sizes[id(node)] = 1 + sum(self._sizes[id(child)] for child in _children(node))
        return node

    def _count(self, values: int, mark) -> None:
        # Counted as each value is composed, so an oversized document stops at MAX_NODES
        # values read rather than after all of them.
        self._composed += values
        if self._composed > MAX_NODES:
            raise yaml.composer.ComposerError(
                None, None, f"expands to more than {MAX_NODES} values (through aliases or size)", mark
            )


def _children(node: yaml.Node):
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return ()


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode):
    # ".inf", "1.0e+400", "1_000.5", "1:30.5": kept as literals, refused by the validator.
    return _number(loader.construct_scalar(node), _PLAIN_DECIMAL_RE, Decimal)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode):
    # YAML 1.1 ints include 0x1F, 0o17, 017 (octal!), 1_000 and 1:30 (sexagesimal): only a
    # plain decimal is a number here; the others are literals the validator refuses.
    return _number(loader.construct_scalar(node), _PLAIN_INT_RE, int)


def _construct_bool(loader: yaml.SafeLoader, node: yaml.ScalarNode):
    text = loader.construct_scalar(node)
    value = loader.bool_values.get(text.lower()) if isinstance(text, str) else None
    return text if value is None else value  # "!!bool maybe" stays text


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode):
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)  # 2026-02-30: text, refused as not a date


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.Node):
    if not isinstance(node, yaml.MappingNode):
        raise yaml.constructor.ConstructorError(
            None, None, f"expected a mapping, got {node.id}", node.start_mark
        )
    loader.flatten_mapping(node)
    result = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in result
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be text, not a list or mapping", key_node.start_mark
            ) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {_short(key)}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_DecimalLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_DecimalLoader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
_DecimalLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_DecimalLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line text (addresses) as literal blocks, the way a person would."""


def _represent_str(dumper: yaml.SafeDumper, text: str):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockDumper.add_representer(str, _represent_str)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:60]}…"


class _JsonRefusal(Exception):
    """Raised from inside ``json.loads`` hooks; becomes a ``DocumentError``."""


def _json_pairs(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise _JsonRefusal(f"duplicate key {_short(key)}")
        result[key] = value
    return result


def _json_constant(name: str):
    # json.loads accepts NaN and Infinity, which are not JSON: kept as literals to refuse.
    return NumberLiteral(name)


_JSON_STRING_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_JSON_BRACKET_RE = re.compile(r"[\[\]{}]")


def json_depth_problem(text: str) -> str | None:
    """Where ``text`` nests deeper than ``MAX_DEPTH``, counted outside strings, else ``None``.

    Runs before ``json.loads``, whose C scanner recurses once per level.
    """
    depth = 0
    stripped = _JSON_STRING_RE.sub('""', text)
    for match in _JSON_BRACKET_RE.finditer(stripped):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            line = stripped.count("\n", 0, match.start()) + 1
            return f"line {line}: nested deeper than {MAX_DEPTH} levels"
    return None


def json_number_hooks() -> dict:
    """``json.loads`` hooks: plain numbers exact (``Decimal``/``int``), the rest literals."""
    return {
        "parse_float": lambda literal: _number(literal, _PLAIN_DECIMAL_RE, Decimal),
        "parse_int": lambda literal: _number(literal, _PLAIN_INT_RE, int),
        "parse_constant": _json_constant,
    }


def _parse_json(text: str):
    problem = json_depth_problem(text)
    if problem:
        raise DocumentError(f"{problem}: not a contract file")
    try:
        return json.loads(text, object_pairs_hook=_json_pairs, **json_number_hooks())
    except json.JSONDecodeError as error:
        raise DocumentError(f"line {error.lineno}, column {error.colno}: invalid JSON: {error.msg}") from None
    except _JsonRefusal as error:
        raise DocumentError(f"invalid JSON: {error}") from None
    except RecursionError:  # not reached after the depth check; kept so it can never escape
        raise DocumentError(f"invalid JSON: nested deeper than {MAX_DEPTH} levels") from None


def _parse_yaml(text: str):
    try:
        return yaml.load(text, Loader=_DecimalLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise DocumentError(f"{where}invalid YAML: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise DocumentError(f"invalid YAML: {error}") from None
    except RecursionError:  # not reached after the depth check; kept so it can never escape
        raise DocumentError(f"invalid YAML: nested deeper than {MAX_DEPTH} levels") from None


def parse_document(text: str, *, file_name: str):
    """Parse ``text`` as JSON (``.json`` files) or YAML (anything else).

    Raises ``DocumentError`` with the line and column of a syntax error, and for a NUL
    character, nesting deeper than ``MAX_DEPTH``, more than ``MAX_NODES`` values after alias
    expansion, a self-referring alias, or a duplicate key.
    """
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DocumentError(f"line {line}: a NUL character; this is not a text file")
    if Path(file_name).suffix.lower() == ".json":
        return _parse_json(text)
    return _parse_yaml(text)


def dump_document(document: dict, *, fmt: str = "yaml") -> str:
    """Write a canonical document: keys in the given order, decimals already as strings."""
    if fmt == "json":
        return json.dumps(document, indent=2, default=str) + "\n"
    return yaml.dump(document, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=110)
