"""``make harness`` (``python -m dam_dev.harness``): start the native stack on its own database,
bucket, queue and ports, run the harness against it, stop the stack; the exit code is the harness's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from dam.harness.runner import run
from dam.harness.spec import load_spec
from dam.settings import load_settings
from dam_dev.devs3 import free_ports


def main() -> int:
    """Run the stack, the harness, and stop the stack."""
    (port,) = free_ports(1)
    base = load_settings(os.environ).db.url.rsplit("/", 1)[0]
    env = {
        **os.environ,
        "DAM_PORT": str(port),
        "DAM_DATABASE_URL": os.environ.get("DAM_HARNESS_DATABASE_URL", f"{base}/dam_harness"),
        "DAM_S3_BUCKET": "dam-harness",
        "DAM_QUEUE_NAME": "dam:harness:queue",
        "DAM_EVENTS_KEY": "dam:harness:s3-events",
    }
    env.pop("DAM_S3_ENDPOINT_URL", None)
    # Its own admin key, made before the stack starts (the schema first: `dam run` would too; `dam run`
    # also sets up the store it starts, with `dam setup-store`'s routine).
    dam = [sys.executable, "-m", "dam.cli", "--log-level", "warning"]
    subprocess.run([*dam, "migrate"], env=env, check=True)
    made = subprocess.run(
        [*dam, "admin", "create-key", "--workspace", "harness", "--role", "admin", "--name", "harness",
         "--expires-in", "3600"],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    key = made.stdout.strip().splitlines()[-1]  # the key alone on the last line
    log = Path(".dev/harness-stack.log")
    log.parent.mkdir(exist_ok=True)
    with log.open("wb") as out:
        stack = subprocess.Popen(
            [sys.executable, "-m", "dam.cli", "run", "--any-ports", "--dev-dir", ".dev/harness-seaweedfs"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            code = run(load_spec(Path("harness.yaml")), base_url=f"http://127.0.0.1:{port}", api_key=key)
        finally:
            stack.send_signal(signal.SIGINT)
            try:
                stack.wait(timeout=60)
            except subprocess.TimeoutExpired:
                stack.kill()
    if code:
        print(f"harness: the stack's log is in {log}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
