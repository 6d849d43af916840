/**
 * The nested-virtualization recipe's rules as findings (codes `nvmx/...`), each citing the recipe
 * step it comes from, with quick fixes as text edits in `Finding.data.nvmxFixes` (the language
 * server turns them into code actions). Registered in CHECKERS (scenario/analyze.ts).
 *
 * One mistake, one diagnostic (docs/analysis.md):
 * - a rule does not build on a fact another rule declares invalid: v2 rules that follow from
 *   nested virtualization run only when hv.FEATURES.NVMX_ENABLED=y (else the flag's own finding
 *   says it), rules that follow from LAPIC passthrough only when the Service VM's nested switch is
 *   on too (else ACRN's assert / `nvmx/lapic-needs-nested` says it), and a v3 VM's
 *   nested_virtualization_support counts only on the Service VM;
 * - where ACRN's own assert or datacheck says the same as a rule here (NVMX_ENABLED needs
 *   SCHED_NOOP, the flag without the feature, LAPIC passthrough without nested), both are
 *   produced and scenario/dedupe.ts keeps ours, with ACRN's finding as related information;
 * - `nvmx/pcpu-shared` is one finding per VM, and only under SCHED_NOOP in effect (with nested
 *   virtualization on and another scheduler, `nvmx/sched-noop` is the one finding).
 */
import type { Finding, Related, Severity } from '../findings.js';
import type { AnalysisContext } from '../scenario/context.js';
import type { XmlElement } from '../xml/model.js';
import { child, childrenNamed, valueOf, valueSpan } from '../xml/model.js';
import type { ScenarioFacts, VmInfo } from './facts.js';
import { collectFacts, guestFlags, list, sameCoreType, serviceLapicPt, serviceNested, servicePcpus, vuartById } from './facts.js';
import type { SharingVm } from './engine.js';
import { applySharingChoices, EditBuilder, findSharing, RECIPE, syncClos } from './engine.js';
import type { TextEdit } from './textEdits.js';
import { deleteElementEdit, insertLinesEdit, setValueEdit } from './textEdits.js';

export interface NvmxFix {
  title: string;
  edits: TextEdit[];
  isPreferred?: boolean;
}

export interface NvmxFindingData {
  nvmxFixes: NvmxFix[];
}

export function isNvmxData(d: unknown): d is NvmxFindingData {
  return !!d && typeof d === 'object' && Array.isArray((d as NvmxFindingData).nvmxFixes);
}

/** Every rule code, with a one-line summary (README table, tests). */
export const NVMX_CODES = {
  'nvmx/sched-noop': 'nested virtualization needs SCHEDULER SCHED_NOOP',
  'nvmx/flag-not-service-vm': 'GUEST_FLAG_NVMX_ENABLED on a VM other than the Service VM (v2)',
  'nvmx/flag-needs-nvmx-enabled': 'GUEST_FLAG_NVMX_ENABLED without hv.FEATURES.NVMX_ENABLED=y (v2)',
  'nvmx/flag-needs-lapic-passthrough': 'NVMX on the Service VM without GUEST_FLAG_LAPIC_PASSTHROUGH (v2)',
  'nvmx/legacy-vuart-base': "LAPIC passthrough Service VM whose legacy_vuart 0 base is not INVALID_COM_BASE (v2)",
  'nvmx/invalid-legacy-pio': "INVALID_LEGACY_PIO (the recipe's prose) is valid in no schema: INVALID_COM_BASE (v2)",
  'nvmx/console-vuart-pci': "LAPIC passthrough / nested Service VM whose console vUART is not PCI",
  'nvmx/pcpu-shared': 'with SCHED_NOOP a VM on pCPUs another VM runs on at the same time (one finding per VM)',
  'nvmx/service-vm-pcpu0': 'debug build with serial console: the Service VM needs an explicit cpu_affinity without pCPU0 (v2)',
  'nvmx/nested-only-service-vm': 'nested_virtualization_support on a VM other than the Service VM (v3)',
  'nvmx/lapic-needs-nested': 'Service VM lapic_passthrough without nested_virtualization_support (v3)',
  'nvmx/nested-needs-lapic': 'Service VM nested_virtualization_support without lapic_passthrough (v3)',
  'nvmx/nested-incomplete': 'Service VM nested_virtualization_support=y with two or more recipe steps missing: one finding listing them (v3)',
  'nvmx/vuart-unknown-vm': 'vuart_connections endpoint naming a VM that does not exist (v3)',
} as const;

