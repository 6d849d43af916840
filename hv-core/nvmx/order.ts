/**
 * Schema order of the few elements the NVMX engine inserts, per dialect family. ACRN's schemas
 * use xs:all for these parents (any order validates), but a file reads best when new elements
 * land where ACRN's own tools would write them. A unit test checks these lists against the real
 * config.xsd of every ACRN version (test/unit/nvmx-order.test.ts).
 */
export type Family = 'v2' | 'v3';

/** parent element name -> child names in schema order (only those relevant to NVMX). */
export const SCHEMA_ORDER: Record<Family, Record<string, string[]>> = {
  v2: {
    hv: ['DEBUG_OPTIONS', 'FEATURES', 'MEMORY', 'CAPACITIES', 'MISC_CFG'],
    FEATURES: ['RELOC', 'SCHEDULER', 'MULTIBOOT2', 'ENFORCE_TURNOFF_AC', 'ENFORCE_TURNOFF_GP', 'SECURITY_VM_FIXUP', 'RDT', 'HYPERV_ENABLED', 'NVMX_ENABLED', 'IOMMU_ENFORCE_SNP'],
    vm: ['vm_type', 'name', 'guest_flags', 'cpu_affinity', 'clos', 'epc_section', 'memory', 'priority', 'os_config', 'legacy_vuart', 'console_vuart', 'communication_vuart', 'mmio_resources'],
  },
  v3: {
    hv: ['BUILD_TYPE', 'FEATURES', 'vuart_connections', 'DEBUG_OPTIONS', 'MEMORY', 'CAPACITIES', 'MISC_CFG'],
    FEATURES: ['RELOC_ENABLED', 'SCHEDULER', 'MULTIBOOT2_ENABLED'],
    vm: ['load_order', 'name', 'vm_type', 'console_vuart', 'os_type', 'vuart0', 'vbootloader', 'memory', 'own_pcpu', 'cpu_affinity', 'usb_xhci', 'lapic_passthrough', 'io_completion_polling', 'nested_virtualization_support'],
  },
};

/** Index of a child name in its parent's order, or -1 when the table does not know it. */
export function orderIndex(family: Family, parent: string, name: string): number {
  return SCHEMA_ORDER[family][parent]?.indexOf(name) ?? -1;
}
