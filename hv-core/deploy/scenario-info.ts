/**
 * What a deploy needs from the scenario: the Service VM's kernel module tag
 * (`os_config/kern_mod`, e.g. Linux_bzImage), the pre-launched VMs with their kernel tags, and
 * (v3) their ACPI modules `ACPI_VM<id>.bin` tagged `ACPI_VM<id>`. Works for v2 (vm_type SOS_VM /
 * SERVICE_VM, PRE_*_VM, SAFETY_VM) and v3 (load_order).
 */
import nodePath from 'node:path';
import { parseXml } from '../xml/parser.js';
import { attr, childrenNamed, path, valueOf } from '../xml/model.js';
import { detectDialect } from '../scenario/dialect.js';

export interface ScenarioVm {
  id: number;
  name: string;
  kind: 'service' | 'pre' | 'post';
  kernMod: string | undefined;
}

export interface ScenarioInfo {
  family: 'v2' | 'v3';
  /** Service VM kernel module tag, when the scenario has a Service VM. */
  serviceKernMod: string | undefined;
  vms: ScenarioVm[];
  /** v3 pre-launched VMs' ACPI modules (file name and tag). */
  acpiModules: { file: string; tag: string; vm: number }[];
}

export function scenarioInfo(text: string, file = 'scenario'): ScenarioInfo {
  const doc = parseXml(text);
  const d = detectDialect(doc);
  if (!doc.root || !d || d.kind !== 'scenario' || !d.family) throw new Error(`${file} is not an ACRN scenario (${d?.label ?? 'no <acrn-config> root'})`);
  const vms: ScenarioVm[] = [];
  for (const vm of childrenNamed(doc.root, 'vm')) {
    const id = Number(attr(vm, 'id') ?? NaN);
    const lo = valueOf(path(vm, 'load_order'));
    const vt = valueOf(path(vm, 'vm_type'));
    let kind: ScenarioVm['kind'];
    if (lo) kind = lo === 'SERVICE_VM' ? 'service' : lo === 'PRE_LAUNCHED_VM' ? 'pre' : 'post';
    else kind = vt === 'SOS_VM' || vt === 'SERVICE_VM' ? 'service' : /^PRE_|^SAFETY_VM$/.test(vt) ? 'pre' : 'post';
    const kernMod = valueOf(path(vm, 'os_config', 'kern_mod')) || undefined;
    vms.push({ id, name: valueOf(path(vm, 'name')) || valueOf(path(vm, 'os_config', 'name')) || `VM${id}`, kind, kernMod });
  }
  const service = vms.find((v) => v.kind === 'service');
  const acpiModules = d.family === 'v3' ? vms.filter((v) => v.kind === 'pre' && Number.isInteger(v.id)).map((v) => ({ file: `ACPI_VM${v.id}.bin`, tag: `ACPI_VM${v.id}`, vm: v.id })) : [];
  return { family: d.family, serviceKernMod: service?.kernMod, vms, acpiModules };
}

/** Where a deploy (and a lab job) looks for the pre-launched VMs' ACPI_VM<n>.bin by default: beside the image, in acpi/. */
export function defaultAcpiDir(image: string): string {
  return nodePath.join(nodePath.dirname(image), 'acpi');
}
