"""Safety properties of the parsed Terraform (tests/infra/parse_tf.js output), one check per line.

Design: each check is a function from the merged configuration of one cloud to a list of problems
(empty = pass), so the same checks run twice: on the real configuration, where every check must
pass, and on deliberately broken copies (an ingress rule from 0.0.0.0/0, IMDSv1, a policy on "*",
an account-wide role, a project-wide binding...), where the matching check must fail. A check that
cannot fail is caught by the second run.

Usage: python3 safety.py DIR_WITH_<cloud>.json   -> "ok - ..." / "not ok - ..." lines
"""
import copy
import json
import re
import sys

from tfconfig import MODULE, TEMPLATE, module_call, module_config, strip_template, validation_conditions

ANYWHERE = {"0.0.0.0/0", "::/0", "*", "Internet", "Any", "any"}
CIDR_VAR = "${var.allowed_cidr}"


def resources(cfg, rtype):
    return (cfg.get("resource", {}).get(rtype) or {}).items()


def instances(cfg, rtype, kind="resource"):
    """(name, body) per instance of each resource of rtype: a resource whose for_each is a literal
    map gives one instance per key ("name[key]"), with ${each.key} and ${each.value.<field>} in
    its arguments replaced by what they are for that key."""
    for name, body in (cfg.get(kind, {}).get(rtype) or {}).items():
        each = body.get("for_each")
        if not isinstance(each, dict):
            yield name, body
            continue
        for key, value in each.items():
            def sub(node):
                if isinstance(node, str):
                    if node == "${each.value}":
                        return value
                    m = re.fullmatch(r"\$\{each\.value\.(\w+)\}", node)
                    if m and isinstance(value, dict):
                        return value.get(m.group(1))
                    node = node.replace("${each.key}", key)
                    return re.sub(r"\$\{each\.value\.(\w+)\}", lambda m: str(value.get(m.group(1))), node)
                if isinstance(node, dict):
                    return {k: sub(v) for k, v in node.items()}
                if isinstance(node, list):
                    return [sub(v) for v in node]
                return node
            yield f"{name}[{key}]", sub({k: v for k, v in body.items() if k != "for_each"})


def blocks(body, key):
    v = body.get(key) or []
    return v if isinstance(v, list) else [v]


def none_found(items, what):
    """The problem list a check starts from: "no <what>" when it found nothing to check."""
    return [] if items else [f"no {what}"]


def wrong_attributes(label, body, wants):
    """One problem per attribute of body that does not have its value: wants maps an attribute to
    (the value it must have, what is wrong otherwise)."""
    return [f"{label}: {what}" for key, (want, what) in wants.items() if body.get(key) != want]


# ---- checks shared by the three clouds ----

def check_versions(cfg):
    problems = []
    tf = cfg.get("terraform") or [{}]
    if tf[0].get("required_version") != ">= 1.5":
        problems.append(f"required_version is {tf[0].get('required_version')!r}, want '>= 1.5'")
    return problems


# The provider versions the configuration was written for: from the oldest with every argument and
# data source it uses (azurerm 4.9: azurerm_storage_container.storage_account_id; google 5.15: the
# google_compute_machine_types data source) up to, excluded, the first major release whose
# breaking changes it has not been checked against.
PROVIDERS = {"aws": ("hashicorp/aws", (5, 0), 6), "azurerm": ("hashicorp/azurerm", (4, 9), 5),
             "google": ("hashicorp/google", (5, 15), 7)}


def version_tuple(text):
    return tuple(int(x) for x in text.split("."))


def check_provider_versions(cfg, provider):
    """The provider's constraint is exactly '>= MIN, < MAJOR.0' with MIN at least the version the
    configuration needs and MAJOR the one above: no open range that lets a future major version in."""
    source, need, major = PROVIDERS[provider]
    problems = []
    found = [rp[provider] for tf in cfg.get("terraform", []) for rp in tf.get("required_providers", [])
             if provider in rp]
    if len(found) != 1:
        return [f"required_providers declares {provider} {len(found)} times, want once"]
    p = found[0]
    if p.get("source") != source:
        problems.append(f"{provider} source is {p.get('source')!r}, want {source!r}")
    m = re.fullmatch(r">= ?([0-9]+(?:\.[0-9]+)*), ?< ?([0-9]+)\.0", str(p.get("version")))
    if not m:
        return problems + [f"{provider} version is {p.get('version')!r}, want '>= X.Y, < N.0' (a lower and an upper bound)"]
    low, high = version_tuple(m.group(1)), int(m.group(2))
    if low < need:
        problems.append(f"{provider} lower bound {m.group(1)} is older than {'.'.join(map(str, need))}, which the configuration needs")
    if high != major:
        problems.append(f"{provider} upper bound is {high}.0, want {major}.0 (the first major version not checked)")
    return problems


def check_required_variable(cfg, var, why, refused, what):
    """var has no default (why: who must give it) and one of its validation rules holds the text
    refused (what: the value that rule turns away)."""
    v = cfg["variable"].get(var)
    if v is None:
        return [f"no variable {var}"]
    problems = []
    if "default" in v:
        problems.append(f"{var} has a default ({v['default']!r}); {why}")
    if refused not in " ".join(validation_conditions(cfg, var)):
        problems.append(f"{var}'s validation does not reject {what}")
    return problems


def check_allowed_cidr_variable(cfg):
    return check_required_variable(cfg, "allowed_cidr", "it must be given by the caller", 'endswith(var.allowed_cidr, "/0")', "a /0")


def check_repo_url_variable(cfg):
    return check_required_variable(cfg, "repo_url", "infra/run must pass the real one", "example.invalid",
                                   "the placeholder example.invalid")


# What each VM's user data argument is, per resource type (Azure's custom_data is base64-encoded).
USER_DATA = {"aws_instance": ("user_data", "{}"), "azurerm_linux_virtual_machine": ("custom_data", "base64encode({})"),
             "google_compute_instance": ("metadata", "{}")}


