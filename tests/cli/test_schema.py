#!/usr/bin/env python3
"""`membox-sim schema`: the shipped configs/membox-sim.schema.json (and the DRAM preset schema
beside the presets) are exactly what the command generates, every shipped topology and preset
validates against them and names them on its first line for a YAML language server, and the
schema rejects what the loader rejects in keys, types, units, ranges and enums.

Usage: test_schema.py MEMBOX_SIM SOURCE_ROOT
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

import jsonschema
import yaml

SIM = None
ROOT = None

MODELINE = "# yaml-language-server: $schema="


class Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 core-schema scalars, as the loader and YAML language servers read them: only
    true/false are booleans, 1e-9 is a number, yes/on/no/off are strings."""


Yaml12Loader.yaml_implicit_resolvers = {}
for tag, regexp, first in [
        ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
        ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
         "-+0123456789"),
        ("tag:yaml.org,2002:float",
         r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
         r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
]:
    Yaml12Loader.add_implicit_resolver(tag, re.compile(regexp), list(first) or None)
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])


def load_yaml(path):
    with open(path) as f:
        return yaml.load(f, Loader=Yaml12Loader)


def sim(*args):
    return subprocess.run([SIM, *args], capture_output=True, text=True, cwd=ROOT, timeout=60)


def topologies():
    """Every topology in the tree, with the path its modeline gives the schema by."""
    return ([(p, "membox-sim.schema.json")
             for p in sorted(glob.glob(os.path.join(ROOT, "configs", "*.yaml")))] +
            [(p, "../../configs/membox-sim.schema.json")
             for p in sorted(glob.glob(os.path.join(ROOT, "tests", "bench", "*.yaml")))])


def presets():
    return sorted(glob.glob(os.path.join(ROOT, "configs", "dram", "*.yaml")))


