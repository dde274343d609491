#!/usr/bin/env python3
"""The benchmark report, from the JSON lines `scripts/bench.sh` collected.

    scripts/bench-report.py DIR

DIR holds `orm-<run>.jsonl` and `peers-<run>.jsonl` (one file per process run of
benches/orm and benches/peers: a line per variant, `"kind": "case"`, and one
`"kind": "process"` line of run conditions), `rss.jsonl` (one line per fresh process of
benches/rss), optionally `instructions.md` (scripts/instructions.sh) and `meta.json`
(what bash knew: dates, load averages, total time, commit). Writes DIR/report.md (for
docs/benchmarks.md) and DIR/report-readme.md (the shorter README version).

Every ratio is taken inside one process (both sides measured in the same process, their
samples interleaved) and then summarised over the processes as min / median / max; the
times are the processes' medians, summarised the same way.
"""

import glob
import json
import os
import platform
import re
import statistics
import subprocess
import sys

DIR = sys.argv[1]


def lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def runs_of(prefix):
    files = sorted(
        glob.glob(os.path.join(DIR, f"{prefix}-*.jsonl")),
        key=lambda p: int(re.search(r"-(\d+)\.jsonl$", p).group(1)),
    )
    return [lines(p) for p in files]


META = json.load(open(os.path.join(DIR, "meta.json")))
ORM_RUNS = runs_of("orm")
PEER_RUNS = runs_of("peers")
ALONE_RUNS = runs_of("alone")
RSS = lines(os.path.join(DIR, "rss.jsonl")) if os.path.exists(os.path.join(DIR, "rss.jsonl")) else []
INSTR_PATH = os.path.join(DIR, "instructions.md")
INSTRUCTIONS = open(INSTR_PATH).read().strip() if os.path.exists(INSTR_PATH) else ""


# ---- formatting ---------------------------------------------------------------------


def fmt_ns(ns):
    if ns < 1_000:
        return f"{ns:.0f} ns"
    if ns < 1_000_000:
        return f"{ns / 1_000:.2f} µs"
    return f"{ns / 1_000_000:.2f} ms"


def unit_of(ns):
    if ns < 1_000:
        return 1, "ns", 0
    if ns < 1_000_000:
        return 1_000, "µs", 2
    return 1_000_000, "ms", 2


def mmm(values):
    """(min, median, max)."""
    return min(values), statistics.median(values), max(values)


def fmt_times(values):
    lo, med, hi = mmm(values)
    div, unit, digits = unit_of(med)
    f = lambda v: f"{v / div:.{digits}f}"
    return f"{f(lo)} / **{f(med)}** / {f(hi)} {unit}"


def fmt_ratios(values):
    lo, med, hi = mmm(values)
    return f"{lo:.2f} / **{med:.2f}** / {hi:.2f}×"


def fmt_ratio_med(values):
    lo, med, hi = mmm(values)
    return f"**{med:.2f}×** ({lo:.2f}–{hi:.2f})"


def fmt_fault(v):
    return f"{v:.0f}" if v >= 10 else f"{v:.2f}"


def fmt_faults(values):
    lo, med, hi = mmm(values)
    if hi - lo < 0.005:
        return fmt_fault(med)
    return f"{fmt_fault(lo)} / {fmt_fault(med)} / {fmt_fault(hi)}"


def fmt_kib(kib):
    return f"{kib / 1024:.1f}"


# ---- the collected results ----------------------------------------------------------


def index(runs):
    """[(case order, case label)], {case: [variant order]}, {(case, variant): [record per run]}"""
    cases, variants, records = [], {}, {}
    for run in runs:
        for r in run:
            if r.get("kind") != "case":
                continue
            if r["case"] not in variants:
                cases.append((r["case"], r["case_label"]))
                variants[r["case"]] = []
            if r["variant"] not in variants[r["case"]]:
                variants[r["case"]].append(r["variant"])
            records.setdefault((r["case"], r["variant"]), []).append(r)
    return cases, variants, records


def per_run(runs, case, variant):
    """The variant's record in each run (None where it did not run)."""
    out = []
    for run in runs:
        found = [r for r in run if r.get("kind") == "case" and r["case"] == case and r["variant"] == variant]
        out.append(found[0] if found else None)
    return out


def ratios(runs, case, num, den):
    """num / den per run, both from the same process."""
    out = []
    for a, b in zip(per_run(runs, case, num), per_run(runs, case, den)):
        if a and b:
            out.append(a["median_ns"] / b["median_ns"])
    return out


def processes(runs):
    return [r for run in runs for r in run if r.get("kind") == "process"]