def check_cloud_init_wiring(cfg, scheme):
    """Each VM boots from its own role's user data, which the shared module renders from the shared
    template with the deployment's storage URL and fixed run id."""
    vms = [(rtype, name, body) for rtype in USER_DATA for name, body in resources(cfg, rtype)]
    problems = none_found(vms, "VM found")
    for rtype, name, body in vms:
        # A VM per role (for_each over local.vm_roles) boots its own role's: user_data[each.key].
        per_role = body.get("for_each") == "${local.vm_roles}"
        key, form = USER_DATA[rtype]
        want = form.format(f"module.{MODULE}.user_data[each.key]" if per_role else f'module.{MODULE}.user_data["{name}"]')
        if want not in json.dumps(body.get(key)).replace('\\"', '"'):
            problems.append(f"{rtype}.{name} does not boot from {want}")
    call, mod = module_call(cfg), module_config(cfg)
    if call.get("source") != f"../modules/{MODULE}":
        problems.append(f"module {MODULE} comes from {call.get('source')!r}, not ../modules/{MODULE}")
    if call.get("storage_url") != "${local.storage_url}":
        problems.append(f"module {MODULE} gets storage_url {call.get('storage_url')!r}, not local.storage_url")
    out = strip_template(str((mod["output"].get("user_data") or {}).get("value", "")))
    if f'templatefile("{TEMPLATE}", values)' not in out or "in local.cloud_init" not in out:
        problems.append(f"the module's user_data is not templatefile({TEMPLATE}, ...) of each role's local.cloud_init: {out!r}")
    init = str(mod["locals"].get("cloud_init", ""))
    for want in ("storage_url = var.storage_url", "run_id = local.run_id"):
        if not re.search(r"\b" + want.replace(" = ", r"\s*=\s*") + r"\b", init):
            problems.append(f"the module's cloud_init does not pass {want}")
    if not str(cfg["locals"].get("storage_url", "")).startswith(scheme):
        problems.append(f"local.storage_url {cfg['locals'].get('storage_url')!r} does not start with {scheme}")
    return problems


def check_run_id_fixed(cfg):
    """The module's terraform_data.run_id keeps its first input, and a deployment made before the
    module held it keeps its run id (a moved block, not a new resource with a new time)."""
    problems = []
    mod = module_config(cfg)
    rid = dict(resources(mod, "terraform_data")).get("run_id")
    if rid is None:
        return [f"no terraform_data.run_id in module {MODULE}"]
    ignored = [x for lc in blocks(rid, "lifecycle") for x in lc.get("ignore_changes", [])]
    if "${input}" not in ignored and "input" not in ignored:
        problems.append("terraform_data.run_id does not ignore changes to its input: the run id would change every apply")
    if "terraform_data.run_id.output" not in str(mod["locals"].get("run_id")) or \
            module_call(cfg).get("run_id") != "${var.run_id}":
        problems.append("the module's local.run_id is not var.run_id or else terraform_data.run_id")
    moved = {"from": "${terraform_data.run_id}", "to": f"${{module.{MODULE}.terraform_data.run_id}}"}
    if moved not in cfg.get("moved", []):
        problems.append("no moved block from terraform_data.run_id into the module: an existing deployment would get a new run id")
    return problems


def check_image_kept(cfg, rtype, attr):
    """Each VM ignores changes to its image: the image resolves to the newest one on every plan (most
    recent AMI, image family, "latest"), and a newer one must not replace a VM that is training."""
    problems = []
    vms = list(resources(cfg, rtype))
    if not vms:
        problems.append(f"no {rtype}")
    for name, body in vms:
        ignored = [x for lc in blocks(body, "lifecycle") for x in lc.get("ignore_changes", [])]
        if attr not in ignored and "${" + attr + "}" not in ignored:
            problems.append(f"{rtype}.{name} does not ignore changes to {attr}: a newer image would replace it")
    return problems


def all_strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from all_strings(k)
            yield from all_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from all_strings(v)


META_ARGUMENTS = {"source", "version", "count", "for_each", "depends_on", "providers"}


def check_references(cfg, where=""):
    """What `terraform validate` would say about names, as far as it can be said without providers:
    every var., local., data., module. and resource reference names something declared, every
    variable is used, and each module call passes exactly what the module declares (all it needs);
    the called module's own configuration is checked the same way. Moved blocks name former
    addresses, so they are not references."""
    problems = []
    declared_res = {(t, n) for t, byname in cfg["resource"].items() for n in byname}
    declared_data = {(t, n) for t, byname in cfg["data"].items() for n in byname}
    modules = cfg.get("module_config") or {}
    used_vars = set()
    for text in all_strings({k: v for k, v in cfg.items() if k not in ("variable", "moved", "module_config")}):
        for v in re.findall(r"\bvar\.([A-Za-z0-9_]+)", text):
            used_vars.add(v)
            if v not in cfg["variable"]:
                problems.append(f"{where}var.{v} is not declared")
        for v in re.findall(r"\blocal\.([A-Za-z0-9_]+)", text):
            if v not in cfg["locals"]:
                problems.append(f"{where}local.{v} is not defined")
        for t, n in re.findall(r"\bdata\.([a-z0-9_]+)\.([a-z0-9_]+)", text):
            if (t, n) not in declared_data:
                problems.append(f"{where}data.{t}.{n} is not declared")
        for t, n in re.findall(r"(?<![.\w])((?:aws|azurerm|google|terraform)_[a-z0-9_]+)\.([a-z0-9_]+)", text):
            if (t, n) not in declared_res:
                problems.append(f"{where}{t}.{n} is not declared")
        for m, o in re.findall(r"\bmodule\.([a-z0-9_]+)\.([a-z0-9_]+)", text):
            if m not in modules:
                problems.append(f"{where}module.{m} is not declared")
            elif o not in modules[m]["output"]:
                problems.append(f"{where}module.{m} has no output {o}")
    for v, body in cfg["variable"].items():
        for text in all_strings(body.get("validation", [])):
            used_vars.update(re.findall(r"\bvar\.([A-Za-z0-9_]+)", text))
    for v in cfg["variable"]:
        if v not in used_vars:
            problems.append(f"{where}variable {v} is declared but never used")
    for m, call in (cfg.get("module") or {}).items():
        if m not in modules:
            problems.append(f"{where}module {m}'s configuration was not parsed")
            continue
        declared = modules[m]["variable"]
        for arg in set(call) - META_ARGUMENTS - set(declared):
            problems.append(f"{where}module {m} has no variable {arg}")
        for arg, body in declared.items():
            if "default" not in body and arg not in call:
                problems.append(f"{where}module {m} needs {arg}, which the call does not pass")
        problems += check_references(modules[m], f"{where}module {m}: ")
    return sorted(set(problems))


# ---- AWS ----

