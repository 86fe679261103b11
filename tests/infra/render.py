"""Renders infra/cloud-init/gan.yaml.tftpl the way each cloud's Terraform would, for the checks that
need real files (cloud-init schema, systemd-analyze verify, shellcheck, running the scripts).

Design: no Terraform here (CI cannot download providers), so this is a deliberately small
templatefile(): only ${name} interpolations and the $${ / %%{ escapes. Anything richer in the
template fails loudly rather than being rendered wrongly. The variable names are not assumed: they
are read from the per-role map that infra/modules/deployment passes to templatefile() (its local
cloud_init, in each cloud's parsed configuration from parse_tf.js), and the test checks that the
map's keys are exactly the template's placeholders, so a variable added on one side only fails here
instead of at `terraform apply` (or, worse, on the VM). The roles are those each cloud gives the
module a command for. Where Terraform is installed, check.sh has the module itself render the same
values and compares.

Usage: python3 render.py PARSED_JSON_DIR TEMPLATE OUT_DIR
Writes OUT_DIR/<cloud>-<role>.yaml, the values used (<cloud>-<role>.values.json) and
OUT_DIR/<cloud>-<role>/<path of each write_files entry>.
"""
import base64
import json
import os
import re
import sys

import yaml

from tfconfig import cloud_init_keys, roles

TOKEN = re.compile(r"\$\$\{|%%\{|\$\{([^}]*)\}|%\{")
SCHEME = {"aws": "s3://gan-training-storage-test/runs", "azure": "az://gantest/gan-training-storage/runs",
          "gcp": "gs://gan-training-storage-test/runs"}
# Test values: the command carries quotes and a space inside one argument, as a user's might, and
# shell syntax that must stay words: a command substitution and a command separator.
COMMANDS = {
    "train": "./gan --train --epochs 2 --dataset-dir 'data/my images' --note $(touch pwned) ; touch pwned2",
    "monitor": "./gan --monitor",
}
# What Terraform passes: base64encode(var.<role>_command).
VALUES = {role: {"command_b64": base64.b64encode(c.encode()).decode()} for role, c in COMMANDS.items()}
COMMON = {"run_id": "20261126T103000Z", "repo_url": "https://git.example.com/gan.git", "git_ref": "main",
          "poweroff_when_done": "1"}
CLOUD_ENV = {"aws": "AWS_REGION=us-east-1", "azure": "AZURE_CLIENT_ID=00000000-0000-0000-0000-000000000000",
             "gcp": "GOOGLE_CLOUD_PROJECT=gan-test"}


def placeholders(template):
    names = set()
    for m in TOKEN.finditer(template):
        tok = m.group(0)
        if tok.startswith("%{"):
            raise ValueError(f"template directive at offset {m.start()}: this renderer supports only ${{name}}")
        if m.group(1) is not None:
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", m.group(1)):
                raise ValueError(f"expression ${{{m.group(1)}}}: this renderer supports only ${{name}}")
            names.add(m.group(1))
    return names


def render(template, values):
    def sub(m):
        tok = m.group(0)
        if tok == "$${":
            return "${"
        if tok == "%%{":
            return "%{"
        return values[m.group(1)]
    return TOKEN.sub(sub, template)


def main():
    parsed_dir, template_path, out = sys.argv[1:4]
    template = open(template_path).read()
    failed = 0

    def report(ok, text):
        nonlocal failed
        print(("ok - " if ok else "not ok - ") + text)
        failed += not ok

    try:
        names = placeholders(template)
    except ValueError as e:
        report(False, f"template uses only ${{name}}: {e}")
        return 1
    report(True, f"template uses only ${{name}} placeholders ({', '.join(sorted(names))})")

    for cloud in ("aws", "azure", "gcp"):
        cfg = json.load(open(os.path.join(parsed_dir, f"{cloud}.json")))
        keys = cloud_init_keys(cfg)
        found = roles(cfg)
        report(found == ["monitor", "train"] and keys is not None,
               f"{cloud}: one user data per VM role from module deployment's cloud_init map (roles {found})")
        for role in found if keys is not None else []:
            report(keys == names, f"{cloud}: the {role} VM's template values are exactly the template's variables"
                   + ("" if keys == names else f": missing {sorted(names - keys)}, unused {sorted(keys - names)}"))
            if role not in VALUES:
                report(False, f"{cloud}: role {role!r} has no test command")
                continue
            values = dict(COMMON, role=role, storage_url=SCHEME[cloud], cloud_env=CLOUD_ENV[cloud], **VALUES[role])
            values = {k: values.get(k, f"test-{k}") for k in names}
            text = render(template, values)
            name = f"{cloud}-{role}"
            with open(os.path.join(out, f"{name}.yaml"), "w") as f:
                f.write(text)
            # The values too, so check.sh can render the same with Terraform itself where it exists.
            with open(os.path.join(out, f"{name}.values.json"), "w") as f:
                json.dump(values, f)
            try:
                doc = yaml.safe_load(text)
            except yaml.YAMLError as e:
                report(False, f"{name}: rendered cloud-init is YAML: {e}")
                continue
            report(text.startswith("#cloud-config\n") and isinstance(doc, dict),
                   f"{name}: rendered cloud-init is a #cloud-config mapping")
            paths = []
            for wf in doc.get("write_files", []):
                dest = os.path.join(out, name, wf["path"].lstrip("/"))
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                content = wf.get("content", "")
                if wf.get("encoding") in ("b64", "base64"):
                    content = base64.b64decode(content).decode()
                with open(dest, "w") as f:
                    f.write(content)
                paths.append(wf["path"])
            unit = f"/etc/systemd/system/gan-{role}.service"
            report(unit in paths, f"{name}: writes the unit {unit}")
            env = next((wf.get("content", "") for wf in doc.get("write_files", []) if wf["path"] == "/etc/gan/gan.env"), "")
            want = [f"GAN_STORAGE={SCHEME[cloud]}", f"GAN_RUN_ID={COMMON['run_id']}", f"GAN_ROLE={role}", CLOUD_ENV[cloud]]
            missing = [w for w in want if w not in env.splitlines()]
            report(not missing, f"{name}: environment file names the storage, run id, role and identity"
                   + ("" if not missing else f": missing {missing}"))
            report(["/usr/local/sbin/gan-setup"] in doc.get("runcmd", []), f"{name}: first boot runs gan-setup")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
