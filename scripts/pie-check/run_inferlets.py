"""Starts Pie's engine in dummy mode on the CPU, runs inferlets through Pie's own Python client and stops it.

Usage (by scripts/pie-check/main.ts, in the venv it built): python run_inferlets.py PLAN.json
PLAN.json: {"pie_home": DIR, "model": HF_REPO, "inferlets": [{"name", "path", "args": [...]}]}.
Prints one block per inferlet; exit code 1 when any failed, 2 when the engine did not start.
"""

import asyncio
import json
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


async def run_one(uri: str, token: str, inferlet: dict) -> bool:
    import blake3
    from pie_client import Event, PieClient

    name, args = inferlet["name"], inferlet["args"]
    blob = Path(inferlet["path"]).read_bytes()
    program_hash = blake3.blake3(blob).hexdigest()
    print(f"\n▶ {name}  {' '.join(json.dumps(a) if ' ' in a else a for a in args)}", flush=True)
    stdout, stderr, messages = [], [], []
    outcome, detail = "err", ""
    started = time.perf_counter()
    async with PieClient(uri) as client:
        await client.internal_authenticate(token)
        t = time.perf_counter()
        # The engine compiles the component while it takes the upload (Component::from_binary).
        print(f"  uploading {len(blob) / 1e6:.1f} MB; the engine compiles it meanwhile", flush=True)
        try:
            await asyncio.wait_for(client.upload_program(blob), UPLOAD_TIMEOUT_S)
        except (TimeoutError, asyncio.TimeoutError):
            print(f"  err  the engine did not accept the upload within {UPLOAD_TIMEOUT_S} s")
            return False
        upload_ms = (time.perf_counter() - t) * 1e3
        t = time.perf_counter()
        try:
            instance = await client.launch_instance(program_hash, args, detached=False)
        except Exception as error:  # noqa: BLE001 - the engine's refusal is the result
            print(f"  err  launch refused: {error}")
            return False
        launch_ms = (time.perf_counter() - t) * 1e3
        t = time.perf_counter()
        while True:
            try:
                event, message = await asyncio.wait_for(instance.recv(), RUN_TIMEOUT_S)
            except (TimeoutError, asyncio.TimeoutError):
                outcome, detail = "err", f"no event from the instance within {RUN_TIMEOUT_S} s"
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
                outcome = "ok" if event == Event.Completed else "err"
                detail = message if event == Event.Completed else f"{event.name}: {message}"
                break
        run_ms = (time.perf_counter() - t) * 1e3
    total_s = time.perf_counter() - started
    print(
        f"  {outcome}   upload+compile {upload_ms:.0f} ms, launch {launch_ms:.1f} ms, "
        f"run {run_ms:.0f} ms (total {total_s:.1f} s)"
    )
    print(f"    {'return value' if outcome == 'ok' else 'error'}:\n{indent(detail)}")
    if messages:
        print(f"    messages sent ({len(messages)}):\n{indent(chr(10).join(messages))}")
    if stdout:
        print(f"    stdout:\n{indent(''.join(stdout))}")
    if stderr:
        print(f"    stderr:\n{indent(''.join(stderr))}")
    per_token = PER_TOKEN.findall("".join(stdout) + "".join(stderr))
    if per_token:
        print(f"    per token: {per_token[-1]} ms/token (as the inferlet reports it)")
    sys.stdout.flush()
    return outcome == "ok"


def interrupt(*_):
    raise KeyboardInterrupt


def main() -> int:
    plan = json.loads(Path(sys.argv[1]).read_text())
    pie_home = Path(plan["pie_home"])
    # A fresh program cache, so that every run uploads and compiles each inferlet.
    shutil.rmtree(pie_home / "cache" / "programs", ignore_errors=True)
    # SIGTERM (e.g. from the parent) unwinds like Ctrl-C, so the engine is always stopped.
    signal.signal(signal.SIGTERM, interrupt)

    from pie import manager

    port = free_port()
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
        "dummy_mode": True,
        "activation_dtype": "float32",
        "use_cuda_graphs": False,
        "kv_page_size": 16,
    }
    print(f"pie-check: starting Pie's engine (dummy model {plan['model']}, CPU) on 127.0.0.1:{port}", flush=True)
    handle, backends = None, []
    started = time.perf_counter()
    try:
        try:
            handle, backends = manager.start_engine_and_backend(engine_config, [model_config], timeout=300)
        except Exception as error:  # noqa: BLE001
            print(f"pie-check: the engine did not start: {error!r}", file=sys.stderr)
            worker_log = Path("/tmp/worker_startup_error.log")
            if worker_log.exists():
                print(f"pie-check: {worker_log}:\n{worker_log.read_text()}", file=sys.stderr)
            return 2
        print(f"pie-check: engine ready in {time.perf_counter() - started:.1f} s", flush=True)
        uri = f"ws://127.0.0.1:{port}"
        results = {}
        for inferlet in plan["inferlets"]:
            try:
                results[inferlet["name"]] = asyncio.run(run_one(uri, handle.internal_token, inferlet))
            except Exception as error:  # noqa: BLE001 - report and go on with the next inferlet
                print(f"  err  {error!r}")
                results[inferlet["name"]] = False
        print("\npie-check: " + ", ".join(f"{n} {'ok' if ok else 'FAILED'}" for n, ok in results.items()))
        return 0 if all(results.values()) else 1
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
    sys.exit(main())
