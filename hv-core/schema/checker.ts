/**
 * The schema checker registered in analyze.ts's CHECKERS: picks the schema model for the
 * document (its ACRN tree, else the bundled fallback), validates structure and types, then
 * evaluates the config.xsd asserts and, when a board is known, the datachecks.
 */
import type { Finding } from '../findings.js';
import type { AnalysisContext } from '../scenario/context.js';
import type { CheckBudget } from './asserts.js';
import { evaluateAsserts, evaluateDatachecks, withCheckBudget } from './asserts.js';
// Registers the bundled v2.6/v3.3 models as schemaFor()'s fallback (no ACRN tree known).
import { useBundledModels } from './bundled/index.js';
import { schemaFor } from './index.js';
import { validateStructure } from './validate.js';

// The bundled fallback model: the CLI and the server see the same schema even without an ACRN tree.
useBundledModels();

/** Time budget for the XPath assertions and datachecks of one analysis (ms). */
export const DEFAULT_BUDGET_MS = 5000;

export interface SchemaCheckOptions {
  /** Skip the XPath assertions (structure and types only). */
  structureOnly?: boolean;
}

export function checkSchema(ctx: AnalysisContext, opts: SchemaCheckOptions = {}): Finding[] {
  try {
    return checkSchemaUnguarded(ctx, opts);
  } catch (e) {
    // A bug here must not take the analysis (or the server) down: say so on the root.
    const root = ctx.doc.root;
    return [{ severity: 'warning', source: 'schema', code: 'schema/internal', start: root?.nameStart ?? 0, end: root?.nameEnd ?? 0, message: `Schema validation failed internally: ${(e as Error).message}` }];
  }
}

function checkSchemaUnguarded(ctx: AnalysisContext, opts: SchemaCheckOptions): Finding[] {
  const { doc, dialect, options } = ctx;
  if (dialect.kind !== 'scenario' || !doc.root) return [];
  const choice = schemaFor({ acrnTree: options.acrnTree, uri: options.uri, family: dialect.family, version: dialect.version });
  const findings: Finding[] = [];
  if (!choice) return findings;
  if (choice.error) findings.push({ severity: 'warning', source: 'schema', code: 'schema/load', start: doc.root.nameStart, end: doc.root.nameEnd, message: `The ACRN tree's schema could not be read (${choice.error}); using acrn-nest's bundled schema instead.` });
  const model = choice.model;
  if (dialect.family && model.family !== dialect.family) {
    findings.push({
      severity: 'warning',
      source: 'schema',
      code: 'schema/dialect-mismatch',
      start: doc.root.nameStart,
      end: doc.root.nameEnd,
      message: `This is an ${dialect.label} but the ACRN tree${choice.tree ? ` ${choice.tree}` : ''} is ${model.label} (${model.family}): it is checked against that tree's schema, and most findings below come from the version difference.`,
    });
  }
  const structure = validateStructure(ctx.text, doc.root, model);
  findings.push(...structure.findings);
  if (opts.structureOnly) return findings;
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const b: CheckBudget = { deadline: (ctx.started ?? performance.now()) + budgetMs, skipped: [], cancelled: options.cancelled };
  withCheckBudget(b, () => {
    findings.push(...evaluateAsserts(ctx, model, structure.assertTargets));
    findings.push(...evaluateDatachecks(ctx, model, choice.tree));
  }, options.caches);
  if (b.skipped.length) {
    const ids = [...new Set(b.skipped.map((a) => a.id))];
    findings.push({
      severity: 'warning',
      source: 'schema',
      code: 'schema/budget',
      start: doc.root.nameStart,
      end: doc.root.nameEnd,
      message: `${ids.length} of ACRN's assertions and datachecks were not evaluated: the analysis used up its time budget of ${budgetMs} ms (this file is ${Math.ceil(ctx.text.length / 1024)} KB; an official ACRN scenario takes well under a second). Skipped: ${ids.slice(0, 12).join(', ')}${ids.length > 12 ? `, and ${ids.length - 12} more` : ''}. Their errors, if any, are not shown; \`acrn-nest lint --budget-ms N\` or a smaller file checks them.`,
      data: { skipped: ids },
    });
  }
  return findings;
}
