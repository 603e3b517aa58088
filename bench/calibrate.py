#!/usr/bin/env python
"""Benchmark of threshold calibration (``programs.calibrate``).

Usage::

    .venv/bin/python bench/calibrate.py                      # reference data (470 partners)
    .venv/bin/python bench/calibrate.py --partners 100000    # generated population
    .venv/bin/python bench/calibrate.py --partners 100000 --database /tmp/pp-100k.sqlite3
    .venv/bin/python bench/calibrate.py --format json

``--database FILE`` keeps the generated database in FILE and reuses it on the next run (no
generation: about 3 minutes for 100,000 partners).

What it does:

1. creates a throw-away SQLite database (a temporary file), runs the migrations;
2. writes the population: by default the French reference data
   (``demo.reference.build_reference``, 470 partners); with ``--partners N`` the generated
   population of ``bench/evaluate.py`` (same generator, same seed, about 55 fact rows per
   partner; its generation time is reported but not measured);
3. for each case below, times ``calibration_inputs`` (the population and one aggregate query per
   metric reference: the only database work) and ``calibrate`` (``model``: each check's value
   per partner and the bit sets of the candidate thresholds; ``search``; ``validation``: the
   full rules on the draft and on the calibrated version), and reports the method, the number of
   candidate versions evaluated and the suggested changes.

Cases (draft ``programs/pex-fr/2026.1.yaml``; ``--as-of`` default 2026-12-31 for the reference
data, 2027-01-31 for a generated population, when every track is in force):

- ``keep-5``: target ``keep:premier if-meets advanced`` over 5 free thresholds (the solution
  provider's Premier people, opportunities, resale and Advanced people, opportunities);
- ``keep-all``: the same target, every threshold of the draft free (15);
- ``count-all``: ``at-least:30:premier`` and ``demoted-at-most:2%``, every threshold free;
- ``both-5``: ``at-least:30:premier`` and ``at-most:30:advanced``, the 5 thresholds of
  ``keep-5`` free in both directions.

With ``--partners N`` the cases are counts instead (``GENERATED_CASES``): the generated
population's previous tiers are drawn at random, so "keep the previous Premier" has no meaning
there.

The acceptance figure: a calibration over 5 thresholds under 10 s on the reference data.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DRAFT = ROOT / "programs" / "pex-fr" / "2026.1.yaml"
SP = "requirements.solution_provider"
FIVE = [
    f"{SP}.premier.all[0].at_least",
    f"{SP}.premier.all[1].at_least",
    f"{SP}.premier.all[2].at_least",
    f"{SP}.advanced.all[0].at_least",
    f"{SP}.advanced.all[1].at_least",
]
Case = tuple[str, list[str], list[str], str]
CASES: list[Case] = [
    ("keep-5", ["keep:premier if-meets advanced"], FIVE, "relax"),
    ("keep-all", ["keep:premier if-meets advanced"], [], "relax"),
    ("count-all", ["at-least:30:premier", "demoted-at-most:2%"], [], "relax"),
    ("both-5", ["at-least:30:premier", "at-most:30:advanced"], FIVE, "both"),
]
# The generated population's tiers do not follow the reference story (its previous tiers are
# drawn at random): targets on counts instead (2026.1 as of 2027-01-31 on 100,000 partners:
# 2,066 Premier, 9,546 Advanced, 23,068 demoted).
GENERATED_CASES: list[Case] = [
    ("count-5", ["at-least:2500:premier"], FIVE, "relax"),
    ("count-all", ["at-least:2500:premier", "demoted-at-most:22%"], [], "relax"),
    ("both-5", ["at-least:2200:premier", "at-most:9000:advanced"], FIVE, "both"),
]


def _load_evaluate_bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_evaluate", ROOT / "bench" / "evaluate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_evaluate"] = module
    spec.loader.exec_module(module)
    return module


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time threshold calibrations.")
    parser.add_argument(
        "--partners", type=int, help="generated population size (default: the reference data)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--as-of", help="YYYY-MM-DD (default: see the module doc)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument(
        "--database",
        help="SQLite file for a generated population: written if missing and kept, reused "
        "(no generation) if present",
    )
    args = parser.parse_args(argv)
    if args.partners is not None and args.partners < 1:
        parser.error("--partners must be at least 1")
    default = date(2026, 12, 31) if args.partners is None else date(2027, 1, 31)
    args.as_of = date.fromisoformat(args.as_of) if args.as_of else default
    cases = CASES if args.partners is None else GENERATED_CASES
    known = {name for name, *_ in cases}
    args.cases = args.cases.split(",") if args.cases else [name for name, *_ in cases]
    unknown = set(args.cases) - known
    if unknown:
        parser.error(f"unknown cases {', '.join(sorted(unknown))} (known: {', '.join(known)})")
    return args


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret-" + "x" * 40)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerprogram.settings")
    if importlib.util.find_spec("partnerprogram") is None:
        sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def run_case(
    name: str, targets: list[str], free: list[str], direction: str, *, as_of: date
) -> dict[str, Any]:
    from partnerprogram.programs.calibrate import (
        calibrate,
        calibration_inputs,
        free_parse,
        target_parse,
    )
    from partnerprogram.programs.schema import load_program_text

    text = DRAFT.read_text(encoding="utf-8")
    program = load_program_text(text, source=str(DRAFT))
    started = time.perf_counter()
    inputs = calibration_inputs(program=program, as_of=as_of)
    read = time.perf_counter() - started
    laps: dict[str, float] = {}
    result = calibrate(
        program=program,
        text=text,
        source="programs/pex-fr/2026.1.yaml",
        inputs=inputs,
        targets=[target_parse(t, program=program) for t in targets],
        free=free_parse(free, program=program, direction=direction),  # type: ignore[arg-type]
        timings=laps,
    )
    total = time.perf_counter() - started
    return {
        "case": name,
        "targets": targets,
        "free": len(result.free),
        "direction": direction,
        "partners": len(inputs.partners),
        "method": result.method,
        "found": result.found,
        "evaluations": result.evaluations,
        "changes": [(c.path, _number(c.old), _number(c.new)) for c in result.changes],
        "targets_after": [(t.target, t.before, t.after, t.limit) for t in result.targets],
        "seconds": {
            "inputs": round(read, 3),
            "model": round(laps["model"], 3),
            "search": round(laps["search"], 3),
            "validation": round(laps["validation"], 3),
            "total": round(total, 3),
        },
    }


def _number(value: Any) -> str:
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"


def _text(report: dict[str, Any]) -> str:
    lines = [
        f"calibration benchmark: {report['population']}, as of {report['as_of']}, "
        f"draft {report['draft']}",
        "",
    ]
    for case in report["cases"]:
        s = case["seconds"]
        lines.append(
            f"{case['case']}: {', '.join(case['targets'])} — {case['free']} free thresholds "
            f"({case['direction']}), {case['partners']:,} partners"
        )
        lines.append(
            f"  {case['method']} search, {case['evaluations']:,} versions evaluated, "
            f"found: {case['found']}"
        )
        lines.append(
            f"  seconds: inputs {s['inputs']:.2f}, model {s['model']:.2f}, search "
            f"{s['search']:.2f}, validation {s['validation']:.2f}; total {s['total']:.2f}"
        )
        for path, old, new in case["changes"]:
            lines.append(f"  {path}: {old} -> {new}")
        for target, before, after, limit in case["targets_after"]:
            lines.append(f"  {target}: {before} -> {after} (limit {limit})")
        lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="pp-bench-calibrate-"))
    path = Path(args.database) if args.database else folder / "bench.sqlite3"
    reuse = path.exists()
    try:
        _setup(f"sqlite:///{path.resolve()}")
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        started = time.perf_counter()
        if reuse:
            population = f"{args.partners or 'reference'} partners (reused {path})"
        elif args.partners is None:
            from partnerprogram.demo.reference import build_reference

            build_reference(region="fr", seed=args.seed)
            population = "reference data (fr)"
        else:
            bench = _load_evaluate_bench()
            bench.generate(
                partners=args.partners,
                seed=args.seed,
                as_of=args.as_of,
                vendor="sqlite",
                analyze=False,
            )
            population = f"{args.partners:,} generated partners"
        print(
            f"{population} written in {time.perf_counter() - started:.1f} s (not measured)",
            file=sys.stderr,
        )
        from django.db import connections

        connections.close_all()
        cases = [
            run_case(name, targets, free, direction, as_of=args.as_of)
            for name, targets, free, direction in (
                CASES if args.partners is None else GENERATED_CASES
            )
            if name in args.cases
        ]
        report = {
            "population": population,
            "as_of": args.as_of.isoformat(),
            "draft": str(DRAFT.relative_to(ROOT)),
            "cases": cases,
        }
        if args.format == "json":
            print(json.dumps(report, indent=2))
        else:
            print(_text(report))
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django not set up yet
            pass
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