ORM_CASES, ORM_VARIANTS, ORM_RECORDS = index(ORM_RUNS)
PEER_CASES, PEER_VARIANTS, PEER_RECORDS = index(PEER_RUNS)


# ---- run conditions -----------------------------------------------------------------


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def mem_gib():
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            return int(line.split()[1]) / 1024 / 1024
    return 0


def busy_summary(procs):
    others = [p["other_cores"] for p in procs]
    if not others:
        return "–"
    lo, med, hi = mmm(others)
    return f"{lo:.2f} / {med:.2f} / {hi:.2f}"


def conditions(runs_label):
    all_procs = processes(ORM_RUNS) + processes(PEER_RUNS) + processes(ALONE_RUNS)
    loads = [float(p["load_before"]) for p in all_procs] + [float(p["load_after"]) for p in all_procs]
    others = [p["other_cores"] for p in all_procs]
    cores = os.cpu_count()
    busiest = max(others) if others else 0
    typical = statistics.median(others) if others else 0
    if typical >= 0.5:
        verdict = "busy with other work for most of the run"
    elif busiest >= 0.5:
        verdict = "busy with other work during part of the run"
    elif busiest >= 0.1:
        verdict = "lightly used by other work at times"
    else:
        verdict = "otherwise idle"
    settings = ORM_RUNS[0][-1]["settings"] if ORM_RUNS and ORM_RUNS[0] and "settings" in ORM_RUNS[0][-1] else ""
    src = META["commit"] + ("" if META["src_clean"] else " plus uncommitted changes to src/")
    return [
        f"Generated by `scripts/bench.sh` on {META['started']} (UTC); the whole script took "
        f"{META['elapsed_s'] // 60} min {META['elapsed_s'] % 60:02d} s.",
        "",
        "**Run conditions.** "
        f"{cores} cores, {cpu_model()}, {mem_gib():.0f} GiB RAM, Linux {platform.release()}; "
        f"{META['rustc']}; release builds (`cargo bench`), library code of commit {src}. "
        "Embedded SQLite (rusqlite 0.38, bundled), in-memory databases; glibc malloc with its "
        "default settings. "
        f"{runs_label} In each process: {settings}. "
        f"1-minute load average {META['load_start']} when the script started, {META['load_end']} "
        f"when it ended, {min(loads):.2f}–{max(loads):.2f} around the bench processes. While "
        "they ran, the rest of the machine kept min / median / max "
        f"{busy_summary(all_procs)} of the {cores} cores busy (from `/proc/stat`, minus the "
        f"process's own CPU time): the machine was {verdict}.",
    ]


# ---- tables -------------------------------------------------------------------------

LABEL = {
    "raw_map": "raw rusqlite → map",
    "raw_struct": "raw rusqlite → struct",
    "raw_one_statement": "raw, the ORM's one statement → map",
    "orm": "roost-orm",
    "orm_typed": "roost-orm typed (`*_as`)",
}


