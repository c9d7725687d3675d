#!/usr/bin/env python3
"""The TLM-2.0 model types under the command line (docs/systemc.md, docs/models/tlm.md), where
no SystemC platform hands records over or binds a target:

- host.tlm nodes receive nothing: the run drains at once, every node with 0 records;
- a MemBox whose memory is tlm.memory fails at the first request, exit code 1, with a message
  saying that no TLM-2.0 target is bound;
- a MemBox's memory of another type is a configuration error (tests/config_errors/190).

Usage: test_tlm.py MEMBOX_SIM SOURCE_ROOT
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SIM = None
ROOT = None


def run(*args):
    p = subprocess.run([SIM, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


class TlmUnderTheCli(unittest.TestCase):
    def test_host_tlm_idle(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "s.json")
            code, _, err = run("run", "tests/systemc/tlm-2node.yaml", "--quiet", "--stats", out)
            self.assertEqual(code, 0, err)
            with open(out) as f:
                stats = json.load(f)["stats"]
        self.assertEqual(stats["node0.records"], 0)
        self.assertEqual(stats["node1.records"], 0)
        self.assertEqual(stats["mb_ddr3.read_requests"], 0)

    def test_tlm_memory_unbound(self):
        code, _, err = run("run", "tests/systemc/tlm-extmem.yaml", "--quiet",
                           "--set", "fabric.defaults.node.type=host.memtrace",
                           "--set", "fabric.defaults.node.trace=traces/mem/fabric-mixed.trace")
        self.assertEqual(code, 1, err)
        self.assertIn("instance 'mb_ddr3': no TLM-2.0 target is bound", err)

    def test_check_accepts_tlm_memory(self):
        code, out, err = run("check", "tests/systemc/tlm-extmem.yaml")
        self.assertEqual(code, 0, err)


if __name__ == "__main__":
    SIM, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=2)
