"""Starts Pie's engine on the CPU, runs inferlets through Pie's own Python client and stops it.

Usage (by scripts/pie-check/main.ts, in the venv it built): python run_inferlets.py PLAN.json
PLAN.json: {"pie_home": DIR, "model": HF_REPO, "real_model": BOOL, "results": PATH, "pass_log": PATH or null,
"inferlets": [{"name", "path", "args": [...], "group": NAME (optional), "timeout_s": S (optional)}]}.
Without `real_model` the engine runs its dummy model; with it, Pie's real model code on MODEL's weights.
Inferlets of one `group` run at the same time (so that Pie batches their passes together), the others one
after the other. Prints one block per inferlet and writes RESULTS: {"pass_log", "inferlets": [{"name",
"args", "group", "ok", "return_value", "passes": [FIRST, END]}]}, where `passes` are the lines of the pass log written
while the inferlet's group ran. Exit code 1 when any inferlet failed, 2 when the engine did not start.
"""

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

UPLOAD_TIMEOUT_S = 1200  # the engine compiles while it takes the upload: minutes for a large component
RUN_TIMEOUT_S = 600
PER_TOKEN = re.compile(r"([0-9.]+) ms/token")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def indent(text: str) -> str:
    return "\n".join("      " + line for line in text.rstrip("\n").splitlines()) or "      (empty)"


def shown(inferlet: dict) -> str:
    return " ".join([inferlet["name"], *(json.dumps(a) if " " in a else a for a in inferlet["args"])])


async def upload(client, path: str) -> tuple[str, float]:
    """Uploads a program once per engine (the engine compiles it meanwhile); its hash and the time taken."""
    import blake3

    blob = Path(path).read_bytes()
    program_hash = blake3.blake3(blob).hexdigest()
    started = time.perf_counter()
    if not await client.program_exists(program_hash):
        print(f"  uploading {Path(path).name}, {len(blob) / 1e6:.1f} MB; the engine compiles it meanwhile", flush=True)
        await asyncio.wait_for(client.upload_program(blob), UPLOAD_TIMEOUT_S)
    return program_hash, (time.perf_counter() - started) * 1e3


async def run_instance(client, program_hash: str, inferlet: dict) -> dict:
    """Launches one instance attached and collects its events until it ends."""
    from pie_client import Event

    stdout, stderr, messages = [], [], []
    result = {"ok": False, "detail": "", "launch_ms": 0.0, "run_ms": 0.0}
    timeout = inferlet.get("timeout_s", RUN_TIMEOUT_S)
    started = time.perf_counter()
    try:
        instance = await client.launch_instance(program_hash, inferlet["args"], detached=False)
    except Exception as error:  # noqa: BLE001 - the engine's refusal is the result
        return result | {"detail": f"launch refused: {error}"}
    result["launch_ms"] = (time.perf_counter() - started) * 1e3
    started = time.perf_counter()
    while True:
        try:
            event, message = await asyncio.wait_for(instance.recv(), timeout)
        except (TimeoutError, asyncio.TimeoutError):
            result["detail"] = f"no event from the instance within {timeout} s"
            break
        if event == Event.Stdout:
            stdout.append(message)
        elif event == Event.Stderr:
            stderr.append(message)
        elif event == Event.Message:
            messages.append(message)
        elif event == Event.Blob:
            messages.append(f"(blob of {len(message)} bytes)")
        else:
            result["ok"] = event == Event.Completed
            result["detail"] = message if result["ok"] else f"{event.name}: {message}"
            break
    result["run_ms"] = (time.perf_counter() - started) * 1e3
    return result | {"stdout": "".join(stdout), "stderr": "".join(stderr), "messages": messages}


def report(inferlet: dict, upload_ms: float, result: dict) -> None:
    print(f"\n▶ {shown(inferlet)}")
    print(
        f"  {'ok ' if result['ok'] else 'err'}  upload+compile {upload_ms:.0f} ms, "
        f"launch {result['launch_ms']:.1f} ms, run {result['run_ms']:.0f} ms"
    )
    detail = result["detail"]
    if result["ok"] and inferlet["name"].startswith("pie-probe"):
        detail = f"({len(detail)} characters of records for the check)"
    print(f"    {'return value' if result['ok'] else 'error'}:\n{indent(detail)}")
    if result.get("messages"):
        print(f"    messages sent ({len(result['messages'])}):\n{indent(chr(10).join(result['messages']))}")
    if result.get("stdout"):
        print(f"    stdout:\n{indent(result['stdout'])}")
    if result.get("stderr"):
        print(f"    stderr:\n{indent(result['stderr'])}")
    per_token = PER_TOKEN.findall(result.get("stdout", "") + result.get("stderr", ""))
    if per_token:
        print(f"    per token: {per_token[-1]} ms/token (as the inferlet reports it)")
    sys.stdout.flush()


def lines_in(path: str | None) -> int:
    if path is None or not Path(path).exists():
        return 0
    with open(path, "rb") as log:
        return sum(1 for _ in log)