def orm_table():
    out = [
        "| case | variant | time per op, min / **median** / max | ÷ raw → map | ÷ raw → struct | faults / op |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for case, label in ORM_CASES:
        for v in ORM_VARIANTS[case]:
            recs = ORM_RECORDS[(case, v)]
            vlabel = recs[0]["label"]
            t = fmt_times([r["median_ns"] for r in recs])
            vs_map = "—" if v == "raw_map" else fmt_ratios(ratios(ORM_RUNS, case, v, "raw_map"))
            vs_struct = "—" if v == "raw_struct" else fmt_ratios(ratios(ORM_RUNS, case, v, "raw_struct"))
            f = fmt_faults([r["faults_per_op"] for r in recs])
            out.append(f"| {label} | {vlabel} | {t} | {vs_map} | {vs_struct} | {f} |")
    return out


def orm_summary_table():
    """README: one row per case."""
    out = [
        "| case | raw → struct | raw → map | roost-orm | typed | roost-orm ÷ raw → map | typed ÷ raw → struct | faults / op (raw map, orm) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case, label in ORM_CASES:
        med = {}
        for v in ORM_VARIANTS[case]:
            med[v] = statistics.median(r["median_ns"] for r in ORM_RECORDS[(case, v)])
        cell = lambda v: fmt_ns(med[v]) if v in med else "—"
        orm_map = fmt_ratio_med(ratios(ORM_RUNS, case, "orm", "raw_map"))
        typed = fmt_ratio_med(ratios(ORM_RUNS, case, "orm_typed", "raw_struct")) if "orm_typed" in med else "—"
        fm = statistics.median(r["faults_per_op"] for r in ORM_RECORDS[(case, "raw_map")])
        fo = statistics.median(r["faults_per_op"] for r in ORM_RECORDS[(case, "orm")])
        out.append(
            f"| {label} | {cell('raw_struct')} | {cell('raw_map')} | {cell('orm')} | {cell('orm_typed')} "
            f"| {orm_map} | {typed} | {fmt_fault(fm)}, {fmt_fault(fo)} |"
        )
    return out


def alone_table():
    """The 1,000-row fetch, each variant alone in its process."""
    if not ALONE_RUNS:
        return []
    out = [
        "The same 1,000-row fetch, each variant in a fresh process of its own that runs "
        "nothing else (`ROOST_BENCH_VARIANT`), the four processes of a run one after the "
        "other: the allocator's state (whether `free` trims the heap and the next fetch "
        "faults it back in) is then the variant's own, not shared with the other variants. "
        "Ratios pair the processes of the same run.",
        "",
        "| variant | time per op, min / **median** / max | ÷ raw → map | ÷ raw → struct | faults / op, min / median / max |",
        "|---|---:|---:|---:|---:|",
    ]
    case = "fetch_1000"
    for v in ("raw_map", "raw_struct", "orm", "orm_typed"):
        recs = [r for r in per_run(ALONE_RUNS, case, v) if r]
        if not recs:
            continue
        vs_map = "—" if v == "raw_map" else fmt_ratios(ratios(ALONE_RUNS, case, v, "raw_map"))
        vs_struct = "—" if v == "raw_struct" else fmt_ratios(ratios(ALONE_RUNS, case, v, "raw_struct"))
        out.append(
            f"| {LABEL[v]} | {fmt_times([r['median_ns'] for r in recs])} | {vs_map} | {vs_struct} "
            f"| {fmt_faults([r['faults_per_op'] for r in recs])} |"
        )
    return out


RSS_ORDER = ["raw_map", "raw_struct", "orm", "orm_typed"]
RSS_LABEL = {
    "raw_map": "raw rusqlite → map",
    "raw_struct": "raw rusqlite → struct",
    "orm": "roost-orm `Post::all()`",
    "orm_typed": "roost-orm `Post::all_as::<PostRow>()`",
}


def rss_by_variant():
    by = {}
    for r in RSS:
        by.setdefault(r["variant"], []).append(r)
    return by


def rss_table():
    by = rss_by_variant()
    if not by:
        return []
    rows = by[RSS_ORDER[0]][0]["rows"]
    n = min(len(v) for v in by.values())
    med_peak = {v: statistics.median(r["peak_kib"] for r in recs) for v, recs in by.items()}
    out = [
        f"Every post of a {rows:,}-row table, each variant in {n} fresh processes of its own "
        "(`benches/rss.rs`): `VmHWM` after the fetch with the peak mark reset just before it "
        "(`/proc/self/clear_refs`), the result still held. Both databases are seeded in "
        "every process, so the memory under the fetch is the same for all variants. "
        "Ratios are of medians (processes of different variants are not paired).",
        "",
        "| variant | peak RSS, MiB (min / **median** / max) | growth over RSS before the fetch, MiB | ÷ raw → map (peak) | ÷ raw → struct (peak) | faults in the fetch | fetch time |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for v in RSS_ORDER:
        recs = by.get(v)
        if not recs:
            continue
        peaks = [r["peak_kib"] for r in recs]
        growth = [r["peak_kib"] - r["rss_before_kib"] for r in recs]
        lo, med, hi = mmm(peaks)
        glo, gmed, ghi = mmm(growth)
        faults = statistics.median(r["faults"] for r in recs)
        ms = statistics.median(r["fetch_ms"] for r in recs)
        vs_map = "—" if v == "raw_map" else f"{med / med_peak['raw_map']:.2f}×"
        vs_struct = "—" if v == "raw_struct" else f"{med / med_peak['raw_struct']:.2f}×"
        out.append(
            f"| {RSS_LABEL[v]} | {fmt_kib(lo)} / **{fmt_kib(med)}** / {fmt_kib(hi)} "
            f"| {fmt_kib(glo)} / **{fmt_kib(gmed)}** / {fmt_kib(ghi)} | {vs_map} | {vs_struct} "
            f"| {faults:,.0f} | {ms:.0f} ms |"
        )
    if not all(r["peak_reset"] for r in RSS):
        out.append("")
        out.append("The kernel refused to reset the peak mark in some process: its peak is the process's.")
    return out


PEER_RUNTIME = {
    "raw_struct": "sync",
    "raw_map": "sync",
    "roost": "`futures::executor::block_on`",
    "roost_typed": "`futures::executor::block_on`",
    "roost_tokio": "tokio current-thread `block_on`",
    "seaorm": "tokio current-thread (sqlx worker thread)",
    "sqlx": "tokio current-thread (sqlx worker thread)",
    "diesel": "sync",
}


def peers_table(short=False):
    if not PEER_RUNS:
        return []
    if short:
        out = [
            "| case | library | runtime | median time | ÷ raw → struct |",
            "|---|---|---|---:|---:|",
        ]
    else:
        out = [
            "| case | library | runtime | time per op, min / **median** / max | ÷ raw → struct | ÷ roost-orm | faults / op |",
            "|---|---|---|---:|---:|---:|---:|",
        ]
    for case, label in PEER_CASES:
        for v in PEER_VARIANTS[case]:
            recs = PEER_RECORDS[(case, v)]
            vs_struct = "—" if v == "raw_struct" else fmt_ratios(ratios(PEER_RUNS, case, v, "raw_struct"))
            if short:
                med = statistics.median(r["median_ns"] for r in recs)
                vs = "—" if v == "raw_struct" else fmt_ratio_med(ratios(PEER_RUNS, case, v, "raw_struct"))
                out.append(f"| {label} | {recs[0]['label']} | {PEER_RUNTIME.get(v, '')} | {fmt_ns(med)} | {vs} |")
                continue
            vs_roost = "—" if v == "roost" else fmt_ratios(ratios(PEER_RUNS, case, v, "roost"))
            out.append(
                f"| {label} | {recs[0]['label']} | {PEER_RUNTIME.get(v, '')} "
                f"| {fmt_times([r['median_ns'] for r in recs])} | {vs_struct} | {vs_roost} "
                f"| {fmt_faults([r['faults_per_op'] for r in recs])} |"
            )
    return out


# ---- targets ------------------------------------------------------------------------


def verdict(values, limit, below=True):
    lo, med, hi = mmm(values)
    ok = (lambda v: v <= limit) if below else (lambda v: v >= limit)
    if ok(hi if below else lo):
        return "holds in every run"
    if ok(med):
        return "holds at the median, not in every run"
    if ok(lo if below else hi):
        return "**fails** at the median (holds in some runs)"
    return "**fails** in every run"


def targets_table():
    rows = []

    def add(name, values, limit, what=None):
        if values:
            rows.append(f"| {name} | {what or fmt_ratios(values)} | {verdict(values, limit)} |")
        else:
            rows.append(f"| {name} | not measured | – |")

    add("1,000-row fetch: roost-orm ≤ 1.15× raw → map (wall time)", ratios(ORM_RUNS, "fetch_1000", "orm", "raw_map"), 1.15)
    if ALONE_RUNS:
        add(
            "1,000-row fetch, each variant alone in its process: roost-orm ≤ 1.15× raw → map",
            ratios(ALONE_RUNS, "fetch_1000", "orm", "raw_map"),
            1.15,
        )
    add("1,000-row typed fetch (`all_as`) ≤ 1.3× raw → struct", ratios(ORM_RUNS, "fetch_1000", "orm_typed", "raw_struct"), 1.3)
    add(
        "1,000-row typed fetch faster than Diesel (peer run, same process)",
        ratios(PEER_RUNS, "peers_fetch_1000", "roost_typed", "diesel"),
        1.0,
    )
    add("typed find (`find_as`) ≤ 1.3× raw → struct", ratios(ORM_RUNS, "find_by_key", "orm_typed", "raw_struct"), 1.3)
    for size in ("1k", "10k", "100k"):
        add(
            f"`paginate(3, 20)` at {size} rows ≤ 1.5× raw page + count (→ map)",
            ratios(ORM_RUNS, f"paginate_{size}", "orm", "raw_map"),
            1.5,
        )
    by = rss_by_variant()
    if by.get("orm") and by.get("raw_map"):
        r = statistics.median(x["peak_kib"] for x in by["orm"]) / statistics.median(x["peak_kib"] for x in by["raw_map"])
        rows.append(
            f"| 100k-row fetch: peak RSS of roost-orm ≤ 1.1× raw → map's | {r:.2f}× (medians of "
            f"{len(by['orm'])} processes each) | {'holds' if r <= 1.1 else '**fails**'} |"
        )
    add("find by key: roost-orm ≤ 1.5× raw → map (earlier target)", ratios(ORM_RUNS, "find_by_key", "orm", "raw_map"), 1.5)
    out = [
        "Each ratio is min / **median** / max over the process runs (both sides measured in the "
        "same process). \"Holds in every run\" means the worst run meets it.",
        "",
        "| target | measured | verdict |",
        "|---|---:|---|",
    ] + rows
    # Growth with the table: page cost at 100k over 1k rows, ORM and raw.
    growth = []
    for v in ("raw_map", "orm", "orm_typed"):
        a = per_run(ORM_RUNS, "paginate_100k", v)
        b = per_run(ORM_RUNS, "paginate_1k", v)
        g = [x["median_ns"] / y["median_ns"] for x, y in zip(a, b) if x and y]
        if g:
            growth.append(f"{LABEL[v]} {fmt_ratios(g)}")
    if growth:
        out += [
            "",
            "`paginate(3, 20)` on 100,000 rows ÷ on 1,000 rows (cost growth with the table, the "
            "scalar count's share): " + "; ".join(growth) + ".",
        ]
    return out


# ---- the two reports ----------------------------------------------------------------

n_orm, n_peers = len(ORM_RUNS), len(PEER_RUNS)
runs_label = (
    f"{n_orm} process runs of `benches/orm`"
    + (f" and {n_peers} of `benches/peers`, alternating" if n_peers else "")
    + (f", {len(ALONE_RUNS) * 4} of `benches/orm` running one variant of the 1,000-row fetch alone" if ALONE_RUNS else "")
    + f", {len(RSS)} processes of `benches/rss`."
)

report = conditions(runs_label) + [
    "",
    "How to read the tables: each process measures every variant of a case itself, its "
    "samples interleaved with the other variants'; a cell is min / **median** / max over the "
    "process runs of that process's median (times) or of the ratio of two variants' medians "
    "in the same process (ratios). Faults / op: minor page faults of the process during the "
    "variant's timed loops, divided by the iterations.",
    "",
    "### Targets",
    "",
] + targets_table() + [
    "",
    "### roost-orm vs raw rusqlite, case by case (`benches/orm`)",
    "",
    "\"raw → map\" builds the `IndexMap<String, serde_json::Value>` an `Instance` holds; "
    "\"raw → struct\" `row.get`s each column into a struct; \"typed\" is the ORM's "
    "`find_as` / `all_as` / `paginate_as` into the same struct. The raw side of "
    "`paginate` is two statements, the page and a scalar `SELECT COUNT(*)`; \"the ORM's one "
    "statement\" is the ORM's SQL run by hand (a diagnostic: the SQL's own cost).",
    "",
] + orm_table() + [
    "",
    "### The 1,000-row fetch, each variant alone in a process",
    "",
] + alone_table() + [
    "",
    "### Peak RSS of a 100,000-row fetch (`benches/rss.rs`)",
    "",
] + rss_table()
if INSTRUCTIONS:
    report += [
        "",
        "### Instructions per operation (callgrind, this run)",
        "",
        "Counted by `scripts/instructions.sh` inside the timed loop only: they do not move "
        "with the neighbours' load as times do (nor do they see the allocator's page faults "
        "or cache misses).",
        "",
        INSTRUCTIONS,
    ]
if PEER_RUNS:
    report += [
        "",
        "### Peers: find by key and a 1,000-row fetch (`benches/peers`)",
        "",
        "Same data, same processes as the rows beside them; every ratio is to raw rusqlite → "
        "struct measured in the same process. SeaORM, sqlx and Diesel map rows into typed "
        "structs, like raw → struct and roost-orm typed.",
        "",
    ] + peers_table()

readme = conditions(runs_label) + [
    "",
    "Times are medians over the process runs; ratios are median (min–max) over the runs of "
    "the ratio measured inside each process. Full tables with min / median / max of every "
    "figure: `docs/benchmarks.md`.",
    "",
    "#### Targets",
    "",
] + targets_table() + [
    "",
    "#### roost-orm vs raw rusqlite",
    "",
] + orm_summary_table() + [
    "",
    "#### The 1,000-row fetch, each variant alone in a process",
    "",
] + alone_table() + [
    "",
    "#### Peak RSS, 100,000-row fetch",
    "",
] + rss_table()
if INSTRUCTIONS:
    readme += ["", "#### Instructions per operation (callgrind, this run)", "", INSTRUCTIONS]
if PEER_RUNS:
    readme += [
        "",
        "#### Peers",
        "",
        "Ratios to raw rusqlite → struct measured in the same process; full table with "
        "min / median / max in `docs/benchmarks.md`.",
        "",
    ] + peers_table(short=True)

with open(os.path.join(DIR, "report.md"), "w") as f:
    f.write("\n".join(report) + "\n")
with open(os.path.join(DIR, "report-readme.md"), "w") as f:
    f.write("\n".join(readme) + "\n")