def check_aws_ingress(cfg):
    problems = []
    for name, body in instances(cfg, "aws_vpc_security_group_ingress_rule"):
        for key in ("cidr_ipv6", "prefix_list_id", "referenced_security_group_id"):
            if key in body:
                problems.append(f"ingress rule {name} opens {key}={body[key]!r}")
        if body.get("cidr_ipv4") != CIDR_VAR:
            problems.append(f"ingress rule {name} allows {body.get('cidr_ipv4')!r}, not var.allowed_cidr")
        if (body.get("from_port"), body.get("to_port")) not in ((22, 22), (8080, 8080)):
            problems.append(f"ingress rule {name} opens ports {body.get('from_port')}-{body.get('to_port')}")
    for name, body in resources(cfg, "aws_security_group"):
        for ing in blocks(body, "ingress"):
            cidrs = set(ing.get("cidr_blocks", [])) | set(ing.get("ipv6_cidr_blocks", []))
            if cidrs - {CIDR_VAR}:
                problems.append(f"security group {name} has inline ingress from {sorted(cidrs)}")
    for name, body in resources(cfg, "aws_security_group_rule"):
        if body.get("type") == "ingress":
            cidrs = set(body.get("cidr_blocks", [])) | set(body.get("ipv6_cidr_blocks", []))
            if cidrs - {CIDR_VAR}:
                problems.append(f"security group rule {name} allows ingress from {sorted(cidrs)}")
    return problems


def check_aws_imdsv2(cfg):
    instances = list(resources(cfg, "aws_instance")) + list(resources(cfg, "aws_launch_template"))
    problems = none_found(instances, "aws_instance")
    for name, body in instances:
        mo = blocks(body, "metadata_options")
        if not mo or mo[0].get("http_tokens") != "required":
            problems.append(f"{name}: metadata_options.http_tokens is not \"required\" (IMDSv1 allowed)")
    return problems


def _policy_docs(cfg):
    """The policy documents by name, one per instance ("vm[train]") of a for_each document."""
    return dict(instances(cfg, "aws_iam_policy_document", "data"))


def policy_doc_name(policy):
    """The document a policy argument names: ${data.aws_iam_policy_document.<name>[\"<key>\"].json}."""
    m = re.fullmatch(r'\$\{data\.aws_iam_policy_document\.(\w+)(?:\["(\w+)"\])?\.json\}', str(policy))
    return None if not m else m.group(1) + (f"[{m.group(2)}]" if m.group(2) else "")


def allowed_statements(cfg, policy):
    """The Allow statements of the document a policy argument names, or None when it names none."""
    doc = _policy_docs(cfg).get(policy_doc_name(policy))
    return None if doc is None else [st for st in blocks(doc, "statement") if st.get("effect", "Allow") == "Allow"]


def aws_bucket_refs():
    return {"${aws_s3_bucket.runs.arn}", "${aws_s3_bucket.runs.arn}/*", "${aws_s3_bucket.runs.arn}/${var.storage_prefix}/*"}


def check_aws_iam_policy(cfg):
    problems = []
    policies = list(resources(cfg, "aws_iam_role_policy")) + list(resources(cfg, "aws_iam_policy"))
    if not policies:
        problems.append("no IAM policy for the VMs")
    for name, body in policies:
        statements = allowed_statements(cfg, body.get("policy"))
        if statements is None:
            problems.append(f"policy {name} is not a data.aws_iam_policy_document (cannot be checked)")
            continue
        for st in statements:
            res = set(st.get("resources", []))
            if not res or res - aws_bucket_refs():
                problems.append(f"policy {name} allows {sorted(res - aws_bucket_refs()) or 'no resource'}; only the run bucket may appear")
            for a in st.get("actions", []):
                if not a.startswith("s3:") or "*" in a:
                    problems.append(f"policy {name} allows action {a!r}")
            if st.get("not_actions") or st.get("not_resources"):
                problems.append(f"policy {name} uses not_actions/not_resources")
    for name, body in resources(cfg, "aws_iam_role_policy_attachment"):
        problems.append(f"managed policy attached ({name}: {body.get('policy_arn')}): use the bucket-only inline policy")
    return problems


def check_aws_bucket_policy(cfg):
    problems = []
    docs = _policy_docs(cfg)
    for name, body in resources(cfg, "aws_s3_bucket_policy"):
        doc = policy_doc_name(body.get("policy"))
        if not doc:
            problems.append(f"bucket policy {name} cannot be checked")
            continue
        for st in blocks(docs.get(doc, {}), "statement"):
            anyone = any("*" in p.get("identifiers", []) for p in blocks(st, "principals"))
            if anyone and st.get("effect", "Allow") == "Allow":
                problems.append(f"bucket policy {name} allows everyone")
    return problems


def check_aws_public_access_block(cfg):
    problems = []
    buckets = [n for n, _ in resources(cfg, "aws_s3_bucket")]
    pabs = {b.get("bucket"): b for _, b in resources(cfg, "aws_s3_bucket_public_access_block")}
    for b in buckets:
        pab = pabs.get(f"${{aws_s3_bucket.{b}.id}}")
        if pab is None:
            problems.append(f"bucket {b} has no public access block")
            continue
        for key in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
            if pab.get(key) is not True:
                problems.append(f"bucket {b}: {key} is {pab.get(key)!r}")
    if buckets != ["runs"]:
        problems.append(f"expected one bucket 'runs', found {buckets}")
    return problems


def check_aws_encryption(cfg):
    problems = []
    sse = {b.get("bucket"): b for _, b in resources(cfg, "aws_s3_bucket_server_side_encryption_configuration")}
    for b, _ in resources(cfg, "aws_s3_bucket"):
        conf = sse.get(f"${{aws_s3_bucket.{b}.id}}")
        algos = [d.get("sse_algorithm") for r in blocks(conf or {}, "rule")
                 for d in blocks(r, "apply_server_side_encryption_by_default")]
        if not algos or any(a not in ("AES256", "aws:kms", "aws:kms:dsse") for a in algos):
            problems.append(f"bucket {b} has no server-side encryption (found {algos})")
    for name, body in resources(cfg, "aws_instance"):
        for rbd in blocks(body, "root_block_device"):
            if rbd.get("encrypted") is not True:
                problems.append(f"{name}: root volume not encrypted")
    return problems


def check_aws_spot(cfg):
    body = dict(resources(cfg, "aws_instance")).get("train", {})
    dyn = (body.get("dynamic") or {}).get("instance_market_options")
    if not dyn:
        return ["the training instance has no optional spot block"]
    spot = blocks(blocks(dyn[0], "content")[0], "spot_options")[0]
    if spot.get("instance_interruption_behavior") != "stop" or spot.get("spot_instance_type") != "persistent":
        return [f"spot options {spot} do not stop-and-resume"]
    return []


# ---- Azure ----