export type NvmxCode = keyof typeof NVMX_CODES;

class Out {
  readonly findings: Finding[] = [];
  constructor(readonly f: ScenarioFacts) {}

  add(code: NvmxCode, severity: Severity, span: { start: number; end: number }, message: string, fixes: NvmxFix[] = [], related?: Related[]): void {
    const finding: Finding = { severity, code, source: 'nvmx', start: span.start, end: span.end, message };
    if (related?.length) finding.related = related;
    const good = fixes.filter((x) => x.edits.length > 0);
    if (good.length) finding.data = { nvmxFixes: good } satisfies NvmxFindingData;
    this.findings.push(finding);
  }

  /** A fix whose edits come from the engine's builder (schema-order inserts, memo comments). */
  fix(title: string, build: (b: EditBuilder) => void, isPreferred = true): NvmxFix {
    const b = new EditBuilder(this.f.text, this.f.family);
    build(b);
    return { title, edits: b.finish(), isPreferred };
  }
}

function valueRange(text: string, el: XmlElement): { start: number; end: number } {
  return valueSpan(text, el);
}

function nameRange(el: XmlElement): { start: number; end: number } {
  return { start: el.nameStart, end: el.nameEnd };
}

export function checkNvmx(ctx: AnalysisContext): Finding[] {
  const f = collectFacts(ctx.text, ctx.doc, ctx.dialect, ctx.options.board);
  if (!f) return [];
  const out = new Out(f);
  if (f.family === 'v2') rulesV2(out, f);
  else rulesV3(out, f);
  sharingRule(out, f);
  return out.findings;
}

function schedRule(out: Out, f: ScenarioFacts, why: string, cite: string): void {
  if (f.schedulerValue === 'SCHED_NOOP') return;
  const span = f.scheduler ? valueRange(f.text, f.scheduler) : f.features ? nameRange(f.features) : nameRange(f.root);
  const fix = f.features ? [out.fix('Set SCHEDULER to SCHED_NOOP (remembering the old value)', (b) => b.ensure(f.features!, 'SCHEDULER', 'SCHED_NOOP', 'scheduler', 'SCHEDULER'))] : [];
  out.add('nvmx/sched-noop', 'error', span, `${why} needs SCHEDULER SCHED_NOOP, not ${f.schedulerValue}: ACRN can't receive timer interrupts on LAPIC passthrough pCPUs, so CPU sharing must be off (${cite})`, fix);
}

