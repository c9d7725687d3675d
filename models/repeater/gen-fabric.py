#!/usr/bin/env python3
"""Generate the shipped MemBox fabric topologies (configs/membox-*.yaml).

A fabric is a tree: the MemBox (DDR3 controller, 17-port arbiter, its own host on req16 through
PCIe) at the root; each MemBox optical port (an SPP on arbiter port i) reaches either a node's
adapter (pcie.adapter + link.mpp) or a repeater (repeater.switch + link.mpp up + one link.spp per
down port + its own host through a pcie.adapter on local_req). Every hop is a link.cable.

Usage: gen-fabric.py OUTDIR   (writes the configs listed in CONFIGS)
"""
import sys

TRACE = "../traces/mem/fabric-mixed.trace"

# name -> (header, mode, tree). A tree is a list of MemBox port children; a child is "node" or
# ("rep", [children]).
def rep(*kids):
    return ("rep", list(kids))

N = "node"
CONFIGS = {
    "membox-1node.yaml": (
        "The MemBox host alone: node0 reaches the DDR3 through its own PCIe slot (arbiter req16),\n"
        "no optical link (MemBox paper section 5.2.4).", "store_and_forward", []),
    "membox-2node.yaml": (
        "Two nodes: the MemBox host and one adapter on MemBox port 0 (paper Table 1, 2 nodes).",
        "store_and_forward", [N]),
    "membox-4node.yaml": (
        "Four nodes as in the paper: the MemBox host plus three adapters on ports 0-2, each a\n"
        "40G optical cable of 4 x 10GBase-R lanes.", "store_and_forward", [N, N, N]),
    "membox-8node-saf.yaml": (
        "The paper's 8-node shape: the MemBox host, three adapters on ports 0-2 and a\n"
        "store-and-forward repeater on port 3 serving its own host and three adapters.",
        "store_and_forward", [N, N, N, rep(N, N, N)]),
    "membox-8node-ct.yaml": (
        "As membox-8node-saf.yaml with a cut-through repeater (the paper's proposed fix).",
        "cut_through", [N, N, N, rep(N, N, N)]),
    "membox-16node-saf.yaml": (
        "Sixteen adapters through repeaters: four store-and-forward repeaters on the MemBox's four\n"
        "ports, each serving its own host and three adapters (plus the MemBox host: 17 nodes).",
        "store_and_forward", [rep(N, N, N)] * 4),
    "membox-16node-ct.yaml": (
        "As membox-16node-saf.yaml with cut-through repeaters.",
        "cut_through", [rep(N, N, N)] * 4),
    "membox-64node-tree.yaml": (
        "What-if: a deeper tree of 64 nodes behind the MemBox (plus its host): four cut-through\n"
        "repeaters on its ports, each with three repeaters below, each of those with four adapters\n"
        "(downs: 4, beyond the 16 adapters per MemBox the paper's repeaters reach).",
        "cut_through", [rep(rep(N, N, N, N), rep(N, N, N, N), rep(N, N, N, N))] * 4),
}


