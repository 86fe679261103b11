"""The moved blocks, applied by Terraform itself: a deployment made before a resource was moved (into
module "deployment", or from train/monitor resources to one resource per role) must plan no
replacement, only moves.

Design: providers cannot be downloaded here, so every resource a moved block names is stood in for
by a terraform_data (built into Terraform) named <type>__<name>, which keeps each block's shape
(a single resource, one with count, one with for_each keys, one inside a module). The earlier
configuration (the blocks' "from" side) is applied with a monitor VM, then the current one (their
"to" side, as declared in the parsed configuration: safety.py checks that each "to" names a
resource that exists) is planned against that state.

Usage: python3 moved_test.py PARSED_JSON_DIR   (needs terraform on PATH)
"""
import json
import os
import re
import subprocess
import sys
import tempfile

ADDRESS = re.compile(r'^\$\{(?:module\.(\w+)\.)?(\w+)\.(\w+)(?:\[(?:(\d+)|"(\w+)")\])?\}$')


def parse(address):
    m = ADDRESS.match(address)
    if not m:
        raise ValueError(f"cannot read the address {address!r}")
    module, rtype, name, index, key = m.groups()
    return module, f"{rtype}__{name}", index, key


def stand_ins(addresses):
    """{module or None: {resource name: body}} for terraform_data stand-ins of the addresses."""
    out = {}
    for module, name, index, key in addresses:
        body = out.setdefault(module, {}).setdefault(name, {"input": "kept"})
        if index is not None:
            body["count"] = 1
        if key is not None:
            body.setdefault("for_each", []).append(key)
    return out


def address(module, name, index, key):
    inner = f"terraform_data.{name}" + (f"[{index}]" if index is not None else "") + (f'["{key}"]' if key else "")
    return f"module.{module}.{inner}" if module else inner


def write(d, resources, moved=()):
    for f in os.listdir(d):
        if f.endswith(".tf.json"):
            os.remove(os.path.join(d, f))
    root = {"resource": {"terraform_data": {}}}
    for module, byname in resources.items():
        body = {n: dict(b, for_each="${toset(" + json.dumps(sorted(b["for_each"])) + ")}") if "for_each" in b else b for n, b in byname.items()}
        if module is None:
            root["resource"]["terraform_data"].update(body)
            continue
        os.makedirs(f"{d}/{module}", exist_ok=True)
        with open(f"{d}/{module}/main.tf.json", "w") as f:
            json.dump({"resource": {"terraform_data": body}}, f)
        root.setdefault("module", {})[module] = {"source": f"./{module}"}
    if not root["resource"]["terraform_data"]:
        del root["resource"]
    if moved:
        root["moved"] = [{"from": address(*a), "to": address(*b)} for a, b in moved]
    with open(f"{d}/main.tf.json", "w") as f:
        json.dump(root, f)


def main():
    env = dict(os.environ, TF_IN_AUTOMATION="1")
    failed = 0
    for cloud in ("aws", "azure", "gcp"):
        cfg = json.load(open(f"{sys.argv[1]}/{cloud}.json"))
        try:
            moves = [(parse(m["from"]), parse(m["to"])) for m in cfg.get("moved", [])]
        except ValueError as e:
            print(f"not ok - {cloud}: moved blocks: {e}")
            failed += 1
            continue
        with tempfile.TemporaryDirectory() as d:
            tf = lambda *a: subprocess.run(["terraform", *a], cwd=d, env=env, capture_output=True, text=True)
            write(d, stand_ins(a for a, _ in moves))
            r = tf("init", "-input=false", "-no-color")
            r = r if r.returncode else tf("apply", "-input=false", "-no-color", "-auto-approve")
            before = tf("state", "list").stdout.split()
            write(d, stand_ins(b for _, b in moves), moves)
            r = r if r.returncode else tf("init", "-input=false", "-no-color")
            r = r if r.returncode else tf("plan", "-input=false", "-no-color")
            plan = r.stdout
            moved = len(re.findall(r" has moved to ", plan))
            ok = r.returncode == 0 and "0 to add, 0 to change, 0 to destroy" in plan and moved == len(before) == len(moves)
            print(("ok - " if ok else "not ok - ") + f"{cloud}: an existing deployment's {len(before)} moved objects plan as moves, nothing replaced"
                  + ("" if ok else f" (plan exited {r.returncode}: {(r.stderr or plan).strip()[-400:]})"))
            failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
