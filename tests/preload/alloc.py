# alloc.py — an allocation-heavy Python workload for the LD_PRELOAD test:
# dicts, lists, strings, sets and tuples built, grown, copied and dropped.
# Prints results that depend only on the computation (no addresses, no time).
import hashlib


def words(n, seed):
    x = seed
    out = []
    for _ in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        k = 3 + (x >> 33) % 12
        out.append("".join(chr(97 + (x >> (5 * i)) % 26) for i in range(k)))
    return out


h = hashlib.sha256()
total = 0
for rnd in range(6):
    ws = words(40000, rnd + 1)
    counts = {}
    for w in ws:
        counts[w] = counts.get(w, 0) + 1
    index = {}
    for i, w in enumerate(ws):
        index.setdefault(w[:2], []).append(i)
    joined = ",".join(sorted(counts))
    parts = joined.split(",")
    big = [(w, len(w), w.upper() * 3) for w in parts]
    big.sort(key=lambda t: (t[1], t[0]))
    s = set(ws[::3]) ^ set(ws[1::3])
    nested = [{"k": w, "v": [len(w)] * (len(w) % 7)} for w in ws[:20000]]
    text = "".join(t[2] for t in big[:5000])
    total += len(counts) + len(index) + len(s) + len(text) + sum(len(d["v"]) for d in nested)
    h.update(joined.encode())
    h.update(text.encode())
    del ws, counts, index, joined, parts, big, s, nested, text

# a string grown by repeated concatenation and a list of big byte strings
acc = ""
for i in range(20000):
    acc += str(i)
blobs = [bytes([i % 256]) * (1000 + i * 37) for i in range(3000)]
h.update(acc.encode())
h.update(b"".join(blobs[::50]))
print("total", total)
print("len", len(acc), sum(len(b) for b in blobs))
print("sha256", h.hexdigest())
