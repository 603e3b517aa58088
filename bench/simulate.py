#!/usr/bin/env python
"""Benchmark of the what-if simulation (``programs.simulate``).

Usage::

    .venv/bin/python bench/simulate.py --population reference
    .venv/bin/python bench/simulate.py --partners 100000 --keep \\
        --database-url sqlite:////tmp/ppbench/sim100k.sqlite3
    .venv/bin/python bench/simulate.py --partners 100000 --reuse \\
        --database-url sqlite:////tmp/ppbench/sim100k.sqlite3

Populations:

- ``--population reference`` (default when ``--partners`` is not given): the French reference
  data (``seed-reference --region fr``, 470 partners) in a throw-away SQLite file, as of
  2026-12-31; the target is a simulation under 1 s;
- ``--partners N``: the population ``bench/evaluate.py`` generates (same seed, same shape, about
  55 fact rows per partner; ``--reuse`` reads a database kept by either script), as of
  2027-01-31.

What is timed (each on its own, wall clock, ``time.perf_counter``), with the programs
``programs/pex-fr/2026.1.yaml`` (the other side) and ``2026.2.yaml`` (the draft):

1. ``simulation``: ``simulation_run(draft=2026.2, against=2026.1)`` from scratch — one
   snapshot (population + every metric reference of both versions, once), the rules of both
   versions, transitions, movers, binding requirements and benefit cost: **the headline figure**;
2. ``snapshot``: ``snapshot_take`` alone (the SQL part) and its query count;
3. ``rules_one_version``: ``tiers_assess`` of one version on the snapshot (no query);
4. ``simulation_on_snapshot``: ``simulation_run`` reusing the snapshot (comparing one more
   version costs this);
5. ``against_previous``: the draft against the previous program on the snapshot;
6. ``sensitivity``: 11 values of solution provider Premier's certified people threshold
   (``threshold_sensitivity``: rules only, partners of that track only), and per value.

Output: ``--format text`` (default) or ``json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "programs" / "pex-fr"
REFERENCE_AS_OF = date(2026, 12, 31)
SENSITIVITY_PATH = "requirements.solution_provider.premier.all[0].at_least"


def _evaluate_bench() -> Any:
    """``bench/evaluate.py`` as a module (its database handling and population generator)."""
    spec = importlib.util.spec_from_file_location("bench_evaluate", ROOT / "bench" / "evaluate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_evaluate"] = module
    spec.loader.exec_module(module)
    return module


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time the what-if simulation.")
    parser.add_argument("--population", choices=["reference", "generated"], default=None)
    parser.add_argument("--partners", type=int, help="generated population size, e.g. 100000")
    parser.add_argument("--database-url", help="as bench/evaluate.py (default: temporary SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use an existing bench database")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--as-of", help="YYYY-MM-DD (default 2026-12-31 reference, else 2027-01-31)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args(argv)
    if args.population is None:
        args.population = "generated" if args.partners else "reference"
    if args.population == "generated" and not args.partners and not args.reuse:
        parser.error("--population generated needs --partners")
    if args.reuse and not args.database_url:
        parser.error("--reuse needs --database-url")
    args.partners = args.partners or 470
    return args


def _best(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def measure(*, as_of: date, repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from partnerprogram.programs.schema import load_program
    from partnerprogram.programs.simulate import (
        sensitivity_values,
        simulation_run,
        snapshot_take,
        threshold_sensitivity,
        tiers_assess,
    )

    first = load_program(PROGRAMS / "2026.1.yaml")
    draft = load_program(PROGRAMS / "2026.2.yaml")
    seconds: dict[str, float] = {}
    seconds["simulation"], result = _best(
        repeat, lambda: simulation_run(draft=draft, against=first, as_of=as_of)
    )
    with CaptureQueriesContext(connection) as queries:
        snapshot = snapshot_take(programs=[draft, first], as_of=as_of)
    seconds["snapshot"], snapshot = _best(
        repeat, lambda: snapshot_take(programs=[draft, first], as_of=as_of)
    )
    seconds["rules_one_version"], _ = _best(
        repeat, lambda: tiers_assess(program=draft, snapshot=snapshot)
    )
    seconds["simulation_on_snapshot"], _ = _best(
        repeat,
        lambda: simulation_run(draft=draft, against=first, as_of=as_of, snapshot=snapshot),
    )
    seconds["against_previous"], _ = _best(
        repeat,
        lambda: simulation_run(draft=draft, against="previous", as_of=as_of, snapshot=snapshot),
    )
    values = sensitivity_values(Decimal(4), Decimal(14), Decimal(1))
    base = tiers_assess(program=draft, snapshot=snapshot)
    seconds["sensitivity"], _ = _best(
        1,
        lambda: threshold_sensitivity(
            program=draft, snapshot=snapshot, path=SENSITIVITY_PATH, values=values, base=base
        ),
    )
    seconds["sensitivity_per_value"] = seconds["sensitivity"] / len(values)
    before, after = result.labels
    return {
        "partners": result.partners,
        "metric_refs": len(snapshot.values),
        "snapshot_queries": len(queries),
        "seconds": {k: round(v, 4) for k, v in seconds.items()},
        "distribution": result.distribution,
        "movers": len(result.movers),
        "cost_difference": str(result.cost_difference),
        "labels": [before, after],
        "sensitivity_values": len(values),
    }


def _reference_database(args: argparse.Namespace, bench: Any) -> Any:
    db = bench.prepare_database(args)
    bench.setup_django(db.url)
    if not args.reuse:
        from django.core.management import call_command

        from partnerprogram.demo.reference import build_reference

        call_command("migrate", verbosity=0, interactive=False)
        started = time.perf_counter()
        build_reference(region="fr", seed=args.seed)
        print(f"reference data built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return db


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    bench = _evaluate_bench()
    reference = args.population == "reference"
    as_of = (
        date.fromisoformat(args.as_of)
        if args.as_of
        else (REFERENCE_AS_OF if reference else bench.DEFAULT_AS_OF)
    )
    db = None
    try:
        if reference:
            db = _reference_database(args, bench)
        else:
            db = bench.prepare_database(args)
            bench.setup_django(db.url)
            if not args.reuse:
                from django.core.management import call_command

                call_command("migrate", verbosity=0, interactive=False)
                gen = bench.generate(
                    partners=args.partners,
                    seed=args.seed,
                    as_of=as_of,
                    vendor=db.vendor,
                    analyze=False,
                )
                print(
                    f"generated {gen.fact_rows:,} fact rows for {args.partners:,} partners in "
                    f"{gen.seconds:.1f} s",
                    file=sys.stderr,
                )
        measured = measure(as_of=as_of, repeat=args.repeat)
        from django.db import connection

        report = {
            "date": datetime.now().astimezone().isoformat(timespec="seconds"),
            "machine": {
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "python": platform.python_version(),
                "database": db.vendor,
            },
            "population": args.population,
            "database": db.description if args.keep or args.reuse else None,
            "as_of": as_of.isoformat(),
            "repeat": args.repeat,
            **measured,
        }
        del connection
        if args.format == "json":
            print(json.dumps(report, indent=2, default=str))
        else:
            print(_text(report))
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django not set up yet
            pass
        if db is not None and not args.keep and not args.reuse:
            db.cleanup()
    return 0


def _text(report: dict[str, Any]) -> str:
    s = report["seconds"]
    before, after = report["labels"]
    lines = [
        f"simulation bench: {report['population']} population, {report['partners']:,} partners, "
        f"as of {report['as_of']}, {report['machine']['database']}, best of {report['repeat']}",
        f"  simulation {after} against {before} from scratch: {s['simulation']:.3f} s",
        f"    snapshot (population + {report['metric_refs']} metric references, "
        f"{report['snapshot_queries']} queries): {s['snapshot']:.3f} s",
        f"    rules of one version on the snapshot: {s['rules_one_version']:.3f} s",
        f"  simulation on a taken snapshot: {s['simulation_on_snapshot']:.3f} s",
        f"  against the previous program on the snapshot: {s['against_previous']:.3f} s",
        f"  sensitivity, {report['sensitivity_values']} values: {s['sensitivity']:.3f} s "
        f"({s['sensitivity_per_value']:.3f} s per value)",
        f"  distribution: {report['distribution']}",
        f"  movers: {report['movers']}, benefit cost difference: {report['cost_difference']}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