def check_azure_ingress(cfg):
    problems = []
    rules = [(f"{n}/{r.get('name')}", r) for n, b in resources(cfg, "azurerm_network_security_group")
             for r in blocks(b, "security_rule")]
    rules += list(resources(cfg, "azurerm_network_security_rule"))
    if not rules:
        problems.append("no NSG rules")
    for name, r in rules:
        if r.get("direction") != "Inbound" or r.get("access") != "Allow":
            continue
        srcs = ([r["source_address_prefix"]] if "source_address_prefix" in r else []) + r.get("source_address_prefixes", [])
        if not srcs or set(srcs) - {CIDR_VAR}:
            problems.append(f"NSG rule {name} admits {srcs}, not var.allowed_cidr only")
        ports = ([r["destination_port_range"]] if "destination_port_range" in r else []) + r.get("destination_port_ranges", [])
        if set(ports) - {"22", "8080"}:
            problems.append(f"NSG rule {name} opens ports {ports}")
    return problems


def check_azure_role_scope(cfg):
    ras = dict(resources(cfg, "azurerm_role_assignment"))
    problems = none_found(ras, "role assignment")
    problems += [f"role assignment {name} is scoped to {b.get('scope')!r}, not the container"
                 for name, b in ras.items() if b.get("scope") != "${azurerm_storage_container.runs.id}"]
    problems += [f"role assignment {name} grants {b.get('role_definition_name')!r}" for name, b in ras.items()
                 if b.get("role_definition_name") not in ("Storage Blob Data Contributor", "Storage Blob Data Reader")]
    train = ras.get("train_blob", {})
    if train.get("role_definition_name") != "Storage Blob Data Contributor":
        problems.append("the trainer's identity is not Storage Blob Data Contributor on the container")
    container = dict(resources(cfg, "azurerm_storage_container")).get("runs", {})
    if container.get("name") != "gan-training-storage" or container.get("container_access_type") != "private":
        problems.append(f"container is {container.get('name')!r}/{container.get('container_access_type')!r}")
    if "storage_account_id" not in container:
        problems.append("container made without storage_account_id: its id would be the data-plane URL, not a scope")
    return problems


def check_azure_storage_account(cfg):
    return [p for name, b in resources(cfg, "azurerm_storage_account") for p in wrong_attributes(name, b, {
        "allow_nested_items_to_be_public": (False, "public blobs allowed"),
        "https_traffic_only_enabled": (True, "plain HTTP allowed"),
        "min_tls_version": ("TLS1_2", f"min TLS {b.get('min_tls_version')!r}"),
        "infrastructure_encryption_enabled": (True, "infrastructure encryption off"),
    })]


def check_azure_vms(cfg):
    problems = []
    for name, b in resources(cfg, "azurerm_linux_virtual_machine"):
        if b.get("disable_password_authentication") is not True:
            problems.append(f"{name}: password login allowed")
        ident = blocks(b, "identity")
        if not ident or ident[0].get("type") != "UserAssigned":
            problems.append(f"{name}: no user-assigned identity")
    return problems


# ---- GCP ----

def check_gcp_ingress(cfg):
    fws = list(resources(cfg, "google_compute_firewall"))
    problems = none_found(fws, "firewall rule")
    for name, b in fws:
        if b.get("direction", "INGRESS") != "INGRESS":
            continue
        if b.get("source_ranges") != [CIDR_VAR]:
            problems.append(f"firewall {name} admits {b.get('source_ranges')}, not var.allowed_cidr only")
        for a in blocks(b, "allow"):
            if set(a.get("ports", ["all"])) - {"22", "8080"}:
                problems.append(f"firewall {name} opens {a.get('protocol')} {a.get('ports', 'all ports')}")
    net = dict(resources(cfg, "google_compute_network")).get("main")
    if net is None:
        problems.append("VMs are not on a network of their own (the default network allows SSH from anywhere)")
    return problems


def check_gcp_bucket_binding(cfg):
    problems = []
    for rtype in ("google_project_iam_member", "google_project_iam_binding", "google_project_iam_policy"):
        for name, _ in resources(cfg, rtype):
            problems.append(f"project-wide IAM ({rtype}.{name}): bind on the bucket instead")
    members = dict(resources(cfg, "google_storage_bucket_iam_member"))
    members.update(resources(cfg, "google_storage_bucket_iam_binding"))
    problems += none_found(members, "bucket IAM binding")
    problems += [f"binding {name} is on {b.get('bucket')!r}, not the run bucket"
                 for name, b in members.items() if b.get("bucket") != "${google_storage_bucket.runs.name}"]
    problems += [f"binding {name} grants {b.get('role')!r}" for name, b in members.items()
                 if b.get("role") not in ("roles/storage.objectAdmin", "roles/storage.objectViewer")]
    train = members.get("train", {})
    if train.get("role") != "roles/storage.objectAdmin" or "google_service_account.train" not in str(train.get("member")):
        problems.append("the trainer's service account is not objectAdmin on the bucket")
    return problems


def check_gcp_bucket(cfg):
    b = dict(resources(cfg, "google_storage_bucket")).get("runs", {})
    problems = wrong_attributes("bucket runs", b, {
        "uniform_bucket_level_access": (True, "uniform bucket-level access off"),
        "public_access_prevention": ("enforced", f"public_access_prevention is {b.get('public_access_prevention')!r}"),
    })
    # Deployments of one project (checkouts with different --var name=...) need their own buckets.
    if b.get("name") != "${local.bucket_name}" or "var.name" not in str(cfg["locals"].get("bucket_name")) \
            or "var.project" not in str(cfg["locals"].get("bucket_name")):
        problems.append(f"bucket name {b.get('name')!r} (local.bucket_name {cfg['locals'].get('bucket_name')!r}) is not made of var.name and var.project")
    return problems


def check_gcp_vms(cfg):
    problems = []
    for name, b in resources(cfg, "google_compute_instance"):
        sa = blocks(b, "service_account")
        if not sa or "google_service_account." not in str(sa[0].get("email")):
            problems.append(f"{name}: not running as its own service account")
        elif any("cloud-platform" in s for s in sa[0].get("scopes", [])):
            problems.append(f"{name}: cloud-platform scope; storage scopes suffice")
    train = dict(resources(cfg, "google_compute_instance")).get("train", {})
    sched = blocks(train, "scheduling")
    if not sched or sched[0].get("on_host_maintenance") != "TERMINATE":
        problems.append("GPU VM without on_host_maintenance = TERMINATE")
    return problems