function rulesV2(out: Out, f: ScenarioFacts): void {
  const svm = f.service;
  const nvmxY = valueOf(f.nvmxEnabledEl) === 'y';
  // Without NVMX_ENABLED=y the flag is itself the finding (flag-needs-nvmx-enabled); nothing that
  // follows from nested virtualization is checked on top of it.
  if (nvmxY) schedRule(out, f, 'hv.FEATURES.NVMX_ENABLED=y', RECIPE.step1);

  for (const vm of f.vms) {
    for (const g of guestFlags(vm)) {
      if (valueOf(g) !== 'GUEST_FLAG_NVMX_ENABLED') continue;
      if (vm !== svm) {
        const others = guestFlags(vm).filter((x) => x !== g);
        out.add('nvmx/flag-not-service-vm', 'error', valueRange(f.text, g), `GUEST_FLAG_NVMX_ENABLED on ${vm.label} (${vm.typeValue}): ACRN supports nested virtualization only on the Service VM, not on pre-launched or post-launched VMs (${RECIPE.serviceOnly})`, [
          { title: `Remove GUEST_FLAG_NVMX_ENABLED from ${vm.label}`, edits: [others.length ? deleteElementEdit(new EditBuilder(f.text, f.family).style, g) : setValueEdit(f.text, g, '0')], isPreferred: true },
        ]);
      }
      // On another VM the flag is invalid in itself (flag-not-service-vm): nothing more on it.
      if (!nvmxY && vm === svm) {
        const fixes = f.features ? [out.fix('Set hv.FEATURES.NVMX_ENABLED to y', (b) => b.ensure(f.features!, 'NVMX_ENABLED', 'y', 'nvmx'))] : [];
        out.add('nvmx/flag-needs-nvmx-enabled', 'error', valueRange(f.text, g), `GUEST_FLAG_NVMX_ENABLED needs hv.FEATURES.NVMX_ENABLED=y (it is ${valueOf(f.nvmxEnabledEl) || 'missing'}) (${RECIPE.step1})`, fixes, f.nvmxEnabledEl ? [{ ...valueRange(f.text, f.nvmxEnabledEl), message: 'NVMX_ENABLED is set here' }] : undefined);
      }
    }
  }
  if (!svm) return;
  const gfs = child(svm.el, 'guest_flags');
  const nvmxFlag = guestFlags(svm).find((g) => valueOf(g) === 'GUEST_FLAG_NVMX_ENABLED');
  if (nvmxFlag && nvmxY && !serviceLapicPt(f) && gfs) {
    const fix = out.fix('Add GUEST_FLAG_LAPIC_PASSTHROUGH to the Service VM', (b) => {
      const flags = guestFlags(svm);
      const ph = flags.find((g) => ['', '0', '0UL'].includes(valueOf(g)));
      if (ph) b.edits.push(setValueEdit(f.text, ph, 'GUEST_FLAG_LAPIC_PASSTHROUGH'));
      else b.edits.push(insertLinesEdit(b.style, gfs, flags[flags.length - 1], ['<guest_flag>GUEST_FLAG_LAPIC_PASSTHROUGH</guest_flag>']));
    });
    out.add('nvmx/flag-needs-lapic-passthrough', 'error', valueRange(f.text, nvmxFlag), `Nested virtualization on the Service VM needs GUEST_FLAG_LAPIC_PASSTHROUGH too: Local APIC passthrough must be enabled for L1 guests (${RECIPE.step2}; ${RECIPE.constraints})`, [fix]);
  }
  // LAPIC passthrough without NVMX on the Service VM is ACRN's own error (config.xsd assert):
  // the vUART and pCPU0 rules follow only from a valid LAPIC passthrough Service VM.
  const lapic = serviceLapicPt(f) && !!nvmxFlag && nvmxY;
  const legacy0 = vuartById(svm, 'legacy_vuart', '0');
  for (const vm of f.vms) {
    for (const lv of childrenNamed(vm.el, 'legacy_vuart')) {
      const base = child(lv, 'base');
      if (base && valueOf(base) === 'INVALID_LEGACY_PIO') {
        out.add('nvmx/invalid-legacy-pio', 'error', valueRange(f.text, base), `INVALID_LEGACY_PIO is written in the recipe's prose but no ACRN schema accepts it: the value that disables a legacy vUART is INVALID_COM_BASE, as the recipe's own XML example shows (${RECIPE.step2})`, [{ title: 'Use INVALID_COM_BASE', edits: [setValueEdit(f.text, base, 'INVALID_COM_BASE')], isPreferred: true }]);
      }
    }
  }
  if (lapic) {
    const base = child(legacy0, 'base');
    if (base && valueOf(base) !== 'INVALID_COM_BASE' && valueOf(base) !== 'INVALID_LEGACY_PIO') {
      out.add('nvmx/legacy-vuart-base', 'error', valueRange(f.text, base), `The Service VM uses LAPIC passthrough, so its legacy vUART interrupt does not work and may keep it from booting: set legacy_vuart 0 base to INVALID_COM_BASE and use the PCI vUART console (${RECIPE.step2})`, [out.fix('Set legacy_vuart 0 base to INVALID_COM_BASE (remembering the old value)', (b) => b.set(base, 'INVALID_COM_BASE', 'base', 'base'))]);
    }
    const console0 = vuartById(svm, 'console_vuart', '0');
    const cb = child(console0, 'base');
    if (valueOf(cb) !== 'PCI_VUART') {
      const span = cb ? valueRange(f.text, cb) : console0 ? nameRange(console0) : svm.typeEl ? valueRange(f.text, svm.typeEl) : nameRange(svm.el);
      const fix = out.fix('Set console_vuart 0 base to PCI_VUART', (b) => {
        if (cb) b.set(cb, 'PCI_VUART', 'base', 'base');
        else if (console0) b.insert(console0, 'base', ['<base>PCI_VUART</base>'], 'base');
        else b.insert(svm.el, 'console_vuart', ['<console_vuart id="0">', `${b.style.unit}<base>PCI_VUART</base>`, '</console_vuart>'], 'console');
      });
      out.add('nvmx/console-vuart-pci', 'error', span, `The Service VM uses LAPIC passthrough: its console must be the PCI vUART, console_vuart 0 base PCI_VUART (it is ${valueOf(cb) || 'missing'}) (${RECIPE.step2})`, [fix]);
    }
  }
  // Debug build with a serial console: keep pCPU0 (the hypervisor console) away from the Service VM.
  if (lapic && f.debug && f.serialConsole) {
    const has0 = svm.pcpus.find((p) => p.id === 0);
    if (!svm.pcpus.length || has0) {
      const proposal = proposeServicePcpus(f);
      const fixes: NvmxFix[] = [];
      if (proposal.length) {
        fixes.push(out.fix(`Pin the Service VM to pCPU ${list(proposal)}`, (b) => {
          const aff = svm.cpuAffinity;
          const units = childrenNamed(aff, 'pcpu_id');
          if (aff && units.length) {
            units.forEach((u, i) => {
              const c = proposal[i];
              if (c === undefined) b.remove(u, 'drop');
              else if (valueOf(u) !== String(c)) b.edits.push(setValueEdit(f.text, u, String(c)));
            });
            const more = proposal.slice(units.length);
            if (more.length) b.edits.push(insertLinesEdit(b.style, aff, units[units.length - 1], more.map((c) => `<pcpu_id>${c}</pcpu_id>`)));
          } else if (aff) b.insert(aff, 'pcpu_id', proposal.map((c) => `<pcpu_id>${c}</pcpu_id>`), 'pin');
          else b.insert(svm.el, 'cpu_affinity', ['<cpu_affinity>', ...proposal.map((c) => `${b.style.unit}<pcpu_id>${c}</pcpu_id>`), '</cpu_affinity>'], 'pin');
          syncClos(f, b, svm, proposal.length);
        }));
      }
      const span = has0 ? valueRange(f.text, has0.el) : svm.typeEl ? valueRange(f.text, svm.typeEl) : nameRange(svm.el);
      const now = svm.pcpus.length ? 'its cpu_affinity includes pCPU0' : `it has no cpu_affinity, so it takes every pCPU not used by a pre-launched VM${f.boardPcpus ? ` (${list(servicePcpus(f) ?? [])})` : ''}, pCPU0 included`;
      out.add('nvmx/service-vm-pcpu0', 'warning', span, `Debug build with a serial console: the Service VM runs with LAPIC passthrough and ${now}, so the hypervisor console on pCPU0 is lost. Give it an explicit cpu_affinity without pCPU0${proposal.length ? ` (free: pCPU ${list(proposal)})` : f.boardPcpus ? '' : ' (set the board file to get a proposal)'} (${RECIPE.step2})`, fixes);
    }
  }
}

