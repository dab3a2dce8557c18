"""Azure in the lab: an Azure AD token endpoint (client credentials) and an Azure Resource Manager
contract server for resource groups, virtual networks and Spot virtual machines.

Usage: python3 arm_server.py
Prints one JSON line: {"endpoint", "authorityHost" (both this server), "tenantId", "clientId",
"clientSecret" (made up for this run), "subscriptionId"}, then answers commands on stdin (see
labhttp.py) plus:
  {"cmd":"evict","name":N}                 Azure evicts a Spot VM (evictionPolicy Delete: the VM,
                                           and what it was set to delete with it, disappear; the
                                           Activity Log gets an evictSpotVM/action event)
  {"cmd":"activity"}                       the Activity Log events recorded so far
  {"cmd":"operationError","code":C,"message":M}   the next VM create's long-running operation fails
  {"cmd":"expireTokens"}                   every issued token is rejected from now on (401)
  {"cmd":"resources"}                      every resource held (VMs, NICs, public IPs, disks, networks)
  {"cmd":"vms"}                            every VM: name, tags, power state and customData as the VM reads it
  {"cmd":"powerOff","name":N}              the VM's OS shut itself down: power state stopped (still allocated)

What it checks, as ARM does:
* Bearer tokens issued by /{tenant}/oauth2/v2.0/token for the right client id, secret and scope
  (https://management.azure.com/.default); wrong secret: AADSTS7000215.
* api-version present and one ARM knows for the resource type.
* VM bodies against the Microsoft.Compute 2023-03-01 VirtualMachine model, transcribed below from
  the published REST API specification (azure-rest-api-specs, compute/stable/2023-03-01): unknown
  properties and bad enum values are 400 InvalidParameter/InvalidRequestContent, as are ARM's
  rules for Spot VMs (evictionPolicy only with priority Spot, maxPrice -1 or > 0, customData
  base64 at most 87380 characters, Linux admin name, names).
* The Activity Log (Microsoft.Insights/eventtypes/management/values, api-version 2015-04-01):
  $filter required, with an eventTimestamp lower bound (400 otherwise, as Azure Monitor does);
  events in the documented EventData shape (operationName/status as {value, localizedValue},
  resourceId, resourceGroupName, eventTimestamp, category Administrative) for VM deletes
  (Microsoft.Compute/virtualMachines/delete) and Spot evictions
  (Microsoft.Compute/virtualMachines/evictSpotVM/action, caller "Microsoft.Compute").
* Long-running operations: PUT/DELETE answer 201/202 with Azure-AsyncOperation; the operation
  goes InProgress -> Succeeded/Failed; the VM's provisioning state Creating -> Succeeded and power
  state starting -> running; deleting a VM deletes the NIC, public IP and OS disk created with it
  when their deleteOption is Delete (anything else is left behind, billing, and `resources` shows it).
"""

import base64
import json
import os
import re
import secrets
import sys
import threading
import time
import uuid
from urllib.parse import parse_qs, unquote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labhttp  # noqa: E402

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "5b7c2f6e-7a0a-4f51-9d6e-2f0d3c1a9b11"
SUBSCRIPTION = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
STEP = 0.05

API_VERSIONS = {
    "resourcegroups": {"2021-04-01", "2022-09-01"},
    "Microsoft.Network": {"2023-05-01", "2023-09-01", "2024-01-01"},
    "Microsoft.Compute": {"2023-03-01", "2023-07-01", "2024-03-01"},
    "Microsoft.Insights": {"2015-04-01"},
}

S, I, B, N = "string", "integer", "boolean", "number"


def enum(*values):
    return ("enum", values)


def array(item):
    return ("array", item)


def mapof(item):
    return ("map", item)


SUB_RESOURCE = {"id": S}
IMAGE_REFERENCE = {"id": S, "publisher": S, "offer": S, "sku": S, "version": S, "sharedGalleryImageId": S,
                   "communityGalleryImageId": S}
