"""What render.py, safety.py and validations.py read alike from a cloud's parsed configuration
(parse_tf.js): the call of the shared module infra/modules/deployment and that module's own
configuration (the "module_config" parse_tf.js puts beside the cloud's)."""
import re

MODULE = "deployment"
# The shared template, as the module names it.
TEMPLATE = "${path.module}/../../cloud-init/gan.yaml.tftpl"


def strip_template(text):
    """An HCL expression as parse_tf.js gives it ("${...}"), without the interpolation marks."""
    m = re.fullmatch(r"\$\{(.*)\}", text, re.S)
    return m.group(1) if m else text


def module_call(cfg):
    """The cloud's module "deployment" block, or {} when it has none."""
    return (cfg.get("module") or {}).get(MODULE) or {}


def module_config(cfg):
    """The merged configuration of the module the cloud calls, or an empty one."""
    empty = {"resource": {}, "data": {}, "variable": {}, "output": {}, "locals": {}, "module": {}, "moved": [],
             "terraform": [], "provider": {}}
    return (cfg.get("module_config") or {}).get(MODULE) or empty


def cloud_init_keys(cfg):
    """The names of the values the module passes to the template for every role: the keys of the
    object its local cloud_init builds per role ({for role, command in var.commands : role => {...}})."""
    text = str(module_config(cfg)["locals"].get("cloud_init", ""))
    m = re.search(r"=>\s*\{(.*)\}\s*\}\}?\s*$", text, re.S)
    if not m:
        return None
    return {k for k in re.findall(r"^\s*([a-z_][a-z0-9_]*)\s*=", m.group(1), re.M)}


def roles(cfg):
    """The VM roles the cloud gives the module a command for (its commands map)."""
    commands = module_call(cfg).get("commands")
    return sorted(commands) if isinstance(commands, dict) else []


def _literal(value):
    """An HCL literal for a JSON value (strings without ${ or %{, as the variables' defaults are)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    import json
    return json.dumps(value)


def validation_conditions(cfg, var):
    """Every validation condition that checks the cloud's variable var, as an expression in var.<var>:
    the variable's own rules, and those of each module argument the cloud passes it to unchanged
    (name = var.name) or as one member of an object (commands = {train = var.train_command, ...},
    where the other members take their own variables' defaults)."""
    conds = [strip_template(v.get("condition", "")) for v in (cfg["variable"].get(var) or {}).get("validation", [])]
    mvars = module_config(cfg)["variable"]
    for arg, expr in module_call(cfg).items():
        if isinstance(expr, dict) and f"${{var.{var}}}" in expr.values():
            parts = []
            for key, val in expr.items():
                other = re.fullmatch(r"\$\{var\.(\w+)\}", str(val))
                if other and other.group(1) == var:
                    parts.append(f"{key} = var.{var}")
                elif other and "default" in (cfg["variable"].get(other.group(1)) or {}):
                    parts.append(f"{key} = {_literal(cfg['variable'][other.group(1)]['default'])}")
                else:
                    parts = None
                    break
            if parts is None:
                continue
            replacement = "{" + ", ".join(parts) + "}"
        elif expr == f"${{var.{var}}}":
            replacement = f"var.{var}"
        else:
            continue
        for v in (mvars.get(arg) or {}).get("validation", []):
            cond = strip_template(v.get("condition", ""))
            conds.append(re.sub(r"\bvar\." + re.escape(arg) + r"\b", lambda _: replacement, cond))
    return conds