/** Free pCPUs for the Service VM: board pCPUs minus pCPU0, pre-launched and other VMs' pCPUs (else all but pCPU0 and pre-launched). */
function proposeServicePcpus(f: ScenarioFacts): number[] {
  if (!f.boardPcpus) return f.service?.pcpus.map((p) => p.id).filter((c) => c !== 0) ?? [];
  const pre = new Set(f.vms.filter((v) => v.kind === 'pre').flatMap((v) => v.pcpus.map((p) => p.id)));
  const others = new Set(f.vms.filter((v) => v.kind !== 'service').flatMap((v) => v.pcpus.map((p) => p.id)));
  const free = sameCoreType(f, f.boardPcpus.filter((c) => c !== 0 && !others.has(c)));
  return free.length ? free : sameCoreType(f, f.boardPcpus.filter((c) => c !== 0 && !pre.has(c)));
}

function rulesV3(out: Out, f: ScenarioFacts): void {
  const svm = f.service;
  for (const vm of f.vms) {
    const n = child(vm.el, 'nested_virtualization_support');
    if (vm !== svm && n && valueOf(n) === 'y') {
      out.add('nvmx/nested-only-service-vm', 'error', valueRange(f.text, n), `nested_virtualization_support on ${vm.label} (${vm.typeValue}): ACRN supports nested virtualization only on the Service VM (${RECIPE.serviceOnly})`, [{ title: 'Set nested_virtualization_support to n', edits: [setValueEdit(f.text, n, 'n')], isPreferred: true }]);
    }
  }
  if (!svm) return;
  const nested = serviceNested(f);
  const lapicEl = child(svm.el, 'lapic_passthrough');
  const nestedEl = child(svm.el, 'nested_virtualization_support');
  // ACRN's own datacheck (rdt_support.xsd) says the same on the same element: scenario/dedupe.ts
  // keeps this one (the recipe's reason and the fix) with ACRN's as related information.
  if (serviceLapicPt(f) && !nested && lapicEl) {
    out.add('nvmx/lapic-needs-nested', 'error', valueRange(f.text, lapicEl), `LAPIC passthrough on the Service VM needs nested_virtualization_support=y: ACRN allows it only for nested virtualization (${RECIPE.constraints})`, [
      out.fix('Enable nested_virtualization_support on the Service VM', (b) => b.ensure(svm.el, 'nested_virtualization_support', 'y', 'nested')),
      { title: 'Set lapic_passthrough to n', edits: [setValueEdit(f.text, lapicEl, 'n')] },
    ]);
  }
  if (!nested || !nestedEl) return;
  const cv = child(svm.el, 'console_vuart');
  const missing: { what: string; cite: string; apply?: (b: EditBuilder) => void }[] = [];
  if (!serviceLapicPt(f)) missing.push({ what: 'lapic_passthrough=y', cite: RECIPE.constraints, apply: (b) => b.ensure(svm.el, 'lapic_passthrough', 'y', 'lapic') });
  if (f.schedulerValue !== 'SCHED_NOOP') missing.push({ what: `SCHEDULER SCHED_NOOP (it is ${f.schedulerValue})`, cite: RECIPE.constraints, apply: f.features ? (b) => b.ensure(f.features!, 'SCHEDULER', 'SCHED_NOOP', 'scheduler', 'SCHEDULER') : undefined });
  if (valueOf(cv) !== 'PCI') missing.push({ what: `console_vuart PCI (it is ${valueOf(cv) || 'None (default)'})`, cite: RECIPE.step2, apply: (b) => b.ensure(svm.el, 'console_vuart', 'PCI', 'console', 'console_vuart') });
  // One switch flipped, several recipe steps missing: one finding that lists them, one fix.
  if (missing.length >= 2) {
    out.add('nvmx/nested-incomplete', 'error', valueRange(f.text, nestedEl), `Nested virtualization on the Service VM is only half set up: it also needs ${list(missing.map((m) => `${m.what} (${m.cite})`))}`, [
      out.fix('Complete the recipe on the Service VM and the scheduler (remembering the old values)', (b) => {
        for (const m of missing) m.apply?.(b);
      }),
      { title: 'Set nested_virtualization_support to n', edits: [setValueEdit(f.text, nestedEl, 'n')] },
    ]);
    return;
  }
  if (!serviceLapicPt(f)) {
    out.add('nvmx/nested-needs-lapic', 'error', valueRange(f.text, nestedEl), `Nested virtualization on the Service VM needs lapic_passthrough=y: Local APIC passthrough must be enabled for L1 guests (${RECIPE.constraints})`, [out.fix('Set lapic_passthrough to y', (b) => b.ensure(svm.el, 'lapic_passthrough', 'y', 'lapic'))]);
  }
  schedRule(out, f, 'Nested virtualization on the Service VM', RECIPE.constraints);
  if (valueOf(cv) !== 'PCI') {
    out.add('nvmx/console-vuart-pci', 'error', cv ? valueRange(f.text, cv) : valueRange(f.text, nestedEl), `With nested virtualization the Service VM runs with LAPIC passthrough and its legacy vUART interrupt does not work: set console_vuart to PCI (it is ${valueOf(cv) || 'None (default)'}) (${RECIPE.step2})`, [out.fix('Set console_vuart to PCI (remembering the old value)', (b) => b.ensure(svm.el, 'console_vuart', 'PCI', 'console', 'console_vuart'))]);
  }
}