MANAGED_DISK = {"id": S, "storageAccountType": enum("Standard_LRS", "Premium_LRS", "StandardSSD_LRS", "UltraSSD_LRS",
                                                    "Premium_ZRS", "StandardSSD_ZRS", "PremiumV2_LRS"),
                "diskEncryptionSet": SUB_RESOURCE}
OS_DISK = {"osType": enum("Windows", "Linux"), "name": S, "caching": enum("None", "ReadOnly", "ReadWrite"),
           "writeAcceleratorEnabled": B, "createOption": enum("FromImage", "Empty", "Attach"), "diskSizeGB": I,
           "managedDisk": MANAGED_DISK, "deleteOption": enum("Delete", "Detach")}
PUBLIC_IP_CONFIG = {"name": S, "sku": {"name": enum("Basic", "Standard"), "tier": enum("Regional", "Global")},
                    "properties": {"idleTimeoutInMinutes": I, "deleteOption": enum("Delete", "Detach"),
                                   "publicIPAddressVersion": enum("IPv4", "IPv6"),
                                   "publicIPAllocationMethod": enum("Dynamic", "Static")}}
IP_CONFIG = {"name": S, "properties": {"subnet": SUB_RESOURCE, "primary": B,
                                       "publicIPAddressConfiguration": PUBLIC_IP_CONFIG,
                                       "privateIPAddressVersion": enum("IPv4", "IPv6")}}
NIC_CONFIG = {"name": S, "properties": {"primary": B, "deleteOption": enum("Delete", "Detach"),
                                        "enableAcceleratedNetworking": B, "enableIPForwarding": B,
                                        "networkSecurityGroup": SUB_RESOURCE,
                                        "ipConfigurations": array(IP_CONFIG)}}
VM_MODEL = {
    "location": S, "tags": mapof(S), "zones": array(S), "id": S, "name": S, "type": S,
    "identity": {"type": enum("SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned", "None"),
                 "userAssignedIdentities": mapof({})},
    "plan": {"name": S, "publisher": S, "product": S, "promotionCode": S},
    "properties": {
        "hardwareProfile": {"vmSize": S},
        "storageProfile": {"imageReference": IMAGE_REFERENCE, "osDisk": OS_DISK, "dataDisks": array({}),
                           "diskControllerType": enum("SCSI", "NVMe")},
        "osProfile": {"computerName": S, "adminUsername": S, "adminPassword": S, "customData": S,
                      "allowExtensionOperations": B, "requireGuestProvisionSignal": B,
                      "linuxConfiguration": {"disablePasswordAuthentication": B, "provisionVMAgent": B,
                                             "ssh": {"publicKeys": array({"path": S, "keyData": S})},
                                             "patchSettings": {"patchMode": enum("ImageDefault", "AutomaticByPlatform"),
                                                               "assessmentMode": enum("ImageDefault", "AutomaticByPlatform")}}},
        "networkProfile": {"networkApiVersion": enum("2020-11-01", "2022-11-01"),
                           "networkInterfaces": array({"id": S, "properties": {"primary": B,
                                                                                "deleteOption": enum("Delete", "Detach")}}),
                           "networkInterfaceConfigurations": array(NIC_CONFIG)},
        "diagnosticsProfile": {"bootDiagnostics": {"enabled": B, "storageUri": S}},
        "priority": enum("Regular", "Low", "Spot"),
        "evictionPolicy": enum("Deallocate", "Delete"),
        "billingProfile": {"maxPrice": N},
        "userData": S,
        "licenseType": S,
        "securityProfile": {"securityType": enum("TrustedLaunch", "ConfidentialVM"),
                            "uefiSettings": {"secureBootEnabled": B, "vTpmEnabled": B},
                            "encryptionAtHost": B},
    },
}
VNET_MODEL = {"location": S, "tags": mapof(S), "properties": {
    "addressSpace": {"addressPrefixes": array(S)},
    "subnets": array({"name": S, "properties": {"addressPrefix": S, "networkSecurityGroup": SUB_RESOURCE}})}}
