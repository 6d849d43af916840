#!/usr/bin/python3
"""What ACRN's own upgrader (misc/config_tools/scenario_config/upgrader.py) makes of many v2
scenarios, in one python process (test/integration/upgrade-ground-truth.test.ts compares it with
acrn-nest's upgrade; nothing is cached in the repo).

usage: upgrade.py CONFIG_TOOLS_DIR < jobs.json > results.json
  CONFIG_TOOLS_DIR  misc/config_tools of an ACRN v3.x checkout (a temp copy: upgrader.py is
                    imported from its scenario_config/)
  jobs.json         [{"scenario": PATH, "launch": PATH or null}, ...]
  results.json      [{"xml": TEXT, "log": [[LEVEL, MESSAGE], ...], "seconds": S} or
                     {"error": TEXT, "log": [...]}, ...]

Each job runs as `upgrader.py SCENARIO OUT [--launch LAUNCH]` would in a fresh process: the
schema is loaded and sliced again, and upgrader.py's class-level counters (vUART connection
numbers, the next virtual BDF per VM) are reset (the test also runs upgrader.py's own command line
on a few files and checks it gives the same tree).
Needs Debian's python3-lxml and python3-elementpath (/usr/bin/python3).
"""
import json
import logging
import os
import sys
import time
from collections import defaultdict


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append((record.levelname, record.getMessage()))


def main():
    tools = os.path.abspath(sys.argv[1])
    sys.path.insert(0, os.path.join(tools, "scenario_config"))
    sys.path.insert(0, tools)
    import upgrader
    from pipeline import PipelineObject
    from lxml_loader import LXMLLoadStage
    from schema_slicer import SlicingSchemaByVMTypeStage

    handler = Collect()
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    schema = os.path.join(tools, "schema", "config.xsd")
    jobs = json.load(sys.stdin)
    out = []
    for job in jobs:
        t0 = time.perf_counter()
        handler.records = []
        upgrader.VirtualUartConnections.VirtualUartEndpoint.next_dev = defaultdict(lambda: 16)
        upgrader.VirtualUartConnections.VirtualUartConnection.next_id = 1
        upgrader.SharedMemoryRegions.SharedMemoryRegion.next_dev = defaultdict(lambda: 8)
        upgrader.SharedMemoryRegions.SharedMemoryRegion.nr_regions = 0
        try:
            obj = PipelineObject(schema_path=schema, scenario_path=job["scenario"], launch_path=job.get("launch"))
            LXMLLoadStage("schema").run(obj)
            LXMLLoadStage("scenario").run(obj)
            if job.get("launch"):
                LXMLLoadStage("launch").run(obj)
            SlicingSchemaByVMTypeStage().run(obj)
            upgrader.UpgradingScenarioStage(has_launch_xml=bool(job.get("launch"))).run(obj)
            from lxml import etree
            xml = etree.tostring(obj.get("scenario_etree"), pretty_print=True).decode("ascii")
            out.append({"xml": xml, "log": handler.records, "seconds": time.perf_counter() - t0})
        except Exception as e:  # noqa: BLE001 - reported to the test as ACRN's failure
            out.append({"error": f"{type(e).__name__}: {e}", "log": handler.records})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