def check_gcp_zone(cfg):
    """The VMs go to local.zone, chosen among the zones of var.region that offer var.machine_type
    (what it evaluates to is validations.py's; this is the wiring)."""
    problems = []
    zones = (cfg["data"].get("google_compute_zones") or {}).get("up", {})
    if zones.get("region") != "${var.region}" or zones.get("status") != "UP":
        problems.append(f"data.google_compute_zones.up is {zones}, want the UP zones of var.region")
    mt = (cfg["data"].get("google_compute_machine_types") or {}).get("gpu", {})
    if mt.get("for_each") != "${toset(data.google_compute_zones.up.names)}" or mt.get("zone") != "${each.key}":
        problems.append("data.google_compute_machine_types.gpu is not read once per zone of data.google_compute_zones.up")
    if mt.get("filter") != 'name = "${var.machine_type}"':
        problems.append(f"data.google_compute_machine_types.gpu filter is {mt.get('filter')!r}, not the GPU machine type")
    if "data.google_compute_machine_types.gpu" not in str(cfg["locals"].get("gpu_zones")) or \
            "local.gpu_zones" not in str(cfg["locals"].get("zone_choice")):
        problems.append("local.zone_choice is not chosen from the zones offering the machine type")
    for name, b in resources(cfg, "google_compute_instance"):
        if b.get("zone") != "${local.zone}":
            problems.append(f"{name} is in zone {b.get('zone')!r}, not local.zone")
    conds = [p.get("condition") for lc in blocks(dict(resources(cfg, "terraform_data")).get("zone", {}), "lifecycle")
             for p in blocks(lc, "precondition")]
    if "${contains(local.gpu_zones, local.zone_choice)}" not in conds:
        problems.append("terraform_data.zone has no precondition that the chosen zone offers the machine type")
    if "zone" in (cfg.get("provider") or {}).get("google", {}):
        problems.append("the provider block sets a zone: from local.zone, which its own data sources feed, that is a cycle")
    return problems


def check_gcp_zone_kept(cfg):
    """The zone is chosen once: local.zone is terraform_data.zone's input, which ignores later changes
    of the choice and is replaced (chosen again) only when var.region, var.zone or var.machine_type
    change. The data sources are read on every plan; a zone going down or an earlier-named zone
    starting to offer the machine type would otherwise move (replace) both VMs mid-run."""
    problems = []
    z = dict(resources(cfg, "terraform_data")).get("zone")
    if z is None:
        return ["no terraform_data.zone: the zone is chosen again on every plan"]
    if z.get("input") != "${local.zone_choice}":
        problems.append(f"terraform_data.zone's input is {z.get('input')!r}, not local.zone_choice")
    ignored = [x for lc in blocks(z, "lifecycle") for x in lc.get("ignore_changes", [])]
    if "${input}" not in ignored and "input" not in ignored:
        problems.append("terraform_data.zone does not ignore changes to its input: a new choice would move the VMs")
    triggers = z.get("triggers_replace")
    refs = set(re.findall(r"\b(?:var|local|data)\.[A-Za-z0-9_.]+", json.dumps(triggers)))
    want = {"var.region", "var.zone", "var.machine_type"}
    if refs != want:
        problems.append(f"terraform_data.zone is chosen again when {sorted(refs)} change, want exactly {sorted(want)}")
    # The input, known at plan time: the output is unknown when terraform_data.zone is created
    # (a deployment made before it existed included), and an unknown zone replaces the VMs.
    if cfg["locals"].get("zone") != "${terraform_data.zone.input}":
        problems.append(f"local.zone is {cfg['locals'].get('zone')!r}, not terraform_data.zone.input")
    return problems


# ---- item by item: least privilege, retention, keys (each has a broken copy below) ----

def check_aws_train_role_least(cfg):
    """The trainer's policy: no delete, no multipart listing (gan never lists uploads or parts),
    and every object action limited to the deployment's prefix, as the monitor's."""
    problems = []
    role_policies = dict(resources(cfg, "aws_iam_role_policy"))
    prefix_objects = "${aws_s3_bucket.runs.arn}/${var.storage_prefix}/*"
    for doc in ("train", "monitor"):
        statements = allowed_statements(cfg, (role_policies.get(doc) or {}).get("policy"))
        if statements is None:
            problems.append(f"no policy document for the {doc} role")
            continue
        for st in statements:
            actions = st.get("actions", [])
            for a in actions:
                if a in ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:ListBucketMultipartUploads",
                         "s3:ListMultipartUploadParts"):
                    problems.append(f"{doc} allows {a}, which gan does not use")
            object_actions = [a for a in actions if "Object" in a or a == "s3:AbortMultipartUpload"]
            if object_actions and st.get("resources") != [prefix_objects]:
                problems.append(f"{doc} allows {object_actions} on {st.get('resources')}, not {prefix_objects!r} alone")
    if not validation_conditions(cfg, "storage_prefix"):
        problems.append("storage_prefix has no validation (it is part of the policy's resource)")
    return problems


def check_aws_lifecycle(cfg):
    for _, b in resources(cfg, "aws_s3_bucket_lifecycle_configuration"):
        if b.get("bucket") != "${aws_s3_bucket.runs.id}":
            continue
        for r in blocks(b, "rule"):
            days = [a.get("days_after_initiation") for a in blocks(r, "abort_incomplete_multipart_upload")]
            if r.get("status") == "Enabled" and days and all(isinstance(d, int) and 1 <= d <= 7 for d in days):
                return []
    return ["the run bucket has no enabled lifecycle rule aborting incomplete multipart uploads within 7 days"]


def check_bucket_kept_by_default(cfg, rtype):
    problems = []
    v = cfg["variable"].get("force_destroy_bucket")
    if v is None or v.get("default") is not False:
        problems.append(f"force_destroy_bucket defaults to {None if v is None else v.get('default')!r}, want false")
    for name, b in resources(cfg, rtype):
        if b.get("force_destroy") not in (None, False, "${var.force_destroy_bucket}"):
            problems.append(f"{rtype}.{name}: force_destroy = {b.get('force_destroy')!r}")
    return problems


def check_azure_storage_locked(cfg):
    problems = []
    for name, b in resources(cfg, "azurerm_storage_account"):
        if b.get("shared_access_key_enabled") is not False:
            problems.append(f"{name}: shared key (account key and SAS) authorisation on")
        if b.get("public_network_access_enabled") is False:
            continue
        rules = blocks(b, "network_rules")
        if not rules or rules[0].get("default_action") != "Deny":
            problems.append(f"{name}: reachable from every network (no public_network_access_enabled = false, no network_rules default_action = Deny)")
            continue
        for ip in rules[0].get("ip_rules", []):
            if ip in ANYWHERE or "allowed_cidr" not in str(ip):
                problems.append(f"{name}: firewall admits {ip!r}, not var.allowed_cidr")
    for name, b in resources(cfg, "azurerm_linux_virtual_machine"):
        if not blocks(b, "identity"):
            problems.append(f"{name}: no managed identity, yet shared keys are off")
    return problems