RG_MODEL = {"location": S, "tags": mapof(S), "managedBy": S}


def validate(value, schema, path, errors):
    if isinstance(schema, tuple):
        kind, arg = schema
        if kind == "enum":
            if value not in arg:
                errors.append(("InvalidParameter", "The value '%s' of parameter '%s' is not allowed. Allowed values "
                               "are '%s'." % (value, path, "', '".join(arg))))
        elif kind == "array":
            if not isinstance(value, list):
                errors.append(("InvalidRequestContent", "'%s' must be an array." % path))
            else:
                for i, v in enumerate(value):
                    validate(v, arg, "%s[%d]" % (path, i), errors)
        elif kind == "map":
            if not isinstance(value, dict):
                errors.append(("InvalidRequestContent", "'%s' must be an object." % path))
            else:
                for k, v in value.items():
                    validate(v, arg, "%s.%s" % (path, k), errors)
        return
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            errors.append(("InvalidRequestContent", "'%s' must be an object." % path))
            return
        if not schema:  # free-form
            return
        for k, v in value.items():
            if k not in schema:
                errors.append(("InvalidRequestContent", "The request content was invalid and could not be "
                               "deserialized: 'Could not find member '%s' on object of type '%s'. Path '%s'.'"
                               % (k, path.split(".")[-1] or "VirtualMachine", (path + "." + k).lstrip("."))))
            else:
                validate(v, schema[k], (path + "." + k).lstrip("."), errors)
        return
    ok = {S: lambda v: isinstance(v, str), I: lambda v: isinstance(v, int) and not isinstance(v, bool),
          B: lambda v: isinstance(v, bool),
          N: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)}[schema](value)
    if not ok:
        errors.append(("InvalidRequestContent", "Error converting value %r to type '%s'. Path '%s'." % (value, schema, path)))


def arm_error(status, code, message, headers=None):
    h = {"Content-Type": "application/json; charset=utf-8", "x-ms-failure-cause": "gateway"}
    h.update(headers or {})
    return status, h, json.dumps({"error": {"code": code, "message": message}}).encode()


def ok(status, body, headers=None):
    h = {"Content-Type": "application/json; charset=utf-8", "x-ms-request-id": str(uuid.uuid4())}
    h.update(headers or {})
    return status, h, json.dumps(body).encode()


