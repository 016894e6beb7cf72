"""alloc_heavy.py -- an allocation-heavy Python program for the benchmark.

Run by bench/run.py as `python3 alloc_heavy.py SCALE` under each allocator,
with PYTHONMALLOC=malloc so that every object, small ones included, comes
from the allocator under test instead of Python's own small-object pool.
It builds and drops dictionaries, lists, strings, tuples and class
instances, parses and prints JSON, and sorts; the line it prints depends only
on SCALE, so the runner can check that every allocator gave the same answer.
"""
import json
import sys
import zlib


class Node:
    __slots__ = ("key", "value", "children")

    def __init__(self, key, value):
        self.key = key
        self.value = value
        self.children = []


def build_tree(n):
    nodes = [Node("k%d" % i, i * 3) for i in range(n)]
    for i in range(1, n):
        nodes[(i - 1) // 4].children.append(nodes[i])
    return nodes[0]


def walk(root):
    total, stack = 0, [root]
    while stack:
        node = stack.pop()
        total += node.value + len(node.key)
        stack.extend(node.children)
    return total


def main():
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    rounds = max(1, int(3 * scale))
    n = max(1000, int(40000 * min(scale, 1.0)))
    crc = 0
    for r in range(rounds):
        # Dictionaries of strings to tuples, rebuilt every round.
        table = {}
        for i in range(n):
            key = "item-%d-%d" % (r, i)
            table[key] = (i, key.upper(), [i, i + 1, i + 2])
        crc = zlib.crc32(str(len(table)).encode(), crc)
        # String building and splitting.
        words = [k[::-1] for k in table if len(k) % 3 == 0]
        text = " ".join(words)
        parts = text.split(" ")
        crc = zlib.crc32(parts[len(parts) // 2].encode(), crc)
        # JSON round trip of nested structures.
        doc = [{"id": i, "tags": ["a%d" % (i % 7), "b%d" % (i % 11)], "w": i / 3}
               for i in range(n // 4)]
        back = json.loads(json.dumps(doc))
        crc = zlib.crc32(json.dumps(back[-1], sort_keys=True).encode(), crc)
        # A tree of small objects, walked and dropped.
        crc = zlib.crc32(str(walk(build_tree(n // 2))).encode(), crc)
        # Sorting tuples, then dropping half of the table.
        ordered = sorted(table.values(), key=lambda t: (t[1][-3:], t[0]))
        crc = zlib.crc32(repr(ordered[:3]).encode(), crc)
        for key in list(table)[::2]:
            del table[key]
        crc = zlib.crc32(str(sum(v[0] for v in table.values())).encode(), crc)
    print("checksum %08x" % crc)


if __name__ == "__main__":
    main()