def check_gcp_project_ssh_keys_blocked(cfg):
    problems = []
    for name, b in resources(cfg, "google_compute_instance"):
        md = str(b.get("metadata"))
        if not re.search(r'block-project-ssh-keys\s*=\s*\\?"true\\?"', md):
            problems.append(f"{name}: project-wide SSH keys not blocked (metadata block-project-ssh-keys)")
    return problems


def check_git_ref_validation(cfg):
    """git_ref's validation, evaluated here on examples: an option-like ref must fail it."""
    conds = validation_conditions(cfg, "git_ref")
    pats = []
    for c in conds:
        m = re.search(r'regex\(\\?"(.*?)\\?", var\.git_ref\)', c) or re.search(r'regex\("(.*?)", var\.git_ref\)', c)
        if m:
            pats.append(m.group(1).replace("\\\\", "\\"))
    if not pats:
        return ["git_ref has no regex validation"]
    problems = []
    for ref in ("-c", "--upload-pack=touch /tmp/x", "-"):
        if all(re.search(p, ref) for p in pats):
            problems.append(f"git_ref {ref!r} passes validation")
    for ref in ("main", "v1.2", "feature/x-y", "0123abcd"):
        if not all(re.search(p, ref) for p in pats):
            problems.append(f"git_ref {ref!r} fails validation")
    return problems


def check_moved(cfg):
    """Each moved block lands on a resource the configuration declares (in module deployment for an
    address there), and a resource moved to per-key instances gets a move for every key it had
    before: both roles (train, monitor) for one made per VM role, every key of a literal for_each."""
    problems = []
    keys = {}
    for mv in cfg.get("moved", []):
        m = re.fullmatch(r'\$\{(?:module\.(\w+)\.)?(\w+)\.(\w+)(?:\["(\w+)"\])?\}', str(mv.get("to")))
        if not m:
            problems.append(f"moved to {mv.get('to')!r}: not an address")
            continue
        module, rtype, name, key = m.groups()
        where = module_config(cfg) if module == MODULE else cfg if module is None else None
        body = ((where or {}).get("resource", {}).get(rtype) or {}).get(name)
        if body is None:
            problems.append(f"moved to {mv['to']}, which is not declared")
        elif key is not None:
            keys.setdefault((rtype, name), (body, set()))[1].add(key)
    for (rtype, name), (body, moved) in keys.items():
        each = body.get("for_each")
        want = set(each) if isinstance(each, dict) else {"train", "monitor"}
        if moved != want:
            problems.append(f"{rtype}.{name}: moves to {sorted(moved)}, want one to each of {sorted(want)}")
    return problems


def shared_checks(provider, scheme, vm, image):
    """The checks every cloud's configuration gets: provider, the shared module and its inputs, and
    its VMs (resource type vm) keeping the image they were made from (attribute image)."""
    return [
        ("VMs keep their image", lambda c: check_image_kept(c, vm, image)),
        ("Terraform >= 1.5", check_versions),
        ("provider version bounded below and above", lambda c: check_provider_versions(c, provider)),
        ("every reference names something declared; every variable used", check_references),
        ("allowed_cidr required, /0 rejected", check_allowed_cidr_variable),
        ("repo_url required, placeholder rejected", check_repo_url_variable),
        (f"cloud-init from the shared template with {scheme} storage", lambda c: check_cloud_init_wiring(c, scheme)),
        ("run id fixed for the deployment", check_run_id_fixed),
        ("moved blocks land on declared resources, one per instance", check_moved),
        ("git_ref beginning with '-' refused", check_git_ref_validation),
    ]


CHECKS = {
    "aws": shared_checks("aws", "s3://", "aws_instance", "ami") + [
        ("no ingress but 22/8080 from allowed_cidr", check_aws_ingress),
        ("IMDSv2 required", check_aws_imdsv2),
        ("IAM policies name only the run bucket", check_aws_iam_policy),
        ("bucket policy allows nobody", check_aws_bucket_policy),
        ("public access blocked", check_aws_public_access_block),
        ("encryption on (bucket and volumes)", check_aws_encryption),
        ("spot stops and resumes", check_aws_spot),
        ("training role deletes nothing, lists no uploads, reaches only its prefix", check_aws_train_role_least),
        ("bucket aborts incomplete multipart uploads", check_aws_lifecycle),
        ("bucket kept by a teardown unless asked", lambda c: check_bucket_kept_by_default(c, "aws_s3_bucket")),
    ],
    "azure": shared_checks("azurerm", "az://", "azurerm_linux_virtual_machine", "source_image_reference") + [
        ("no ingress but 22/8080 from allowed_cidr", check_azure_ingress),
        ("role assignments scoped to the container", check_azure_role_scope),
        ("storage account private, TLS, encrypted", check_azure_storage_account),
        ("VMs: keys only, managed identity", check_azure_vms),
        ("storage account: no shared keys, firewall closed but for the VMs and allowed_cidr", check_azure_storage_locked),
    ],
    "gcp": shared_checks("google", "gs://", "google_compute_instance",
                           "boot_disk[0].initialize_params[0].image") + [
        ("no ingress but 22/8080 from allowed_cidr", check_gcp_ingress),
        ("IAM bound on the bucket only", check_gcp_bucket_binding),
        ("bucket private, named after the project and the deployment", check_gcp_bucket),
        ("VMs: own service account, storage scopes", check_gcp_vms),
        ("VMs in a zone that offers the machine type", check_gcp_zone),
        ("VM zone chosen once, kept until region, zone or machine type change", check_gcp_zone_kept),
        ("VMs block project-wide SSH keys", check_gcp_project_ssh_keys_blocked),
        ("bucket kept by a teardown unless asked", lambda c: check_bucket_kept_by_default(c, "google_storage_bucket")),
    ],
}


# Broken copies: (cloud, description, mutation, name of the check that must catch it).
def _set(path, value):
    def mutate(cfg):
        node = cfg
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
    return mutate


def _add(rtype, name, body):
    def mutate(cfg):
        cfg["resource"].setdefault(rtype, {})[name] = body
    return mutate