class Arm:
    def __init__(self):
        self.lock = threading.Lock()
        self.secret = secrets.token_urlsafe(24)
        self.tokens = {}
        self.resources = {}   # lower-case resource id -> dict (public fields) + private "_..." fields
        self.operations = {}  # id -> dict
        self.next_op_error = None
        self.url = None
        self.activity = []   # Activity Log events, oldest first

    # --- AAD -----------------------------------------------------------------------------------
    def token(self, tenant, body):
        form = parse_qs(body.decode())
        first = lambda k: (form.get(k) or [""])[0]  # noqa: E731
        if tenant != TENANT:
            return 400, {"Content-Type": "application/json"}, json.dumps(
                {"error": "invalid_request", "error_description": "AADSTS90002: Tenant '%s' not found." % tenant}).encode()
        if first("grant_type") != "client_credentials":
            return 400, {"Content-Type": "application/json"}, json.dumps(
                {"error": "unsupported_grant_type", "error_description": "AADSTS70003"}).encode()
        if first("client_id") != CLIENT_ID or first("client_secret") != self.secret:
            return 401, {"Content-Type": "application/json"}, json.dumps(
                {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}).encode()
        if first("scope") != "https://management.azure.com/.default":
            return 400, {"Content-Type": "application/json"}, json.dumps(
                {"error": "invalid_scope", "error_description": "AADSTS70011: The provided scope is not valid."}).encode()
        token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.lab." + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.time() + 3600
        return 200, {"Content-Type": "application/json"}, json.dumps(
            {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}).encode()

    def authorized(self, headers):
        auth = headers.get("Authorization", "")
        with self.lock:
            return auth.startswith("Bearer ") and self.tokens.get(auth[7:], 0) > time.time()

    # --- state ---------------------------------------------------------------------------------
    def advance(self):
        t = time.time()
        for rid, r in list(self.resources.items()):
            props = r.get("properties", {})
            age = t - r["_since"]
            state = props.get("provisioningState")
            if state in ("Creating", "Updating") and age > STEP:
                props["provisioningState"], r["_since"] = "Succeeded", t
                if r["_kind"] == "vm":
                    r["_power"] = "running"
            elif state == "Deleting" and age > STEP:
                self.delete_now(rid)
        for op in self.operations.values():
            if op["status"] == "InProgress" and t >= op["_done_at"]:
                if op.get("_error"):
                    op["status"], op["error"] = "Failed", op["_error"]
                    res = self.resources.get(op["_target"])
                    if res:
                        res["properties"]["provisioningState"] = "Failed"
                        res["_power"] = "deallocated"
                else:
                    op["status"] = "Succeeded"
                op["endTime"] = time.strftime("%Y-%m-%dT%H:%M:%S.0000000+00:00", time.gmtime())

    def delete_now(self, rid):
        r = self.resources.pop(rid, None)
        if not r:
            return
        for child, option in r.get("_children", []):
            if option == "Delete":
                self.resources.pop(child, None)

    def new_operation(self, location, target, error=None, seconds=2 * STEP):
        oid = str(uuid.uuid4())
        self.operations[oid] = {"name": oid, "status": "InProgress",
                                "startTime": time.strftime("%Y-%m-%dT%H:%M:%S.0000000+00:00", time.gmtime()),
                                "_done_at": time.time() + seconds, "_error": error, "_target": target}
        url = "%s/subscriptions/%s/providers/Microsoft.Compute/locations/%s/operations/%s?api-version=2023-03-01" % (
            self.url, SUBSCRIPTION, location, oid)
        return url

    @staticmethod
    def public(r):
        return {k: v for k, v in r.items() if not k.startswith("_")}

    def vm_view(self, r, expand):
        out = self.public(r)
        out["properties"] = dict(out["properties"])
        if expand:
            statuses = [{"code": "ProvisioningState/%s" % r["properties"]["provisioningState"].lower(),
                         "level": "Info", "displayStatus": "Provisioning %s" % r["properties"]["provisioningState"].lower()}]
            if r.get("_power"):
                statuses.append({"code": "PowerState/%s" % r["_power"], "level": "Info",
                                 "displayStatus": "VM %s" % r["_power"]})
            out["properties"]["instanceView"] = {"computerName": r["properties"].get("osProfile", {}).get("computerName"),
                                                 "statuses": statuses}
        return out

    def log_event(self, rid, operation, localized, caller):
        now = time.time()
        self.activity.append({
            "authorization": {"action": operation, "scope": rid},
            "caller": caller,
            "category": {"value": "Administrative", "localizedValue": "Administrative"},
            "correlationId": str(uuid.uuid4()),
            "eventDataId": str(uuid.uuid4()),
            "eventName": {"value": "EndRequest", "localizedValue": "End request"},
            "eventTimestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%07dZ" % int((now % 1) * 1e7),
            "id": "%s/events/%s/ticks/%d" % (rid, uuid.uuid4(), int(now * 1e7)),
            "level": "Informational",
            "operationId": str(uuid.uuid4()),
            "operationName": {"value": operation, "localizedValue": localized},
            "resourceGroupName": rid.split("/")[4],
            "resourceProviderName": {"value": "Microsoft.Compute", "localizedValue": "Microsoft.Compute"},
            "resourceType": {"value": "Microsoft.Compute/virtualMachines", "localizedValue": "Microsoft.Compute/virtualMachines"},
            "resourceId": rid,
            "status": {"value": "Succeeded", "localizedValue": "Succeeded"},
            "subStatus": {"value": "", "localizedValue": ""},
            "submissionTimestamp": time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime(now)),
            "subscriptionId": SUBSCRIPTION,
            "tenantId": TENANT,
        })

    def activity_log(self, query):
        text = (query.get("$filter") or [""])[0]
        m = re.match(r"^eventTimestamp ge '([^']+)'(?: and eventTimestamp le '([^']+)')?"
                     r"(?: and (resourceGroupName|resourceUri) eq '([^']+)')?$", text)
        if not m:
            return arm_error(400, "BadRequest", "The $filter '%s' is not supported: it needs at least "
                             "eventTimestamp ge '<start>' and one of the documented patterns." % text)
        start, end, field, value = m.groups()
        with self.lock:
            events = [e for e in self.activity if e["eventTimestamp"][:19] >= start[:19]
                      and (not end or e["eventTimestamp"][:19] <= end[:19])
                      and (field != "resourceGroupName" or e["resourceGroupName"].lower() == value.lower())
                      and (field != "resourceUri" or e["resourceId"].lower() == value.lower())]
        select = [f.strip() for f in (query.get("$select") or [""])[0].split(",") if f.strip()]
        if select:
            events = [{k: v for k, v in e.items() if k in select} for e in events]
        return ok(200, {"value": list(reversed(events))})

    # --- resource handlers ---------------------------------------------------------------------
    def put(self, rid, kind, body, location_hint):
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return arm_error(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.")
        schema = {"rg": RG_MODEL, "vnet": VNET_MODEL, "vm": VM_MODEL}[kind]
        errors = []
        validate(data, schema, "", errors)
        if kind == "vm":
            errors += self.vm_rules(data, rid)
        if errors:
            return arm_error(400, errors[0][0], errors[0][1])
        if "location" not in data:
            return arm_error(400, "LocationRequired", "The location property is required for this definition.")
        key = rid.lower()
        with self.lock:
            self.advance()
            existing = self.resources.get(key)
            name = rid.rsplit("/", 1)[1]
            if kind == "rg":
                r = {"id": rid, "name": name, "type": "Microsoft.Resources/resourceGroups", "location": data["location"],
                     "tags": data.get("tags", {}), "properties": {"provisioningState": "Succeeded"},
                     "_kind": kind, "_since": time.time()}
                self.resources[key] = r
                return ok(200 if existing else 201, self.public(r))
            if existing and existing["properties"].get("provisioningState") == "Deleting":
                return arm_error(409, "OperationNotAllowed", "The resource is being deleted.")
            if kind == "vm" and existing:
                # An identical PUT is a no-op (idempotent); the lab does not model updates.
                return ok(200, self.vm_view(existing, False))
            r = {"id": rid, "name": name, "location": data["location"], "tags": data.get("tags", {}),
                 "properties": dict(data.get("properties", {})), "_kind": kind, "_since": time.time()}
            r["properties"]["provisioningState"] = "Creating" if kind == "vm" else "Updating"
            if kind == "vnet":
                r["type"] = "Microsoft.Network/virtualNetworks"
                self.resources[key] = r
                for subnet in data["properties"].get("subnets", []):
                    sid = "%s/subnets/%s" % (rid, subnet["name"])
                    self.resources[sid.lower()] = {"id": sid, "name": subnet["name"], "properties": {
                        "provisioningState": "Succeeded"}, "_kind": "subnet", "_since": time.time()}
                url = self.new_operation(data["location"], key)
                return ok(201, self.public(r), {"Azure-AsyncOperation": url})
            r["type"] = "Microsoft.Compute/virtualMachines"
            r["properties"]["vmId"] = str(uuid.uuid4())
            r["properties"]["timeCreated"] = time.strftime("%Y-%m-%dT%H:%M:%S.0000000+00:00", time.gmtime())
            r["_power"] = "starting"
            children = []
            base = rid.split("/providers/")[0]
            for nic in data["properties"]["networkProfile"].get("networkInterfaceConfigurations", []):
                nid = "%s/providers/Microsoft.Network/networkInterfaces/%s" % (base, nic["name"])
                self.resources[nid.lower()] = {"id": nid, "name": nic["name"], "properties": {"provisioningState": "Succeeded"},
                                               "_kind": "nic", "_since": time.time()}
                children.append((nid.lower(), nic["properties"].get("deleteOption", "Detach")))
                for ip in nic["properties"].get("ipConfigurations", []):
                    pip = ip.get("properties", {}).get("publicIPAddressConfiguration")
                    if pip:
                        pid = "%s/providers/Microsoft.Network/publicIPAddresses/%s" % (base, pip["name"])
                        self.resources[pid.lower()] = {"id": pid, "name": pip["name"], "properties": {
                            "provisioningState": "Succeeded"}, "_kind": "publicip", "_since": time.time()}
                        children.append((pid.lower(), pip.get("properties", {}).get("deleteOption", "Detach")))
            os_disk = data["properties"]["storageProfile"].get("osDisk", {})
            did = "%s/providers/Microsoft.Compute/disks/%s" % (base, os_disk.get("name") or name + "_OsDisk")
            self.resources[did.lower()] = {"id": did, "name": did.rsplit("/", 1)[1], "properties": {
                "provisioningState": "Succeeded"}, "_kind": "disk", "_since": time.time()}
            children.append((did.lower(), os_disk.get("deleteOption", "Detach")))
            r["_children"] = children
            error, self.next_op_error = self.next_op_error, None
            self.resources[key] = r
            url = self.new_operation(data["location"], key, error)
            return ok(201, self.vm_view(r, False), {"Azure-AsyncOperation": url})

    def vm_rules(self, data, rid):
        errors = []
        props = data.get("properties", {})
        name = rid.rsplit("/", 1)[1]
        if not re.match(r"^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}[a-zA-Z0-9]$", name):
            errors.append(("InvalidParameter", "Virtual machine name '%s' is invalid." % name))
        if not props.get("hardwareProfile", {}).get("vmSize"):
            errors.append(("InvalidParameter", "Required parameter 'hardwareProfile.vmSize' is missing (null)."))
        os_profile = props.get("osProfile", {})
        if not os_profile.get("adminUsername"):
            errors.append(("InvalidParameter", "Required parameter 'osProfile.adminUsername' is missing (null)."))
        elif os_profile["adminUsername"].lower() in ("admin", "root", "administrator", "user"):
            errors.append(("InvalidParameter", "The Admin Username specified is not allowed."))
        linux = os_profile.get("linuxConfiguration", {})
        if linux.get("disablePasswordAuthentication") and not linux.get("ssh", {}).get("publicKeys"):
            errors.append(("InvalidParameter", "Required parameter 'osProfile.linuxConfiguration.ssh.publicKeys' is missing."))
        if "customData" in os_profile:
            cd = os_profile["customData"]
            try:
                base64.b64decode(cd, validate=True)
            except Exception:
                errors.append(("InvalidParameter", "Custom data in OSProfile must be in Base64 encoding."))
            if len(cd) > 87380:
                errors.append(("InvalidParameter", "Custom data in OSProfile must be at most 87380 characters."))
        priority = props.get("priority", "Regular")
        if "evictionPolicy" in props and priority not in ("Spot", "Low"):
            errors.append(("InvalidParameter", "EvictionPolicy can be set only for Spot/Low priority virtual machines."))
        if "billingProfile" in props:
            if priority != "Spot":
                errors.append(("InvalidParameter", "BillingProfile can be set only for Spot virtual machines."))
            mp = props["billingProfile"].get("maxPrice")
            if mp is not None and mp != -1 and not mp > 0:
                errors.append(("InvalidParameter", "Max price must be -1 or greater than 0."))
        nics = props.get("networkProfile", {}).get("networkInterfaceConfigurations", [])
        if nics and props.get("networkProfile", {}).get("networkApiVersion") is None:
            errors.append(("InvalidParameter", "networkApiVersion is required with networkInterfaceConfigurations."))
        for nic in nics:
            for ip in nic.get("properties", {}).get("ipConfigurations", []):
                sid = ip.get("properties", {}).get("subnet", {}).get("id", "")
                if sid.lower() not in self.resources:
                    errors.append(("InvalidResourceReference", "Resource %s referenced by resource %s was not found."
                                   % (sid, rid)))
        if not nics and not props.get("networkProfile", {}).get("networkInterfaces"):
            errors.append(("InvalidParameter", "At least one network interface is required."))
        return errors

    def get(self, rid, query):
        with self.lock:
            self.advance()
            r = self.resources.get(rid.lower())
            if not r:
                kind = "ResourceGroupNotFound" if "/providers/" not in rid else "ResourceNotFound"
                return arm_error(404, kind, "The Resource '%s' under resource group was not found." % rid.split("/providers/")[-1])
            if r["_kind"] == "vm":
                return ok(200, self.vm_view(r, "instanceView" in (query.get("$expand") or [""])[0]))
            return ok(200, self.public(r))

    def delete(self, rid):
        with self.lock:
            self.advance()
            r = self.resources.get(rid.lower())
            if not r:
                return 204, {}, b""
            r["properties"]["provisioningState"] = "Deleting"
            r["_since"] = time.time()
            self.log_event(r["id"], "Microsoft.Compute/virtualMachines/delete", "Delete Virtual Machine",
                           "5b7c2f6e-7a0a-4f51-9d6e-2f0d3c1a9b11")
            r["_power"] = "stopping"
            url = self.new_operation(r.get("location", "eastus"), rid.lower())
            return 202, {"Azure-AsyncOperation": url, "Location": url, "Retry-After": "1"}, b""

    def list_vms(self, query):
        with self.lock:
            self.advance()
            status_only = (query.get("statusOnly") or [""])[0] == "true"
            vms = [self.vm_view(r, status_only) for r in self.resources.values() if r["_kind"] == "vm"]
        return ok(200, {"value": vms})

    def operation(self, oid):
        with self.lock:
            self.advance()
            op = self.operations.get(oid)
            if not op:
                return arm_error(404, "NotFound", "operation %s not found" % oid)
            return ok(200, self.public(op), {"Retry-After": "1"} if op["status"] == "InProgress" else {})

    def handle(self, handler, method, path, query_text, headers, body):
        query = parse_qs(query_text)
        m = re.match(r"^/([^/]+)/oauth2/v2\.0/token$", path)
        if m and method == "POST":
            return self.token(m.group(1), body)
        if not self.authorized(headers):
            return arm_error(401, "ExpiredAuthenticationToken" if headers.get("Authorization") else "AuthenticationFailed",
                             "The access token expiry UTC time is earlier than current UTC time."
                             if headers.get("Authorization") else "Authentication failed. The 'Authorization' header is missing.",
                             {"WWW-Authenticate": 'Bearer authorization_uri="%s/%s"' % (self.url, TENANT)})
        path = unquote(path)
        m = re.match(r"^/subscriptions/([^/]+)(/.*)?$", path)
        if not m or m.group(1) != SUBSCRIPTION:
            return arm_error(404, "SubscriptionNotFound", "The subscription '%s' could not be found." % path)
        version = (query.get("api-version") or [""])[0]
        if not version:
            return arm_error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
        rest = m.group(2) or ""
        family = "resourcegroups" if re.match(r"^/resourcegroups/[^/]+$", rest, re.I) else (
            "Microsoft.Network" if "/Microsoft.Network/" in rest else
            "Microsoft.Insights" if "/Microsoft.Insights/" in rest else "Microsoft.Compute")
        if version not in API_VERSIONS[family]:
            return arm_error(400, "InvalidApiVersionParameter", "The api-version '%s' is invalid. The supported versions are '%s'."
                             % (version, ",".join(sorted(API_VERSIONS[family]))))
        om = re.match(r"^/providers/Microsoft\.Compute/locations/[^/]+/operations/([^/]+)$", rest)
        if om and method == "GET":
            return self.operation(om.group(1))
        if rest == "/providers/Microsoft.Insights/eventtypes/management/values" and method == "GET":
            return self.activity_log(query)
        if rest == "/providers/Microsoft.Compute/virtualMachines" and method == "GET":
            return self.list_vms(query)
        rid = "/subscriptions/%s%s" % (SUBSCRIPTION, rest)
        kind = None
        if re.match(r"^/resourcegroups/[^/]+$", rest, re.I):
            kind = "rg"
        elif re.match(r"^/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+$", rest, re.I):
            kind = "vnet"
        elif re.match(r"^/resourceGroups/[^/]+/providers/Microsoft\.Compute/virtualMachines/[^/]+$", rest, re.I):
            kind = "vm"
        if kind and kind != "rg":
            rg = rest.split("/")[2]
            if "/subscriptions/%s/resourcegroups/%s" % (SUBSCRIPTION.lower(), rg.lower()) not in self.resources:
                return arm_error(404, "ResourceGroupNotFound", "Resource group '%s' could not be found." % rg)
        if kind and method == "PUT":
            return self.put(rid, kind, body, None)
        if kind and method == "GET":
            return self.get(rid, query)
        if kind == "vm" and method == "DELETE":
            return self.delete(rid)
        return arm_error(404, "NotFound", "No route for %s %s" % (method, path))

    # --- commands ------------------------------------------------------------------------------
    def evict(self, req):
        with self.lock:
            for rid, r in list(self.resources.items()):
                if r["_kind"] == "vm" and r["name"] == req["name"]:
                    if r["properties"].get("priority") != "Spot":
                        raise ValueError("%s is not a Spot VM" % req["name"])
                    self.log_event(r["id"], "Microsoft.Compute/virtualMachines/evictSpotVM/action", "Evict Spot VM",
                                   "Microsoft.Compute")
                    self.delete_now(rid)
                    return rid
        raise KeyError(req["name"])

    def operation_error(self, req):
        with self.lock:
            self.next_op_error = {"code": req["code"], "message": req.get("message", req["code"])}

    def expire_tokens(self, req):
        with self.lock:
            for t in self.tokens:
                self.tokens[t] = 0

    def vms(self, req):
        with self.lock:
            self.advance()
            out = []
            for r in self.resources.values():
                if r["_kind"] != "vm":
                    continue
                data = r["properties"].get("osProfile", {}).get("customData", "")
                out.append({"name": r["name"], "tags": r.get("tags", {}), "power": r.get("_power", ""),
                            "customData": base64.b64decode(data).decode("utf-8", "replace") if data else ""})
            return out

    def power_off(self, req):
        with self.lock:
            for r in self.resources.values():
                if r["_kind"] == "vm" and r["name"] == req["name"]:
                    r["_power"] = "stopped"
                    return r["name"]
        raise KeyError(req["name"])

    def list_activity(self, req):
        with self.lock:
            return list(self.activity)

    def list_resources(self, req):
        with self.lock:
            self.advance()
            return [{"id": r["id"], "kind": r["_kind"]} for r in self.resources.values()]


def main():
    arm = Arm()
    server = labhttp.LabServer(arm).start()
    arm.url = server.url
    commands = labhttp.book_commands(server.book)
    commands.update({"evict": arm.evict, "operationError": arm.operation_error, "expireTokens": arm.expire_tokens,
                     "resources": arm.list_resources, "activity": arm.list_activity, "vms": arm.vms,
                     "powerOff": arm.power_off})
    labhttp.control_loop({"endpoint": server.url, "authorityHost": server.url, "tenantId": TENANT,
                          "clientId": CLIENT_ID, "clientSecret": arm.secret, "subscriptionId": SUBSCRIPTION}, commands)
    server.shutdown()


if __name__ == "__main__":
    main()
