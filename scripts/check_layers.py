#!/usr/bin/env python3
"""Checks the include graph against the layers of tsdb and the module graph.

Inside tsdb/ every folder belongs to one layer target; tsdb/layers.txt says
which, and what each layer links (the same file CMake builds the layers
from, so the two cannot drift). A library source may include headers of its
own target and of the targets it links, directly or through lower layers,
and nothing else: not a higher layer, not a sibling it does not link.
Outside tsdb/, scrape, promql, rules and web reach storage only through the
tsdb targets docs/CONVENTIONS.md's module table gives them, and remote/ only
through the lower layers it links. The tsdb rows of that table must name
the links tsdb/layers.txt gives.

Test sources (*_test.cc, *_for_test.h, *_test_util.h) and the bench/,
tests/ and server/ trees may include anything: only library code matters.

Usage:
  check_layers.py [--root DIR]   exit 1 and print file:line: include for
                                 every violation; exit 0 when clean
  check_layers.py --self-test [--root DIR]
                                 the real tree passes; a copy of it with an
                                 injected upward include fails, naming it
"""

import argparse
import os
import re
import shutil
import sys
import tempfile

LAYERS_FILE = "tsdb/layers.txt"
CONVENTIONS = "docs/CONVENTIONS.md"

# Modules outside tsdb/: the tsdb targets each may include headers of
# (docs/CONVENTIONS.md, "Layout and module graph"). None names the engine.
MODULE_TSDB_DEPS = {
    "scrape": ["tsdb_api"],
    "promql": ["tsdb_api"],
    "rules": ["tsdb_api"],
    "web": ["tsdb_api", "tsdb_chunkenc"],
    "remote/proto": ["tsdb_encoding"],
    "remote/read": ["tsdb_api", "tsdb_chunkenc"],
    "remote/write": ["tsdb_api", "tsdb_wal"],
}

TEST_FILE = re.compile(r"(_test\.cc|_for_test\.h|_test_util\.h)$")
INCLUDE = re.compile(r'^\s*#\s*include\s+"((?:tsdb|scrape|promql|rules|web|remote|server)/[^"]+)"')


def read_layers(root):
    """The layers of tsdb/layers.txt, lowest first: [(target, folders, links)].
    Folder "" is tsdb/ itself ("." in the file). Exits on a malformed file."""
    layers, seen = [], set()
    path = os.path.join(root, LAYERS_FILE)
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            fields = line.split()
            if len(fields) != 3:
                sys.exit(f"{LAYERS_FILE}:{lineno}: want 'target folders links', got: {line}")
            target, folders, links = fields
            links = [] if links == "-" else links.split(",")
            for dep in links:
                if dep not in seen:
                    sys.exit(f"{LAYERS_FILE}:{lineno}: {target} links {dep}, which is not a layer listed before it")
            folders = ["" if d == "." else d for d in folders.split(",")]
            layers.append((target, folders, links))
            seen.add(target)
    return layers


def layer_tables(layers):
    """Returns ({folder: target}, {target: index}, {target: reachable targets})."""
    folder_target, index, direct = {}, {}, {}
    for i, (target, folders, deps) in enumerate(layers):
        index[target] = i
        direct[target] = deps
        for folder in folders:
            folder_target[folder] = target
    reach = {}
    for target, _, _ in layers:  # lowest first, so deps are done
        seen = {target}
        for dep in direct[target]:
            seen |= reach[dep]
        reach[target] = seen
    return folder_target, index, reach


def tsdb_target_of(path, folder_target):
    """The layer target of a path "tsdb/<folder>/file" or "tsdb/file"."""
    parts = path.split("/")
    folder = parts[1] if len(parts) > 2 else ""
    return folder_target.get(folder)


def allowed_for(rel, folder_target, reach):
    """(name, allowed targets) for a library file, or None if unchecked."""
    if rel.startswith("tsdb/"):
        target = tsdb_target_of(rel, folder_target)
        if target is None:
            return ("unknown tsdb folder", set())
        return (target, reach[target])
    for module, deps in MODULE_TSDB_DEPS.items():
        if rel.startswith(module + "/"):
            allowed = {"promethium_base"}
            for dep in deps:
                allowed |= reach[dep]
            return (module, allowed)
    return None


def source_files(root):
    for top in ["tsdb", "scrape", "promql", "rules", "web", "remote"]:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames if d != "testdata")
            for name in sorted(filenames):
                if name.endswith((".cc", ".h")) and not TEST_FILE.search(name):
                    yield os.path.relpath(os.path.join(dirpath, name), root)


TABLE_ROW = re.compile(r"^\|[^|]*\|\s*`([a-z_]+)`\s*\|([^|]*)\|")


def check_conventions(root, layers):
    """The tsdb rows of docs/CONVENTIONS.md's module table must name, before
    any parenthesis, exactly the layer links tsdb/layers.txt gives."""
    path = os.path.join(root, CONVENTIONS)
    if not os.path.exists(path):
        return []
    links = {target: set(deps) for target, _, deps in layers}
    problems, found = [], set()
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            m = TABLE_ROW.match(line)
            if not m or m.group(1) not in links:
                continue
            target = m.group(1)
            found.add(target)
            named = set(re.findall(r"`([a-z_]+)`", m.group(2).split("(")[0]))
            if named != links[target]:
                problems.append(f"{CONVENTIONS}:{lineno}: {target} may link {sorted(named)}, but {LAYERS_FILE} "
                                f"gives {sorted(links[target])}")
    for target in links:
        if target not in found:
            problems.append(f"{CONVENTIONS}: no row for layer {target} of {LAYERS_FILE}")
    return problems


