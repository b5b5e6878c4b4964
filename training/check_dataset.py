"""Checks a Burrow training JSONL file against training/dataset-schema.json.

Pure Python (json only), so it runs in Colab/Kaggle and locally without installing anything:

    python3 training/check_dataset.py burrow-dataset.jsonl

Exit status 0 when every line is a valid example, 1 otherwise (each problem is printed with its line).
It implements the subset of JSON Schema that dataset-schema.json uses, plus the rules listed under
"x-burrow-rules" there, which JSON Schema cannot express.
"""
import json
import os
import sys

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


def load_schema(path=None):
    """The schema file next to this module (or at `path`)."""
    if path is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dataset-schema.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _resolve(node, root):
    ref = node.get("$ref")
    if ref is None:
        return node
    target = root
    for part in ref.lstrip("#/").split("/"):
        target = target[part]
    return target


def _check(value, node, root, where, errors):
    node = _resolve(node, root)
    kind = node.get("type")
    if kind is not None and not _TYPES[kind](value):
        errors.append(f"{where}: expected {kind}, got {type(value).__name__}")
        return
    if "const" in node and value != node["const"]:
        errors.append(f"{where}: must be {node['const']!r}")
    if "enum" in node and value not in node["enum"]:
        errors.append(f"{where}: must be one of {node['enum']}, got {value!r}")
    if isinstance(value, str) and len(value) < node.get("minLength", 0):
        errors.append(f"{where}: must not be empty")
    if _TYPES["number"](value):
        if "minimum" in node and value < node["minimum"]:
            errors.append(f"{where}: must be >= {node['minimum']}")
        if "maximum" in node and value > node["maximum"]:
            errors.append(f"{where}: must be <= {node['maximum']}")
    if isinstance(value, list):
        if len(value) < node.get("minItems", 0):
            errors.append(f"{where}: needs at least {node['minItems']} items")
        if "items" in node:
            for i, item in enumerate(value):
                _check(item, node["items"], root, f"{where}[{i}]", errors)
    if isinstance(value, dict):
        props = node.get("properties", {})
        for key in node.get("required", []):
            if key not in value:
                errors.append(f"{where}: missing '{key}'")
        for key, item in value.items():
            if key in props:
                _check(item, props[key], root, f"{where}.{key}", errors)
            elif node.get("additionalProperties") is False:
                errors.append(f"{where}: unexpected field '{key}'")


def _check_rules(example, errors):
    messages = example.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        return
    last = messages[-1]
    if last.get("role") != "assistant" or "tool_calls" in last:
        errors.append("messages: the last message must be an assistant answer without tool_calls")
    for i, m in enumerate(messages):
        role = m.get("role")
        if role == "system" and i != 0:
            errors.append(f"messages[{i}]: a system message may only come first")
        if "tool_calls" in m and role != "assistant":
            errors.append(f"messages[{i}]: only assistant messages may have tool_calls")
        if role == "tool":
            before = messages[i - 1] if i > 0 else {}
            if not (before.get("role") == "tool" or "tool_calls" in before):
                errors.append(f"messages[{i}]: a tool message must follow a tool call")
        if role == "user" and isinstance(m.get("content"), str) and m["content"].strip() == "":
            errors.append(f"messages[{i}]: a user message must not be empty")


def validate_example(example, schema):
    """Problems with one parsed example (an empty list when it is valid)."""
    errors = []
    _check(example, schema, schema, "$", errors)
    if not errors:
        _check_rules(example, errors)
    return errors


def check_lines(lines, schema):
    """(number of examples, problems as 'line N: ...') for an iterable of JSONL lines."""
    count, problems = 0, []
    for number, line in enumerate(lines, start=1):
        if line.strip() == "":
            continue
        count += 1
        try:
            example = json.loads(line)
        except ValueError as error:
            problems.append(f"line {number}: not JSON ({error})")
            continue
        problems.extend(f"line {number}: {p}" for p in validate_example(example, schema))
    return count, problems


def check_file(path, schema=None):
    with open(path, encoding="utf-8") as f:
        return check_lines(f, schema if schema is not None else load_schema())


def main(argv):
    if len(argv) != 2:
        print("usage: python3 check_dataset.py FILE.jsonl", file=sys.stderr)
        return 2
    count, problems = check_file(argv[1])
    for problem in problems[:50]:
        print(problem, file=sys.stderr)
    if problems:
        print(f"INVALID: {len(problems)} problem(s) in {count} example(s)", file=sys.stderr)
        return 1
    if count == 0:
        print("INVALID: the file holds no examples", file=sys.stderr)
        return 1
    print(f"OK: {count} example(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
