#!/usr/bin/python3
"""Ground truth for ACRN v2.x scenarios: validate with config.xsd as XSD 1.1, the way ACRN's
v2 tools do (lxml expands the xi:include, xmlschema validates). Needs Debian's python3-lxml and
python3-xmlschema (run with /usr/bin/python3).

usage: xsd11.py ACRN_TREE SCENARIO.xml...
Prints one JSON object per finding: {"file", "path", "reason", "severity": "critical"}, and
{"file", "ok": true} for a valid file.
"""
import json
import os
import sys

from lxml import etree
import xmlschema


def main(argv):
    tree, files = argv[1], argv[2:]
    xsd_path = os.path.join(tree, "misc", "config_tools", "schema", "config.xsd")
    xsd = etree.parse(xsd_path)
    xsd.xinclude()
    schema = xmlschema.XMLSchema11(etree.tostring(xsd, encoding="unicode"), base_url=os.path.dirname(xsd_path) + "/")
    for f in files:
        doc = etree.parse(f, etree.XMLParser(remove_blank_text=True))
        n = 0
        for err in schema.iter_errors(doc):
            n += 1
            print(json.dumps({"file": f, "path": err.path, "reason": err.reason, "severity": "critical"}))
        if n == 0:
            print(json.dumps({"file": f, "ok": True}))


if __name__ == "__main__":
    main(sys.argv)