def check(root):
    """Returns the violations as printable lines."""
    layers = read_layers(root)
    folder_target, index, reach = layer_tables(layers)
    problems = check_conventions(root, layers)
    for rel in source_files(root):
        rel = rel.replace(os.sep, "/")
        owner = allowed_for(rel, folder_target, reach)
        if owner is None:
            continue
        name, allowed = owner
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                header = m.group(1)
                if not header.startswith("tsdb/"):
                    if rel.startswith("tsdb/"):
                        problems.append(f'{rel}:{lineno}: #include "{header}" (tsdb never includes other modules)')
                    continue
                target = tsdb_target_of(header, folder_target)
                if target in allowed:
                    continue
                if target is None:
                    why = "a header outside every tsdb layer"
                elif name in index and index[target] > index[name]:
                    why = f"{target} is a higher layer than {name}"
                else:
                    why = f"{name} does not link {target}"
                problems.append(f'{rel}:{lineno}: #include "{header}" ({why})')
    return problems


def run_check(root):
    problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"layers-check: {len(problems)} include(s) break the layer order "
              "(scripts/check_layers.py, docs/ARCHITECTURE.md)")
        return 1
    print("layers-check: OK")
    return 0


def copy_sources(root, dest):
    """Copies the checked C++ sources (only those), the layer file and the
    conventions of root into dest."""
    for rel in [LAYERS_FILE, CONVENTIONS]:
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copyfile(os.path.join(root, rel), os.path.join(dest, rel))
    for top in ["tsdb", "scrape", "promql", "rules", "web", "remote"]:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = [d for d in dirnames if d != "testdata"]
            for name in filenames:
                if name.endswith((".cc", ".h")):
                    src = os.path.join(dirpath, name)
                    dst = os.path.join(dest, os.path.relpath(src, root))
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    shutil.copyfile(src, dst)


def inject(dest, rel, include):
    """Prepends the include to dest/rel; returns the original text."""
    path = os.path.join(dest, rel)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(f'#include "{include}"\n' + text)
    return text


def layers_file_cases(dest):
    """The include rules follow tsdb/layers.txt, and a table row of
    docs/CONVENTIONS.md that disagrees with it is reported."""
    failures = []
    path = os.path.join(dest, LAYERS_FILE)
    with open(path, encoding="utf-8") as f:
        original = f.read()
    rel, include = "tsdb/exemplar/circular_exemplar_storage.cc", "tsdb/encoding/crc32c.h"
    text = inject(dest, rel, include)
    if not any(p.startswith(f"{rel}:1: ") for p in check(dest)):
        failures.append(f"{rel} including {include} was not reported")
    # Give tsdb_exemplar the encoding layer in the file only: the include
    # becomes legal, and the docs row no longer matches.
    with open(path, "w", encoding="utf-8") as f:
        f.write(re.sub(r"^(tsdb_exemplar\s+\S+\s+)tsdb_api$", r"\1tsdb_api,tsdb_encoding", original, flags=re.M))
    problems = check(dest)
    if any(p.startswith(f"{rel}:") for p in problems):
        failures.append(f"{rel} including {include} was reported although {LAYERS_FILE} allows it")
    if not any(p.startswith(f"{CONVENTIONS}:") and "tsdb_exemplar" in p for p in problems):
        failures.append(f"{CONVENTIONS} disagreeing with {LAYERS_FILE} on tsdb_exemplar was not reported")
    with open(path, "w", encoding="utf-8") as f:
        f.write(original)
    with open(os.path.join(dest, rel), "w", encoding="utf-8") as f:
        f.write(text)
    return failures


def self_test(root):
    failures = []
    if check(root):
        failures.append("the real tree does not pass")
    # Each case: (file that gets the include, the include, must it fail?).
    cases = [
        ("tsdb/block/block.cc", "tsdb/head/head.h", True),         # sibling above
        ("tsdb/chunkenc/xor_chunk.cc", "tsdb/wal/wal.h", True),     # higher layer
        ("tsdb/head/head.cc", "tsdb/block/block.h", True),         # sibling, not linked
        ("tsdb/querier/merge_querier.cc", "tsdb/db.h", True),       # the top
        ("promql/engine/engine.cc", "tsdb/head/head.h", True),      # module -> engine
        ("web/query_api.cc", "tsdb/db.h", True),
        ("tsdb/wal/wal.cc", "promql/engine/engine.h", True),     # tsdb -> module
        ("tsdb/head/head.cc", "tsdb/querier/block_querier.h", False),
        ("tsdb/head/head_test.cc", "tsdb/db.h", False),             # tests may
    ]
    with tempfile.TemporaryDirectory() as dest:
        copy_sources(root, dest)
        for rel, include, must_fail in cases:
            if not os.path.exists(os.path.join(root, rel)):
                failures.append(f"self-test fixture {rel} is gone; update the cases")
                continue
            original = inject(dest, rel, include)
            problems = check(dest)
            with open(os.path.join(dest, rel), "w", encoding="utf-8") as f:
                f.write(original)
            named = any(p.startswith(f"{rel}:1: ") and include in p for p in problems)
            if must_fail and not named:
                failures.append(f"{rel} including {include} was not reported")
            if not must_fail and problems:
                failures.append(f"{rel} including {include} was reported: {problems}")
        failures += layers_file_cases(dest)
    for f in failures:
        print("self-test FAILED:", f)
    if not failures:
        print(f"check_layers self-test: OK ({len(cases)} injected includes)")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."))
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    root = os.path.abspath(args.root)
    return self_test(root) if args.self_test else run_check(root)


if __name__ == "__main__":
    sys.exit(main())