MUTANTS = [
    ("aws", "reference to an undeclared variable", _set(["resource", "aws_instance", "train", "instance_type"], "${var.instance_typo}"),
     "every reference names something declared; every variable used"),
    ("gcp", "reference to an undeclared resource", _set(["resource", "google_compute_instance", "train", "depends_on"], ["${google_storage_bucket_iam_member.trainer}"]),
     "every reference names something declared; every variable used"),
    ("azure", "unused variable", _set(["variable", "forgotten"], {"type": "${string}"}),
     "every reference names something declared; every variable used"),
    ("aws", "SSH from 0.0.0.0/0", _set(["resource", "aws_vpc_security_group_ingress_rule", "vm", "cidr_ipv4"], "0.0.0.0/0"),
     "no ingress but 22/8080 from allowed_cidr"),
    ("aws", "a third ingress rule, RDP", _set(["resource", "aws_vpc_security_group_ingress_rule", "vm", "for_each", "rdp"], {"port": 3389, "what": "RDP"}),
     "no ingress but 22/8080 from allowed_cidr"),
    ("aws", "inline ingress from ::/0", _set(["resource", "aws_security_group", "vm", "ingress"], [{"ipv6_cidr_blocks": ["::/0"]}]),
     "no ingress but 22/8080 from allowed_cidr"),
    ("aws", "allowed_cidr default 0.0.0.0/0", _set(["variable", "allowed_cidr", "default"], "0.0.0.0/0"),
     "allowed_cidr required, /0 rejected"),
    ("aws", "repo_url default placeholder", _set(["variable", "repo_url", "default"], "https://example.invalid/gan.git"),
     "repo_url required, placeholder rejected"),
    ("aws", "IMDSv1 allowed", _set(["resource", "aws_instance", "monitor", "metadata_options"], [{"http_tokens": "optional"}]),
     "IMDSv2 required"),
    ("aws", "policy on every bucket", _set(["data", "aws_iam_policy_document", "vm", "statement", 1, "resources"], ["arn:aws:s3:::*/*"]),
     "IAM policies name only the run bucket"),
    ("aws", "s3:* allowed", _set(["data", "aws_iam_policy_document", "vm", "for_each", "monitor", "actions"], ["s3:*"]),
     "IAM policies name only the run bucket"),
    ("aws", "managed policy attached", _add("aws_iam_role_policy_attachment", "full", {"policy_arn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"}),
     "IAM policies name only the run bucket"),
    ("aws", "public ACLs allowed", _set(["resource", "aws_s3_bucket_public_access_block", "runs", "block_public_acls"], False),
     "public access blocked"),
    ("aws", "no encryption", _set(["resource", "aws_s3_bucket_server_side_encryption_configuration", "runs", "rule"], []),
     "encryption on (bucket and volumes)"),
    ("aws", "provider without an upper bound", _set(["terraform", 0, "required_providers", 0, "aws", "version"], ">= 5.0"),
     "provider version bounded below and above"),
    ("azure", "azurerm older than storage_account_id", _set(["terraform", 0, "required_providers", 0, "azurerm", "version"], ">= 4.0, < 5.0"),
     "provider version bounded below and above"),
    ("gcp", "upper bound two majors up", _set(["terraform", 0, "required_providers", 0, "google", "version"], ">= 5.0, < 8.0"),
     "provider version bounded below and above"),
    ("gcp", "bucket named after the project only", _set(["locals", "bucket_name"], "gan-training-storage-${var.project}"),
     "bucket private, named after the project and the deployment"),
    ("gcp", "zone <region>-a", _set(["locals", "zone_choice"], '${var.zone != "" ? var.zone : "${var.region}-a"}'),
     "VMs in a zone that offers the machine type"),
    ("gcp", "zone precondition on a zone the VMs are not in", _set(["resource", "terraform_data", "zone", "lifecycle", 0, "precondition", 0, "condition"], "${length(local.gpu_zones) > 0}"),
     "VMs in a zone that offers the machine type"),
    ("gcp", "zone chosen again on every plan", _set(["locals", "zone"], "${local.zone_choice}"),
     "VM zone chosen once, kept until region, zone or machine type change"),
    ("gcp", "zone choice not kept (ignore_changes dropped)", _set(["resource", "terraform_data", "zone", "lifecycle", 0, "ignore_changes"], []),
     "VM zone chosen once, kept until region, zone or machine type change"),
    ("gcp", "zone chosen again when the zones' answers change", _set(["resource", "terraform_data", "zone", "triggers_replace"], ["${var.region}", "${var.zone}", "${var.machine_type}", "${local.gpu_zones}"]),
     "VM zone chosen once, kept until region, zone or machine type change"),
    ("gcp", "zone kept after a change of machine type", _set(["resource", "terraform_data", "zone", "triggers_replace"], ["${var.region}", "${var.zone}"]),
     "VM zone chosen once, kept until region, zone or machine type change"),
    ("gcp", "zone from terraform_data's output (unknown at the first plan)", _set(["locals", "zone"], "${terraform_data.zone.output}"),
     "VM zone chosen once, kept until region, zone or machine type change"),
    ("gcp", "no terraform_data.zone", lambda cfg: cfg["resource"]["terraform_data"].pop("zone"),
     "VM zone chosen once, kept until region, zone or machine type change"),
    ("gcp", "machine types filtered on the monitor's type", _set(["data", "google_compute_machine_types", "gpu", "filter"], 'name = "${var.monitor_machine_type}"'),
     "VMs in a zone that offers the machine type"),
    ("gcp", "monitor VM in a fixed zone", _set(["resource", "google_compute_instance", "monitor", "zone"], "us-central1-a"),
     "VMs in a zone that offers the machine type"),
    ("aws", "monitor VM replaced by a newer AMI", _set(["resource", "aws_instance", "monitor", "lifecycle"], []),
     "VMs keep their image"),
    ("aws", "training VM ignores another attribute", _set(["resource", "aws_instance", "train", "lifecycle"], [{"ignore_changes": ["${tags}"]}]),
     "VMs keep their image"),
    ("azure", "training VM replaced by a newer image", _set(["resource", "azurerm_linux_virtual_machine", "vm", "lifecycle"], []),
     "VMs keep their image"),
    ("gcp", "training VM replaced by a newer image", _set(["resource", "google_compute_instance", "train", "lifecycle"], []),
     "VMs keep their image"),
    ("aws", "run id changes every apply", _set(["module_config", "deployment", "resource", "terraform_data", "run_id", "lifecycle"], []),
     "run id fixed for the deployment"),
    ("gcp", "run id made anew (no moved block into the module)", _set(["moved"], []),
     "run id fixed for the deployment"),
    ("azure", "the monitor's network interface not moved (it would be replaced, and the VM with it)", lambda cfg: cfg["moved"].pop(),
     "moved blocks land on declared resources, one per instance"),
    ("aws", "a rule moved to an address that does not exist", _set(["moved", 1, "to"], '${aws_vpc_security_group_ingress_rule.ssh["ssh"]}'),
     "moved blocks land on declared resources, one per instance"),
    ("azure", "every VM boots the training VM's user data", _set(["resource", "azurerm_linux_virtual_machine", "vm", "custom_data"], '${base64encode(module.deployment.user_data["train"])}'),
     "cloud-init from the shared template with az:// storage"),
    ("aws", "module renders a storage URL of its own", _set(["module", "deployment", "storage_url"], "s3://other/runs"),
     "cloud-init from the shared template with s3:// storage"),
    ("gcp", "module reads an output it does not have", _set(["output", "run_id", "value"], "${module.deployment.run}"),
     "every reference names something declared; every variable used"),
    ("azure", "module call without a variable the module needs", lambda cfg: cfg["module"]["deployment"].pop("hosts"),
     "every reference names something declared; every variable used"),
    ("aws", "module uses an undeclared variable", _set(["module_config", "deployment", "locals", "monitor_host"], "${var.monitor_host}"),
     "every reference names something declared; every variable used"),
    ("azure", "NSG from Internet", _set(["resource", "azurerm_network_security_group", "vms", "security_rule", 1, "source_address_prefix"], "Internet"),
     "no ingress but 22/8080 from allowed_cidr"),
    ("azure", "role on the account", _set(["resource", "azurerm_role_assignment", "train_blob", "scope"], "${azurerm_storage_account.runs.id}"),
     "role assignments scoped to the container"),
    ("azure", "Owner role", _set(["resource", "azurerm_role_assignment", "monitor_blob", "role_definition_name"], "Owner"),
     "role assignments scoped to the container"),
    ("azure", "public blobs", _set(["resource", "azurerm_storage_account", "runs", "allow_nested_items_to_be_public"], True),
     "storage account private, TLS, encrypted"),
    ("gcp", "firewall from 0.0.0.0/0", _set(["resource", "google_compute_firewall", "ssh_monitor", "source_ranges"], ["0.0.0.0/0"]),
     "no ingress but 22/8080 from allowed_cidr"),
    ("gcp", "project-wide binding", _add("google_project_iam_member", "sa", {"role": "roles/storage.admin"}),
     "IAM bound on the bucket only"),
    ("gcp", "binding on another bucket", _set(["resource", "google_storage_bucket_iam_member", "train", "bucket"], "other"),
     "IAM bound on the bucket only"),
    ("gcp", "public access allowed", _set(["resource", "google_storage_bucket", "runs", "public_access_prevention"], "inherited"),
     "bucket private, named after the project and the deployment"),
    ("aws", "trainer may delete", _set(["data", "aws_iam_policy_document", "vm", "for_each", "train", "actions"], ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]),
     "training role deletes nothing, lists no uploads, reaches only its prefix"),
    ("aws", "trainer lists multipart uploads", _set(["data", "aws_iam_policy_document", "vm", "statement", 0, "actions"], ["s3:ListBucket", "s3:ListBucketMultipartUploads"]),
     "training role deletes nothing, lists no uploads, reaches only its prefix"),
    ("aws", "trainer writes the whole bucket", _set(["data", "aws_iam_policy_document", "vm", "statement", 1, "resources"], ["${aws_s3_bucket.runs.arn}/*"]),
     "training role deletes nothing, lists no uploads, reaches only its prefix"),
    ("aws", "training role's policy names no document", _set(["resource", "aws_iam_role_policy", "train", "policy"], '${jsonencode({Statement = []})}'),
     "training role deletes nothing, lists no uploads, reaches only its prefix"),
    ("aws", "no lifecycle rule", lambda cfg: cfg["resource"].pop("aws_s3_bucket_lifecycle_configuration"),
     "bucket aborts incomplete multipart uploads"),
    ("aws", "force_destroy defaults to true", _set(["variable", "force_destroy_bucket", "default"], True),
     "bucket kept by a teardown unless asked"),
    ("aws", "git_ref may begin with '-'", _set(["module_config", "deployment", "variable", "git_ref", "validation", 0, "condition"], '${can(regex("^[A-Za-z0-9._/-]+$", var.git_ref))}'),
     "git_ref beginning with '-' refused"),
    ("gcp", "git_ref passed to the module unchecked (a fixed value)", _set(["module", "deployment", "git_ref"], "main"),
     "git_ref beginning with '-' refused"),
    ("azure", "allowed_cidr's rule dropped from the module", _set(["module_config", "deployment", "variable", "allowed_cidr", "validation"], []),
     "allowed_cidr required, /0 rejected"),
    ("gcp", "force_destroy always on", _set(["resource", "google_storage_bucket", "runs", "force_destroy"], True),
     "bucket kept by a teardown unless asked"),
    ("gcp", "project SSH keys let in", _set(["resource", "google_compute_instance", "monitor", "metadata"], '${merge(local.ssh_keys, {user-data = "x"})}'),
     "VMs block project-wide SSH keys"),
    ("azure", "shared keys on", _set(["resource", "azurerm_storage_account", "runs", "shared_access_key_enabled"], True),
     "storage account: no shared keys, firewall closed but for the VMs and allowed_cidr"),
    ("azure", "firewall open", _set(["resource", "azurerm_storage_account", "runs", "network_rules"], [{"default_action": "Allow"}]),
     "storage account: no shared keys, firewall closed but for the VMs and allowed_cidr"),
    ("azure", "firewall admits 0.0.0.0/0", _set(["resource", "azurerm_storage_account", "runs", "network_rules", 0, "ip_rules"], ["0.0.0.0/0"]),
     "storage account: no shared keys, firewall closed but for the VMs and allowed_cidr"),
]


def main():
    d = sys.argv[1]
    failed = 0

    def report(ok, text):
        nonlocal failed
        print(("ok - " if ok else "not ok - ") + text)
        failed += not ok

    configs = {}
    for cloud, checks in CHECKS.items():
        try:
            configs[cloud] = json.load(open(f"{d}/{cloud}.json"))
        except OSError as e:
            report(False, f"{cloud}: parsed configuration missing ({e})")
            continue
        for name, fn in checks:
            try:
                problems = fn(configs[cloud])
            except Exception as e:  # a shape the check did not expect is a failure, not a crash
                problems = [f"check crashed: {type(e).__name__}: {e}"]
            report(not problems, f"{cloud}: {name}" + ("" if not problems else ": " + "; ".join(problems)))
    for cloud, what, mutate, check_name in MUTANTS:
        if cloud not in configs:
            continue
        cfg = copy.deepcopy(configs[cloud])
        try:
            mutate(cfg)
            fn = dict(CHECKS[cloud])[check_name]
            caught = bool(fn(cfg))
        except Exception as e:
            report(False, f"{cloud}: broken copy '{what}' could not be made: {type(e).__name__}: {e}")
            continue
        report(caught, f"{cloud}: check '{check_name}' catches a broken copy: {what}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