class Gen:
    def __init__(self, mode):
        self.mode = mode
        self.inst = []
        self.links = []
        self.nodes = 0
        self.reps = 0
        self.cables = 0
        self.max_downs = 3

    def host(self, name, src, comment):
        """A compute node: trace player, root complex, PCIe link, adapter; returns the adapter."""
        self.inst.append(f"  # {comment}")
        self.inst.append(f"  {name}: {{type: host.memtrace, trace: {TRACE}, src: {src}}}")
        self.inst.append(f"  {name}_rc: {{type: pcie.rc}}")
        self.inst.append(f"  {name}_pcie: {{type: pcie.link}}")
        self.inst.append(f"  {name}_ad: {{type: pcie.adapter, src: {src}}}")
        L = self.links
        L.append(f"  - {{from: {name}:req, to: {name}_rc:cpu_req}}")
        L.append(f"  - {{from: {name}_rc:cpu_resp, to: {name}:resp}}")
        L.append(f"  - {{from: {name}_rc:notify, to: {name}:notify}}")
        L.append(f"  - {{from: {name}_rc:tx, to: {name}_pcie:rc_tx}}")
        L.append(f"  - {{from: {name}_pcie:rc_rx, to: {name}_rc:rx}}")
        L.append(f"  - {{from: {name}_ad:tx, to: {name}_pcie:ep_tx}}")
        L.append(f"  - {{from: {name}_pcie:ep_rx, to: {name}_ad:rx}}")
        return f"{name}_ad"

    def cable(self, mpp, spp):
        c = f"cable{self.cables}"
        self.cables += 1
        self.inst.append(f"  {c}: {{type: link.cable}}")
        L = self.links
        L.append(f"  - {{from: {mpp}:tx, to: {c}:a_in}}")
        L.append(f"  - {{from: {c}:b_out, to: {spp}:rx}}")
        L.append(f"  - {{from: {spp}:tx, to: {c}:b_in}}")
        L.append(f"  - {{from: {c}:a_out, to: {mpp}:rx}}")

    def child(self, kid, spp, depth):
        """kid hangs below the SPP `spp` (whose mem_req/mem_resp the parent wired)."""
        if kid == N:
            self.nodes += 1
            n = f"node{self.nodes}"
            ad = self.host(n, self.nodes, f"{n}: adapter card, depth {depth}")
            self.inst.append(f"  {n}_mpp: {{type: link.mpp}}")
            self.links.append(f"  - {{from: {ad}:mem_req, to: {n}_mpp:req}}")
            self.links.append(f"  - {{from: {n}_mpp:resp, to: {ad}:mem_resp}}")
            self.cable(f"{n}_mpp", spp)
            return
        kids = kid[1]
        r = f"rep{self.reps}"
        self.reps += 1
        self.inst.append(f"  # {r}: repeater at depth {depth} ({len(kids)} down ports + own host)")
        extra = f", downs: {len(kids)}" if len(kids) != 3 else ""
        self.inst.append(f"  {r}: {{type: repeater.switch{extra}}}")
        # Cut-through repeaters cut through at their links too: their SPPs and MPP hand a data
        # packet on after its header (docs/models/repeater.md section 6).
        ct = ", cut_through: true" if self.mode == "cut_through" else ""
        self.inst.append(f"  {r}_up: {{type: link.mpp{ct}}}")
        self.links.append(f"  - {{from: {r}:up_req, to: {r}_up:req}}")
        self.links.append(f"  - {{from: {r}_up:resp, to: {r}:up_resp}}")
        self.cable(f"{r}_up", spp)
        self.nodes += 1
        n = f"node{self.nodes}"
        ad = self.host(n, self.nodes, f"{n}: {r}'s own host")
        self.links.append(f"  - {{from: {ad}:mem_req, to: {r}:local_req}}")
        self.links.append(f"  - {{from: {r}:local_resp, to: {ad}:mem_resp}}")
        for i, k in enumerate(kids):
            s = f"{r}_d{i}"
            self.inst.append(f"  {s}: {{type: link.spp{ct}}}")
            self.links.append(f"  - {{from: {s}:mem_req, to: {r}:req{i}}}")
            self.links.append(f"  - {{from: {r}:resp{i}, to: {s}:mem_resp}}")
            self.child(k, s, depth + 1)

    def build(self, tree):
        ad = self.host("node0", 0, "node0: the MemBox host, through its own PCIe slot")
        self.inst.append("  arb: {type: dram.arbiter}                  # 17 ports, round robin")
        self.inst.append("  ddr3: {type: dram.ctrl}                    # DDR3-1600 11-11-11")
        self.links.append(f"  - {{from: {ad}:mem_req, to: arb:req16, depth: 8}}")
        self.links.append(f"  - {{from: arb:resp16, to: {ad}:mem_resp, depth: 8}}")
        self.links.append("  - {from: arb:mem_req, to: ddr3:req}")
        self.links.append("  - {from: ddr3:resp, to: arb:mem_resp}")
        for p, kid in enumerate(tree):
            s = f"mb_p{p}"
            self.inst.append(f"  # MemBox optical port {p}")
            self.inst.append(f"  {s}: {{type: link.spp}}")
            self.links.append(f"  - {{from: {s}:mem_req, to: arb:req{p}}}")
            self.links.append(f"  - {{from: arb:resp{p}, to: {s}:mem_resp}}")
            self.child(kid, s, 1)


def main():
    out = sys.argv[1]
    for fname, (header, mode, tree) in CONFIGS.items():
        g = Gen(mode)
        g.build(tree)
        lines = ["# " + l if l else "#" for l in header.split("\n")]
        lines += [
            "#",
            f"# {g.nodes + 1} nodes, {g.reps} repeater(s) ({mode}), {g.cables} optical cable(s).",
            "# Every node replays traces/mem/fabric-mixed.trace (a few DMA writes and reads; node ids",
            "# tell their requests apart): short enough for CI under both kernels. Scale up with",
            "# `repeat:` on host.memtrace (defaults section) or a longer trace.",
            "#",
            "# A node: host.memtrace -> pcie.rc ==pcie.link== pcie.adapter -> link.mpp ==link.cable==",
            "# link.spp (a MemBox port, or a repeater's down port). A repeater: repeater.switch with",
            "# link.spp down ports on req<i>/resp<i>, its own host's adapter on local_req/local_resp",
            "# and a link.mpp up. docs/models/repeater.md. Generated by models/repeater/gen-fabric.py.",
            "sim:",
            "  allow_cycles: true          # request/response paths are cycles by nature",
            "  seed: 1",
            "  payload_blocks: 8192",
        ]
        if g.reps:
            lines += ["defaults:", f"  repeater.switch: {{mode: {mode}}}"]
        lines += ["instances:"] + g.inst + ["links:"] + g.links
        with open(f"{out}/{fname}", "w") as f:
            f.write("\n".join(lines) + "\n")


main()
