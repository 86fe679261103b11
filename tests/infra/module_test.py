"""infra/modules/deployment applied by Terraform itself (it makes no cloud resource: no provider).

Design: a throwaway root calls the module by a relative path, as the clouds do, with the values
render.py rendered the training VM of each cloud with; `terraform apply` must give that VM's user
data byte for byte, the monitor VM's must not power off, the monitors' addresses must fall back to
the training VM without a monitor VM, and a refused input must stop the plan.

Usage: python3 module_test.py RENDER_DIR MODULE_DIR   (needs terraform on PATH)
"""
import base64
import json
import os
import subprocess
import sys
import tempfile


def main():
    render_dir, module_dir = sys.argv[1], os.path.abspath(sys.argv[2])
    env = dict(os.environ, TF_IN_AUTOMATION="1")
    failed = 0

    def report(ok, text):
        nonlocal failed
        print(("ok - " if ok else "not ok - ") + text)
        failed += not ok

    def tf(d, *args):
        return subprocess.run(["terraform", *args], cwd=d, env=env, capture_output=True, text=True)

    for cloud in ("aws", "azure", "gcp"):
        try:
            v = json.load(open(f"{render_dir}/{cloud}-train.values.json"))
            want = open(f"{render_dir}/{cloud}-train.yaml").read()
        except OSError as e:
            report(False, f"module deployment ({cloud}): render.py's values missing ({e})")
            continue
        with tempfile.TemporaryDirectory() as d:
            call = {
                "source": os.path.relpath(module_dir, d), "name": "gan", "allowed_cidr": "203.0.113.7/32",
                "repo_url": v["repo_url"], "git_ref": v["git_ref"], "storage_prefix": "runs", "run_id": v["run_id"],
                "commands": {"train": base64.b64decode(v["command_b64"]).decode(), "monitor": "./gan --monitor"},
                "storage_url": v["storage_url"], "poweroff_when_done": v["poweroff_when_done"] == "1",
                "cloud_env": {"train": v["cloud_env"], "monitor": v["cloud_env"]},
                "hosts": {"train": "198.51.100.1", "monitor": None}, "ssh_user": "ubuntu",
            }
            outputs = {k: {"value": f"${{module.deployment.{k}}}"} for k in ("user_data", "endpoints", "run_id")}
            with open(f"{d}/main.tf.json", "w") as f:
                json.dump({"module": {"deployment": call}, "output": outputs}, f)
            r = tf(d, "init", "-input=false", "-no-color")
            r = r if r.returncode else tf(d, "apply", "-input=false", "-no-color", "-auto-approve")
            if r.returncode:
                report(False, f"module deployment ({cloud}): terraform apply failed: {r.stderr.strip()[-400:]}")
                continue
            out = {k: o["value"] for k, o in json.loads(tf(d, "output", "-json").stdout).items()}
            report(out["user_data"]["train"] == want,
                   f"module deployment ({cloud}): terraform renders the training VM's user data exactly as render.py does")
            report("GAN_POWEROFF_WHEN_DONE=0\n" in out["user_data"]["monitor"] and out["run_id"] == v["run_id"],
                   f"module deployment ({cloud}): the monitor VM never powers off; the run id is the one given")
            if cloud != "aws":
                continue
            report(out["endpoints"] == {"monitor_url": "http://198.51.100.1:8080", "training_monitor_url": "http://198.51.100.1:8080",
                                        "monitor_ssh": "ubuntu@198.51.100.1", "training_ssh": "ubuntu@198.51.100.1"},
                   f"module deployment: without a monitor VM the training VM serves the monitor ({out['endpoints']})")
            call["run_id"] = ""
            call["hosts"]["monitor"] = "198.51.100.2"
            with open(f"{d}/main.tf.json", "w") as f:
                json.dump({"module": {"deployment": call}, "output": outputs}, f)
            tf(d, "apply", "-input=false", "-no-color", "-auto-approve")
            first = json.loads(tf(d, "output", "-json").stdout)
            r = tf(d, "apply", "-input=false", "-no-color", "-auto-approve")
            again = json.loads(tf(d, "output", "-json").stdout)
            rid = first["run_id"]["value"]
            report(r.returncode == 0 and len(rid) == 16 and rid.endswith("Z") and again["run_id"]["value"] == rid
                   and first["endpoints"]["value"]["monitor_url"] == "http://198.51.100.2:8080",
                   f"module deployment: an empty run_id becomes the first apply's time, kept by the next apply ({rid}); the monitor VM serves the monitor")
            call["git_ref"] = "--upload-pack=touch /tmp/x"
            with open(f"{d}/main.tf.json", "w") as f:
                json.dump({"module": {"deployment": call}, "output": outputs}, f)
            r = tf(d, "plan", "-input=false", "-no-color")
            report(r.returncode != 0 and "not beginning with '-'" in " ".join(r.stderr.replace("│", " ").split()),
                   "module deployment: terraform plan refuses a git_ref beginning with '-'")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