async def run_group(uri: str, token: str, group: list[dict], pass_log: str | None) -> list[dict]:
    """Uploads the group's programs, then runs its inferlets at once; their results in the group's order."""
    from pie_client import PieClient

    async with PieClient(uri) as client:
        await client.internal_authenticate(token)
        uploads = {}
        for inferlet in group:
            if inferlet["path"] not in uploads:
                try:
                    uploads[inferlet["path"]] = await upload(client, inferlet["path"])
                except (TimeoutError, asyncio.TimeoutError):
                    uploads[inferlet["path"]] = (None, UPLOAD_TIMEOUT_S * 1e3)
        first = lines_in(pass_log)
        if len(group) > 1:
            print(f"\npie-check: running {len(group)} inferlets at once: {', '.join(shown(i) for i in group)}", flush=True)

        async def one(inferlet):
            program_hash, _ = uploads[inferlet["path"]]
            if program_hash is None:
                return {"ok": False, "detail": f"the engine did not accept the upload within {UPLOAD_TIMEOUT_S} s",
                        "launch_ms": 0.0, "run_ms": 0.0}
            return await run_instance(client, program_hash, inferlet)

        results = await asyncio.gather(*(one(inferlet) for inferlet in group))
    end = lines_in(pass_log)
    for inferlet, result in zip(group, results):
        report(inferlet, uploads[inferlet["path"]][1], result)
    return [
        {
            "name": i["name"],
            "args": i["args"],
            "group": i.get("group"),
            "ok": r["ok"],
            "return_value": r["detail"],
            "passes": [first, end],
        }
        for i, r in zip(group, results)
    ]


def groups_of(inferlets: list[dict]) -> list[list[dict]]:
    """Inferlets of one named group together, at the place of its first member; every other one alone."""
    groups, named = [], {}
    for inferlet in inferlets:
        name = inferlet.get("group")
        if name is None:
            groups.append([inferlet])
        elif name in named:
            named[name].append(inferlet)
        else:
            named[name] = [inferlet]
            groups.append(named[name])
    return groups


# The engines started, kept until the process exits: dropping one shuts its runtime down, which waits for its
# threads, and an inferlet spinning in its own code keeps one for ever (the engine has no way to stop it).
running_engines = []


def interrupt(*_):
    raise KeyboardInterrupt


def configs(plan: dict, port: int) -> tuple[dict, dict]:
    """The engine's configuration (on 127.0.0.1:PORT, its home PLAN's pie_home) and the model's (PLAN's)."""
    pie_home = Path(plan["pie_home"])
    engine_config = {
        "host": "127.0.0.1",
        "port": port,
        "enable_auth": False,
        "cache_dir": str(pie_home / "cache"),
        "log_dir": str(pie_home / "logs"),
        "verbose": False,
        "telemetry": {"enabled": False},
    }
    model_config = {
        "hf_repo": plan["model"],
        "device": ["cpu"],
        "tensor_parallel_size": 1,
        "dummy_mode": not plan["real_model"],
        "activation_dtype": "float32",
        "weight_dtype": "float32",
        "use_cuda_graphs": False,
        "kv_page_size": 16,
        # KV pages are sized from this share of free RAM: most of it would be allocated (and zeroed) at start.
        "gpu_mem_utilization": 0.002,
    }
    return engine_config, model_config


def main() -> int:
    plan = json.loads(Path(sys.argv[1]).read_text())
    pie_home = Path(plan["pie_home"])
    # A fresh program cache, so that every run uploads and compiles each inferlet.
    shutil.rmtree(pie_home / "cache" / "programs", ignore_errors=True)
    # SIGTERM (e.g. from the parent) unwinds like Ctrl-C, so the engine is always stopped.
    signal.signal(signal.SIGTERM, interrupt)

    from pie import manager

    port = free_port()
    engine_config, model_config = configs(plan, port)
    mode = "real model code" if plan["real_model"] else "dummy model"
    print(f"pie-check: starting Pie's engine ({mode}, {plan['model']}, CPU) on 127.0.0.1:{port}", flush=True)
    handle, backends = None, []
    started = time.perf_counter()
    try:
        try:
            handle, backends = manager.start_engine_and_backend(engine_config, [model_config], timeout=300)
            running_engines.append(handle)
        except Exception as error:  # noqa: BLE001
            print(f"pie-check: the engine did not start: {error!r}", file=sys.stderr)
            worker_log = Path("/tmp/worker_startup_error.log")
            if worker_log.exists():
                print(f"pie-check: {worker_log}:\n{worker_log.read_text()}", file=sys.stderr)
            return 2
        print(f"pie-check: engine ready in {time.perf_counter() - started:.1f} s", flush=True)
        uri = f"ws://127.0.0.1:{port}"
        results = []
        for group in groups_of(plan["inferlets"]):
            try:
                results += asyncio.run(run_group(uri, handle.internal_token, group, plan["pass_log"]))
            except Exception as error:  # noqa: BLE001 - report and go on with the next group
                print(f"  err  {', '.join(shown(i) for i in group)}: {error!r}")
                results += [
                    {"name": i["name"], "args": i["args"], "ok": False, "return_value": repr(error), "passes": [0, 0]}
                    for i in group
                ]
        Path(plan["results"]).write_text(json.dumps({"pass_log": plan["pass_log"], "inferlets": results}))
        print("\npie-check: " + ", ".join(f"{shown(r)} {'ok' if r['ok'] else 'FAILED'}" for r in results))
        return 0 if all(r["ok"] for r in results) else 1
    except KeyboardInterrupt:
        print("\npie-check: interrupted", file=sys.stderr)
        return 130
    finally:
        t = time.perf_counter()
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if handle is not None or backends:
            manager.terminate_engine_and_backend(handle, backends)
            print(f"pie-check: engine stopped ({time.perf_counter() - t:.1f} s)", flush=True)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # Without waiting for the engines' threads (above).
    os._exit(code)
