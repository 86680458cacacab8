#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Validate migoffloadctl's JSON against doc/migoffloadctl.schema.json.

    validate_json.py [--lines] [--count=N] SCHEMA DEFINITION [FILE]
    validate_json.py --check SCHEMA

FILE (default: standard input) holds one JSON document, or with --lines
one a line (JSON Lines: stats --interval and monitor print so; a document
spread over several lines is an error). DEFINITION is one of the schema's
$defs (status, stats, monitor...), or '.' for the whole schema. --count=N:
exactly N documents. --check: only check the schema.

Python's standard library only: the subset of JSON Schema (draft 2020-12)
the schema uses, which is type, properties, required, additionalProperties
(false or a schema), items, enum, minimum, oneOf, anyOf and $ref to
"#/$defs/NAME", with $schema, $id, title, description and $comment as
annotations. A schema with any other keyword is refused (exit 2) rather
than half-checked. Duplicate keys, NaN and Infinity are errors too.

Exit status: 0 every document is valid; 1 one is not, or is not JSON (each
error on stderr: the document, the JSON path, what is wrong); 2 bad usage,
an unreadable file or a schema this validator cannot check.
"""
import json
import sys

KEYWORDS = {"type", "properties", "required", "additionalProperties", "items", "enum",
            "minimum", "oneOf", "anyOf", "$ref", "$defs"}
ANNOTATIONS = {"$schema", "$id", "title", "description", "$comment"}
TYPES = {"null", "boolean", "integer", "number", "string", "array", "object"}
PROG = "validate_json"
MAX_SHOWN = 20		# error lines shown; the count of documents says the rest


class SchemaError(Exception):
    pass


class InputError(Exception):
    pass


def type_name(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def is_type(v, t):
    n = type_name(v)
    if t == "number":
        return n in ("integer", "number")
    if t == "integer":
        return n == "integer" or (n == "number" and v.is_integer())
    return n == t


def same(a, b):
    """JSON equality: true is not 1, 1 is 1.0."""
    ta, tb = type_name(a), type_name(b)
    if ta in ("integer", "number") and tb in ("integer", "number"):
        return a == b
    return ta == tb and a == b


def key_path(path, key):
    if key.isidentifier():
        return "%s.%s" % (path, key)
    return "%s[%s]" % (path, json.dumps(key))


class Validator:
    def __init__(self, schema):
        self.root = schema
        self.check(schema, "#")

    def resolve(self, ref, where):
        if ref == "#":
            return self.root
        if not ref.startswith("#/$defs/") or "/" in ref[len("#/$defs/"):]:
            raise SchemaError("%s: $ref %s: only \"#/$defs/NAME\" is supported" % (where, ref))
        name = ref[len("#/$defs/"):]
        defs = self.root.get("$defs", {}) if isinstance(self.root, dict) else {}
        if name not in defs:
            raise SchemaError("%s: $ref %s: no such definition" % (where, ref))
        return defs[name]

    def check(self, s, where):
        """Every keyword known, every $ref resolvable."""
        if isinstance(s, bool):
            return
        if not isinstance(s, dict):
            raise SchemaError("%s: a schema is an object or a boolean, got %s" % (where, type_name(s)))
        for k in s:
            if k not in KEYWORDS and k not in ANNOTATIONS:
                raise SchemaError("%s: keyword %s is not implemented by %s (see its header)"
                                  % (where, json.dumps(k), PROG))
        t = s.get("type")
        for x in (t if isinstance(t, list) else [t] if t is not None else []):
            if x not in TYPES:
                raise SchemaError("%s/type: unknown type %s" % (where, json.dumps(x)))
        for k in ("properties", "$defs"):
            if k in s:
                if not isinstance(s[k], dict):
                    raise SchemaError("%s/%s: not an object" % (where, k))
                for name, sub in s[k].items():
                    self.check(sub, "%s/%s/%s" % (where, k, name))
        for k in ("items", "additionalProperties"):
            if k in s:
                self.check(s[k], "%s/%s" % (where, k))
        for k in ("oneOf", "anyOf"):
            if k in s:
                if not isinstance(s[k], list) or not s[k]:
                    raise SchemaError("%s/%s: not a non-empty array" % (where, k))
                for i, sub in enumerate(s[k]):
                    self.check(sub, "%s/%s/%d" % (where, k, i))
        if "enum" in s and not isinstance(s["enum"], list):
            raise SchemaError("%s/enum: not an array" % where)
        if "required" in s and not (isinstance(s["required"], list) and
                                    all(isinstance(x, str) for x in s["required"])):
            raise SchemaError("%s/required: not an array of strings" % where)
        if "minimum" in s and not is_type(s["minimum"], "number"):
            raise SchemaError("%s/minimum: not a number" % where)
        if "$ref" in s:
            self.resolve(s["$ref"], where)

    def errors(self, v, s, path):
        """The errors of @v against schema @s: a list of "PATH: what"."""
        if s is True:
            return []
        if s is False:
            return ["%s: not allowed here" % path]
        errs = []
        if "$ref" in s:
            errs += self.errors(v, self.resolve(s["$ref"], path), path)
        if "type" in s:
            ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
            if not any(is_type(v, t) for t in ts):
                return errs + ["%s: expected %s, got %s" % (path, " or ".join(ts), type_name(v))]
        if "enum" in s and not any(same(v, e) for e in s["enum"]):
            errs.append("%s: %s is not one of %s" % (path, json.dumps(v),
                                                      ", ".join(json.dumps(e) for e in s["enum"])))
        if "minimum" in s and is_type(v, "number") and v < s["minimum"]:
            errs.append("%s: %s is less than the minimum %s" % (path, json.dumps(v), s["minimum"]))
        if isinstance(v, dict):
            props = s.get("properties", {})
            for k in s.get("required", []):
                if k not in v:
                    errs.append("%s: missing key %s" % (path, json.dumps(k)))
            for k, x in v.items():
                if k in props:
                    errs += self.errors(x, props[k], key_path(path, k))
                elif "additionalProperties" in s:
                    extra = s["additionalProperties"]
                    if extra is False:
                        errs.append("%s: unknown key (the schema has %s)"
                                    % (key_path(path, k), ", ".join(props) or "none"))
                    else:
                        errs += self.errors(x, extra, key_path(path, k))
        if isinstance(v, list) and "items" in s:
            for i, x in enumerate(v):
                errs += self.errors(x, s["items"], "%s[%d]" % (path, i))
        for k in ("oneOf", "anyOf"):
            if k not in s:
                continue
            each = [self.errors(v, sub, path) for sub in s[k]]
            good = sum(1 for e in each if not e)
            if k == "oneOf" and good > 1:
                errs.append("%s: matches %d of the oneOf alternatives, not exactly one" % (path, good))
            elif not good:
                # The alternative that came closest says what is wrong.
                best = min(range(len(each)), key=lambda i: len(each[i]))
                ref = s[k][best].get("$ref", "alternative %d" % best) if isinstance(s[k][best], dict) else best
                errs.append("%s: matches none of the %s alternatives; the closest, %s:"
                            % (path, k, ref))
                errs += ["  " + e for e in each[best]]
        return errs


def no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("duplicate key %s" % json.dumps(k))
        d[k] = v
    return d


def no_constant(name):
    raise ValueError("%s is not JSON" % name)


def load(text):
    return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constant)


def documents(text, lines):
    """(where, text) of each document."""
    if not lines:
        return [("", text)]
    docs = text.split("\n")
    if docs and docs[-1] == "":
        docs.pop()
    return [("line %d: " % (i + 1), d) for i, d in enumerate(docs)]


def usage(msg):
    sys.stderr.write("%s: %s\nusage: validate_json.py [--lines] [--count=N] SCHEMA DEFINITION [FILE]\n"
                     "       validate_json.py --check SCHEMA\n" % (PROG, msg))
    return 2


def main(argv):
    lines, count, check, args = False, None, False, []
    for a in argv:
        if a == "--lines":
            lines = True
        elif a.startswith("--count="):
            if not a[8:].isdigit():
                return usage("--count wants a number, got '%s'" % a[8:])
            count = int(a[8:])
        elif a == "--check":
            check = True
        elif a in ("-h", "--help"):
            sys.stdout.write(__doc__)
            return 0
        elif a.startswith("--"):
            return usage("unknown option '%s'" % a)
        else:
            args.append(a)
    if len(args) not in ((1,) if check else (2, 3)):
        return usage("wrong number of arguments")
    try:
        with open(args[0]) as f:
            schema = load(f.read())
        v = Validator(schema)
    except (OSError, ValueError) as e:
        sys.stderr.write("%s: %s: %s\n" % (PROG, args[0], e))
        return 2
    except SchemaError as e:
        sys.stderr.write("%s: %s: %s\n" % (PROG, args[0], e))
        return 2
    if check:
        print("%s: %s: a schema this validator checks whole (%d definitions)"
              % (PROG, args[0], len(schema.get("$defs", {}))))
        return 0
    name = args[1]
    if name == ".":
        target = schema
    elif name in schema.get("$defs", {}):
        target = {"$ref": "#/$defs/" + name}
    else:
        return usage("no definition '%s' in %s (there are: %s)"
                     % (name, args[0], ", ".join(schema.get("$defs", {}))))
    src = args[2] if len(args) == 3 else "-"
    shown = "<stdin>" if src == "-" else src
    try:
        if src == "-":
            text = sys.stdin.read()
        else:
            with open(src) as f:
                text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        sys.stderr.write("%s: %s: %s\n" % (PROG, shown, e))
        return 2
    bad = said = 0
    docs = documents(text, lines)
    for where, doc in docs:
        try:
            inst = load(doc)
            errs = v.errors(inst, target, "$")
        except ValueError as e:
            errs = ["%s: %s" % ("not one JSON document a line" if lines else "not JSON", e)]
        for e in errs:
            said += 1
            if said <= MAX_SHOWN:
                sys.stderr.write("%s: %s: %s%s\n" % (PROG, shown, where, e))
            elif said == MAX_SHOWN + 1:
                sys.stderr.write("%s: %s: ... (more errors not shown)\n" % (PROG, shown))
        bad += bool(errs)
    if count is not None and len(docs) != count:
        sys.stderr.write("%s: %s: %d documents, not %d\n" % (PROG, shown, len(docs), count))
        return 1
    if not docs:
        sys.stderr.write("%s: %s: no document\n" % (PROG, shown))
        return 1
    if bad:
        sys.stderr.write("%s: %s: %d of %d documents not valid against %s\n"
                         % (PROG, shown, bad, len(docs), name))
        return 1
    print("%s: %s: %d document%s valid against %s" % (PROG, shown, len(docs),
                                                     "" if len(docs) == 1 else "s", name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