class Schema(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(ROOT, "configs", "membox-sim.schema.json")) as f:
            cls.schema = json.load(f)
        with open(os.path.join(ROOT, "configs", "dram", "dram.ctrl.schema.json")) as f:
            cls.preset_schema = json.load(f)
        jsonschema.Draft7Validator.check_schema(cls.schema)
        jsonschema.Draft7Validator.check_schema(cls.preset_schema)
        cls.validator = jsonschema.Draft7Validator(cls.schema)

    def errors(self, doc):
        return sorted(e.message for e in self.validator.iter_errors(doc))

    def test_shipped_schemas_are_generated(self):
        r = sim("schema")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(ROOT, "configs", "membox-sim.schema.json")) as f:
            self.assertTrue(f.read() == r.stdout,
                            "configs/membox-sim.schema.json is stale: regenerate it with "
                            "`membox-sim schema -o configs/membox-sim.schema.json`")
        r = sim("schema", "--preset", "dram.ctrl")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(ROOT, "configs", "dram", "dram.ctrl.schema.json")) as f:
            self.assertTrue(f.read() == r.stdout,
                            "configs/dram/dram.ctrl.schema.json is stale: regenerate it with "
                            "`membox-sim schema --preset dram.ctrl -o ...`")

    def test_every_shipped_topology_validates_and_names_the_schema(self):
        self.assertGreater(len(topologies()), 10)
        for path, schema in topologies():
            with self.subTest(config=os.path.relpath(path, ROOT)):
                with open(path) as f:
                    self.assertEqual(f.readline(), MODELINE + schema + "\n")
                self.assertTrue(os.path.exists(os.path.join(os.path.dirname(path), schema)))
                self.assertEqual(self.errors(load_yaml(path)), [])

    def test_every_shipped_preset_validates_and_names_its_schema(self):
        self.assertGreater(len(presets()), 2)
        v = jsonschema.Draft7Validator(self.preset_schema)
        for path in presets():
            with self.subTest(preset=os.path.relpath(path, ROOT)):
                with open(path) as f:
                    self.assertEqual(f.readline(), MODELINE + "dram.ctrl.schema.json\n")
                self.assertEqual([e.message for e in v.iter_errors(load_yaml(path))], [])

    def test_schema_rejects_what_the_loader_rejects(self):
        base = load_yaml(os.path.join(ROOT, "configs", "membox-2node.yaml"))
        cases = [
            # (an edit of the document, a YAML text the loader gets, part of the schema error)
            (lambda d: d["sim"].update(bogus=1), "sim.bogus=1",
             "Additional properties are not allowed ('bogus' was unexpected)"),
            (lambda d: d["sim"].update(watchdog="5 ns"), "sim.watchdog=5 ns",
             "'5 ns' does not match"),
            (lambda d: d["sim"].update(watchdog=12), "sim.watchdog=12",
             "12 is greater than the maximum of 0"),
            (lambda d: d["sim"].update(max_depth=8), "sim.max_depth=8",
             "8 is greater than the maximum of 7"),
            (lambda d: d["sim"].update(allow_cycles="yes"), "sim.allow_cycles=yes",
             "'yes' is not of type 'boolean'"),
            (lambda d: d["fabric"]["optical"][0].update(lanes=9), "fabric.optical.0.lanes=9",
             "9 is greater than the maximum of 8"),
            (lambda d: d["fabric"]["optical"][0].update(ber="often"),
             "fabric.optical.0.ber=often", "'often' is not of type 'number'"),
            (lambda d: d["fabric"]["memboxes"]["mb"].update(port={"nosuch": 1}),
             "fabric.memboxes.mb.port.nosuch=1",
             "Additional properties are not allowed ('nosuch' was unexpected)"),
            (lambda d: d["fabric"]["defaults"]["node"].update(access="mmio"),
             "fabric.defaults.node.access=mmio", "'mmio' is not one of ['dma', 'pio']"),
            (lambda d: d["fabric"]["defaults"]["node"].update(window="4 GiB"),
             "fabric.defaults.node.window=4 GiB", "'4 GiB' does not match"),
            (lambda d: d["fabric"]["defaults"]["node"].update(repeat=0),
             "fabric.defaults.node.repeat=0", "0 is less than the minimum of 1"),
            (lambda d: d.update(instances={"x": {"type": "no.such"}}), None,
             "'no.such' is not one of"),
            (lambda d: d.update(instances={"x": {"type": "generic.delay", "depth": -1}}), None,
             "-1 is less than the minimum of"),
        ]
        for edit, setting, want in cases:
            with self.subTest(want=want):
                doc = json.loads(json.dumps(base))
                edit(doc)
                errs = self.errors(doc)
                self.assertTrue(any(want in e for e in errs), errs)
                if setting is not None:
                    path, value = setting.split("=", 1)
                    r = sim("check", "configs/membox-2node.yaml", "--set", setting)
                    self.assertEqual(r.returncode, 2, (setting, r.stdout))

    def test_types_keys_and_fabric_come_from_the_tables(self):
        r = sim("describe")
        types = [line.split()[0] for line in r.stdout.split("\n\n")[0].splitlines()[1:]]
        self.assertGreater(len(types), 20)
        defs = self.schema["definitions"]
        self.assertEqual(sorted(defs["workload"]["properties"]["type"]["enum"]), sorted(types))
        for t in types:
            r = sim("describe", t)
            table = r.stdout.split("Parameters:\n", 1)[1].split("\n\n", 1)[0]
            keys = [line.split()[0] for line in table.splitlines()[1:]]
            with self.subTest(type=t):
                self.assertEqual(sorted(set(defs["params." + t]["properties"]) -
                                        {"type", "preset"}), sorted(keys))
        fabric = self.schema["properties"]["fabric"]["properties"]
        self.assertEqual(sorted(fabric), ["defaults", "memboxes", "nodes", "optical",
                                          "repeaters", "workload"])

    def test_usage_errors(self):
        r = sim("schema", "--preset", "no.such")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, "membox-sim: --preset: unknown model type 'no.such'; "
                         "'membox-sim describe' lists them\n")
        r = sim("schema", "extra")
        self.assertEqual(r.returncode, 2)
        self.assertIn("'schema' takes no argument, got 'extra'", r.stderr)
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "s.json")
            r = sim("schema", "-o", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(os.listdir(tmp), ["s.json"])
            r = sim("schema", "-o", os.path.join(tmp, "no", "s.json"))
            self.assertEqual(r.returncode, 2)
            self.assertIn("cannot write: No such file or directory", r.stderr)


if __name__ == "__main__":
    SIM, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=2)