/** What a conflict means, per reason (engine.ts ShareReason; ACRN sources in docs/analysis.md). */
function reasonText(c: SharingVm['conflicts'][number]): string {
  switch (c.reason) {
    case 'pre':
      return `pCPU ${c.pcpu} belongs to the pre-launched ${c.other.label}, whose vCPUs never leave it`;
    case 'post':
      return `pCPU ${c.pcpu} is also ${c.other.label}'s, and SCHED_NOOP runs one vCPU per pCPU: when both VMs run, one of them never gets it`;
    case 'service-bsp':
      return `pCPU ${c.pcpu} runs the Service VM's BSP (its lowest pCPU), which ACRN never offlines for another VM`;
    case 'service-kata':
      return `pCPU ${c.pcpu} is the Service VM's, and a KATA_VM is started by the Kata runtime, not by ACRN's launch script that offlines the Service VM's vCPUs first`;
  }
}

function sharingRule(out: Out, f: ScenarioFacts): void {
  if (f.family === 'v3') vuartRule(out, f);
  // Sharing is an error only with SCHED_NOOP in effect; with nested virtualization on and another
  // scheduler, nvmx/sched-noop is the finding (and the sharing is checked once it is fixed).
  if (f.schedulerValue !== 'SCHED_NOOP') return;
  const svc = servicePcpus(f);
  for (const s of findSharing(f, svc)) {
    const vm = f.vms.find((v) => v.id === s.id)!;
    const els = s.conflicts.flatMap((c) => c.els);
    const primary = els[0] ? valueRange(f.text, els[0]) : vm.typeEl ? valueRange(f.text, vm.typeEl) : nameRange(vm.el);
    const related: Related[] = [];
    for (const c of s.conflicts) {
      const other = c.other;
      const otherName = other.kind === 'service' ? `the Service VM (${other.label})` : other.label;
      const otherEl = other.pcpus.find((p) => p.id === c.pcpu)?.el;
      related.push({ ...(otherEl ? valueRange(f.text, otherEl) : other.typeEl ? valueRange(f.text, other.typeEl) : nameRange(other.el)), message: otherEl ? `${otherName} also has pCPU ${c.pcpu}` : `${otherName} runs on pCPU ${c.pcpu} (it takes every pCPU not used by a pre-launched VM)` });
      for (const el of c.els.slice(c === s.conflicts[0] ? 1 : 0)) related.push({ ...valueRange(f.text, el), message: `${vm.label} names pCPU ${c.pcpu} here too` });
    }
    const first = s.conflicts[0]!;
    const firstOther = first.other.kind === 'service' ? `the Service VM (${first.other.label})` : first.other.label;
    const head = s.conflicts.length === 1 ? `pCPU ${first.pcpu} is in the cpu_affinity of ${vm.label} and of ${firstOther}` : `${vm.label} shares pCPU ${list(s.shared)} with ${list(s.sharesWith)}`;
    const recipeNote = s.namedByRecipe && s.conflicts.some((c) => c.other.kind === 'service') ? ` The recipe says: delete the ${vm.typeValue} VMs that may share pCPUs with the Service VM, or re-pin them to free pCPUs.` : '';
    const fixes: NvmxFix[] = [out.fix(`Remove ${vm.label} (and what refers to it)`, (b) => applySharingChoices(f, b, [{ ...s, choice: 'remove' } satisfies SharingVm], svc, []), s.namedByRecipe)];
    if (f.boardPcpus) {
      const probe: SharingVm = { ...s, choice: 'repin' };
      const fx = out.fix(`Re-pin ${vm.label} to free pCPUs`, (b) => applySharingChoices(f, b, [probe], svc, []), false);
      if (probe.repinTo?.length) fixes.push({ ...fx, title: `Re-pin ${vm.label} to pCPU ${list(probe.repinTo)}` });
    }
    out.add('nvmx/pcpu-shared', 'error', primary, `${head}: SCHED_NOOP runs one vCPU per pCPU, so no CPU sharing (${RECIPE.step3}): ${s.conflicts.map(reasonText).join('; ')}.${recipeNote}`, fixes, related);
  }
}

function vuartRule(out: Out, f: ScenarioFacts): void {
  const names = new Set(f.vms.map((v: VmInfo) => v.name));
  for (const conn of childrenNamed(child(f.hv, 'vuart_connections'), 'vuart_connection')) {
    for (const ep of childrenNamed(conn, 'endpoint')) {
      const n = child(ep, 'vm_name');
      if (!n || !valueOf(n) || names.has(valueOf(n))) continue;
      out.add('nvmx/vuart-unknown-vm', 'error', valueRange(f.text, n), `vUART connection "${valueOf(child(conn, 'name'))}" names VM "${valueOf(n)}", which is not in this scenario (removed?): remove the connection or name an existing VM (${RECIPE.step3})`, [
        out.fix(`Remove vUART connection "${valueOf(child(conn, 'name'))}"`, (b) => b.remove(conn, 'remove')),
      ]);
    }
  }
}
