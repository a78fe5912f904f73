#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The pictures in docs/images show what the tape records today: the nodes of
each committed SVG (name and shape) are those of the DOT file tape_tour
writes now. Usage: check_pictures.py DOT_DIR IMAGES_DIR name..."""
import html
import re
import sys
from collections import Counter


def dot_nodes(path):
    text = open(path).read()
    return Counter(tuple(html.unescape(l).split("\\n")) for l in re.findall(r'^\s*n\d+ \[[^\]]*label="((?:[^"\\]|\\.)*)"\]', text, re.M))


def svg_nodes(path):
    text = open(path).read()
    nodes = Counter()
    for group in re.findall(r'<g id="node\d+" class="node">(.*?)</g>', text, re.S):
        nodes[tuple(html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", group))] += 1
    return nodes


ok = True
dot_dir, images = sys.argv[1], sys.argv[2]
for name in sys.argv[3:]:
    now, shown = dot_nodes(f"{dot_dir}/{name}.dot"), svg_nodes(f"{images}/{name}.svg")
    if not now or now != shown:
        ok = False
        print(f"{images}/{name}.svg no longer shows the tape of today's code (tape_tour writes {name}.dot):")
        print(f"  only in the picture: {sorted((shown - now).elements())}")
        print(f"  only on the tape:    {sorted((now - shown).elements())}")
        print(f"  regenerate: build/examples/tape_tour --out docs/images")
    else:
        print(f"{name}: {sum(now.values())} nodes, as the tape records them")
sys.exit(0 if ok else 1)
