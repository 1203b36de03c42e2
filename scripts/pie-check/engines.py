"""Pie's engine with an app's single-engine builds in each JS engine, side by side (pnpm pie-check --engines).

Usage (by scripts/pie-check/main.ts, in the venv it built): python engines.py PLAN.json
PLAN.json: {"pie_home": DIR, "model": HF_REPO, "real_model": false, "results": PATH, "args": [...],
"builds": [{"engine": NAME, "path": WASM}], "runs": N, "concurrency": [N, ...], "kv_share": FRACTION}.
On the dummy model, for each build (the builds taking turns): upload+compile into a fresh program cache; the
ms/token the inferlet reports for `args` run alone (median of `runs`, after a round not counted); and for each N of `concurrency`, N
instances launched at once: tokens per second summed (the tokens they report over the wall time from the
launches to the last end) and the resident memory of the engine's process (this one: the engine runs in it)
at its peak above what it held before, per instance. `kv_share` of free RAM holds KV pages, enough for the
largest N. Prints a table and writes RESULTS; exit code 1 when any run failed.
"""

import asyncio
import json
import os
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

from run_inferlets import PER_TOKEN, configs, free_port, run_instance, upload

TOKENS = re.compile(r"(\d+) tokens generated")
PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


async def peak_resident(stop: asyncio.Event) -> int:
    """The largest resident size seen every 5 ms until `stop` is set."""
    peak = resident_bytes()
    while not stop.is_set():
        peak = max(peak, resident_bytes())
        await asyncio.sleep(0.005)
    return max(peak, resident_bytes())


def tokens_of(result: dict) -> int:
    found = TOKENS.findall(result.get("stderr", "") + result.get("stdout", ""))
    if not result["ok"] or not found:
        raise RuntimeError(f"no token count in the run: {result.get('detail')!r} {result.get('stderr', '')!r}")
    return int(found[-1])


async def measure(uri: str, token: str, plan: dict) -> dict:
    from pie_client import PieClient

    figures = {build["engine"]: {"path": build["path"], "size_mb": Path(build["path"]).stat().st_size / 1e6}
               for build in plan["builds"]}
    async with PieClient(uri) as client:
        await client.internal_authenticate(token)
        hashes = {}
        for build in plan["builds"]:
            hashes[build["engine"]], upload_ms = await upload(client, build["path"])
            figures[build["engine"]]["upload_compile_s"] = upload_ms / 1e3
        per_token = {engine: [] for engine in figures}
        # A round not counted warms the engine up; then the builds take turns, each first every other round.
        for round in range(plan["runs"] + 1):
            for engine in list(figures)[:: 1 if round % 2 == 0 else -1]:
                result = await run_instance(client, hashes[engine], {"args": plan["args"]})
                found = PER_TOKEN.findall(result.get("stderr", "") + result.get("stdout", ""))
                if not result["ok"] or not found:
                    raise RuntimeError(f"{engine}: {result.get('detail')!r}")
                if round > 0:
                    per_token[engine].append(float(found[-1]))
        for engine, values in per_token.items():
            figures[engine]["ms_per_token"] = statistics.median(values)
            figures[engine]["ms_per_token_runs"] = values
        for count in plan["concurrency"]:
            for engine in figures:
                before = resident_bytes()
                stop = asyncio.Event()
                sampler = asyncio.create_task(peak_resident(stop))
                started = time.perf_counter()
                results = await asyncio.gather(
                    *(run_instance(client, hashes[engine], {"args": plan["args"]}) for _ in range(count))
                )
                seconds = time.perf_counter() - started
                stop.set()
                peak = await sampler
                tokens = sum(tokens_of(result) for result in results)
                figures[engine][f"concurrent_{count}"] = {
                    "tokens_per_s": tokens / seconds,
                    "mb_per_instance": (peak - before) / count / 1e6,
                    "seconds": seconds,
                }
    return figures


def main() -> int:
    plan = json.loads(Path(sys.argv[1]).read_text())
    shutil.rmtree(Path(plan["pie_home"]) / "cache" / "programs", ignore_errors=True)
    from pie import manager

    engine_config, model_config = configs(plan, free_port())
    model_config["gpu_mem_utilization"] = plan["kv_share"]
    print(f"pie-check: starting Pie's engine (dummy model, CPU) on port {engine_config['port']}", flush=True)
    handle, backends = manager.start_engine_and_backend(engine_config, [model_config], timeout=300)
    try:
        figures = asyncio.run(measure(f"ws://127.0.0.1:{engine_config['port']}", handle.internal_token, plan))
    except Exception as error:  # noqa: BLE001 - the failure is the result
        print(f"pie-check: {error}", file=sys.stderr)
        return 1
    finally:
        manager.terminate_engine_and_backend(handle, backends)
    Path(plan["results"]).write_text(json.dumps(figures, indent=2))
    engines = list(figures)
    rows = [("size (MB)", "size_mb"), ("upload+compile (s)", "upload_compile_s"), ("ms/token, alone", "ms_per_token")]
    print(f"\n| {' | '.join(['figure', *engines])} |\n|{'---|' * (len(engines) + 1)}")
    for label, key in rows:
        print(f"| {label} | {' | '.join(f'{figures[e][key]:.2f}' for e in engines)} |")
    for count in plan["concurrency"]:
        for label, key in (("tokens/s summed", "tokens_per_s"), ("MB per instance", "mb_per_instance")):
            cells = " | ".join(f"{figures[e][f'concurrent_{count}'][key]:.2f}" for e in engines)
            print(f"| {count} at once: {label} | {cells} |")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # Without waiting for the engine's threads (see run_inferlets.py).
    os._exit(code)
