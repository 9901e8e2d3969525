#!/usr/bin/env python3
"""Assembles docs/metrics.md from its section files, adding the anchors that reports link to
(GenAudit.Audit.MetricCatalog). Run from the repository root: python3 tools/docs/build-metrics.py"""
import re, sys, pathlib

docs = pathlib.Path("docs")
sections = ["metrics-training.md", "metrics-evaluate.md", "metrics-quality.md", "metrics-text.md", "metrics-stability.md", "metrics-explanations.md"]
anchors = {  # heading prefix -> anchor id
    "## FID": "fid", "## KID": "kid", "## Precision, recall, density, coverage": "prdc",
    "## Improved precision and recall": "improved-pr", "## Inception-style score": "is",
    "## Mode coverage": "modes", "## Class coverage": "classes", "## Memorisation": "copies",
    "## Feature space": "feature-space", "## Stability score": "stability-score",
"## Perceptual path length": "ppl",
    "## Local Lipschitz estimate": "lipschitz", "## Determinism": "determinism",
    "## Training dynamics": "dynamics", "## Seed variance": "seeds",
    "## The explainability score": "explainability-score", "## Metrics": "explanation-metrics",
}
out = ["# Metric definitions", "",
       "Every number GenAudit prints or writes is defined here, with its direction (↑ higher is better, "
       "↓ lower is better) and its range. Audit reports carry the sections under this page's anchors in "
       "their glossary (the page is embedded in the library at build time). Each section is kept "
       "in its own file under docs/ and assembled by `tools/docs/build-metrics.py`.", ""]
found = set()
for name in sections:
    text = (docs / name).read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("# "):  # a section file's title becomes a second-level heading
            line = "#" + line
        elif line.startswith("#"):
            line = "#" + line
        for prefix, anchor in anchors.items():
            if line.startswith("#" + prefix) and anchor not in found:
                out.append(f'<a id="{anchor}"></a>')
                found.add(anchor)
        out.append(line)
    out.append("")
missing = sorted(set(anchors.values()) - found)
if missing:
    print("warning: no heading for anchors " + ", ".join(missing), file=sys.stderr)
(docs / "metrics.md").write_text("\n".join(out) + "\n", encoding="utf-8")
print(f"wrote docs/metrics.md ({len(out)} lines, {len(found)} anchors)")
