#!/usr/bin/env python3
"""Logs in the benchmark's users and writes each one's URL list for wrk
(bench/web/run.sh). Browsing users page through the patient list (some pages
filtered or searched) and open patients they may see; analysing users run a
set of Kaplan-Meier analyses on the analysis page.

Usage: prepare.py BASE_URL OUT_DIR PASSWORD   (users from OUT_DIR/users.txt:
"name role purpose" per line, purpose = browse or analyse)."""
import json
import random
import sys
import urllib.request

base, out, password = sys.argv[1], sys.argv[2], sys.argv[3]
rng = random.Random(42)


def call(path, cookie=None, body=None):
    req = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode())
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if cookie:
        req.add_header("Cookie", cookie)
    with urllib.request.urlopen(req) as r:
        return r.headers, json.loads(r.read())


ANALYSES = [
    ("os", "diagnosis"), ("os", "metastatic"), ("os", "line:1"),
    ("pfs", "line:1"), ("ttp", "line:1"), ("pfs", "line:2"),
]
GROUPS = ["grade", "primary"]
FILTERS = ["", "&grade=g1", "&vital=dead", "&primary=pancreas", "&grade=g3&vital=alive"]

users = [line.split() for line in open(f"{out}/users.txt") if line.strip()]
counts = {"browse": 0, "analyse": 0}
for name, role, purpose in users:
    headers, me = call("/api/login", body={"username": name, "password": password})
    cookie = headers["Set-Cookie"].split(";")[0]
    urls = []
    if purpose == "browse":
        _, first = call("/api/patients", cookie)
        pages = first["pages"]
        ids = []
        for p in rng.sample(range(1, pages + 1), min(pages, 8)):
            _, page = call(f"/api/patients?page={p}", cookie)
            ids += [r["id"] for r in page["patients"]]
        for _ in range(400):
            x = rng.random()
            if x < 0.30:
                urls.append(f"/patients?page={rng.randint(1, pages)}")
            elif x < 0.45:
                urls.append(f"/patients?page={rng.randint(1, 20)}{rng.choice(FILTERS)}")
            elif x < 0.50:
                # Search by a part of the code (pseudonym for analysts).
                i = rng.choice(ids)
                k = rng.randint(3, 6)
                s = rng.randint(0, len(i) - k)
                urls.append(f"/patients?q={i[s:s + k]}")
            else:
                urls.append(f"/patients/{rng.choice(ids)}")
    else:
        combos = [(e, f, g) for (e, f) in ANALYSES for g in GROUPS]
        for _ in range(4):
            rng.shuffle(combos)
            urls += [f"/analysis?endpoint={e}&from={f}&group={g}&landmark=36" for e, f, g in combos]
    counts[purpose] += 1
    d = "pages" if purpose == "browse" else "analyses"
    with open(f"{out}/{d}/user{counts[purpose]}.txt", "w") as f:
        f.write(cookie + "\n" + "\n".join(urls) + "\n")
print(f"sessions: {counts['browse']} browsing, {counts['analyse']} analysing")
