import { createHash } from 'node:crypto';
import type { z } from 'zod';
import {
  type CatalogDefinition,
  type CatalogInput,
  catalogSchema,
  type Plan,
  type PlanFeature,
} from './schema.js';

export class CatalogError extends Error {
  readonly code = 'invalid_catalog';
  constructor(readonly issues: { path: string; message: string }[]) {
    super(
      `invalid catalog:\n${issues.map((issue) => `  - ${issue.path || '(root)'}: ${issue.message}`).join('\n')}`,
    );
  }
}

export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

function issuesOf(error: z.ZodError) {
  return error.issues.map((issue) => ({ path: formatIssuePath(issue.path), message: issue.message }));
}

/** A validated catalog with the look-ups every service needs. Immutable once loaded. */
export class Catalog {
  readonly definition: CatalogDefinition;
  /** Content hash: the same definition always gives the same version id. */
  readonly hash: string;
  private readonly featureByEvent = new Map<string, string>();
  /** Earlier definitions of plans that subscribers keep (grandfathered), by `plan@catalogHash`. */
  private readonly earlierPlans = new Map<string, PlanDefinition>();

  private constructor(definition: CatalogDefinition) {
    this.definition = definition;
    this.hash = createHash('sha256').update(stableJson(definition)).digest('hex').slice(0, 16);
    for (const [featureCode, feature] of Object.entries(definition.features)) {
      for (const eventName of feature.events ?? [featureCode])
        this.featureByEvent.set(eventName, featureCode);
    }
  }

  /** Validates raw input; throws CatalogError naming every bad field. */
  static parse(input: unknown): Catalog {
    const result = catalogSchema.safeParse(input);
    if (!result.success) throw new CatalogError(issuesOf(result.error));
    return new Catalog(result.data);
  }

  static from(input: CatalogInput): Catalog {
    return Catalog.parse(input);
  }

  /**
   * This catalog, also knowing the plans of earlier catalog versions that differ from today's, so that
   * a subscriber keeps the limits of the version it subscribed to (see effectivePlanCode). A stored
   * definition the current schema cannot read is skipped: its subscribers get today's plan.
   */
  withPlanVersions(versions: readonly { hash: string; definition: unknown }[]): Catalog {
    const catalog = new Catalog(this.definition);
    for (const version of versions) {
      if (version.hash === this.hash) continue;
      const parsed = catalogSchema.safeParse(version.definition);
      if (!parsed.success) continue;
      for (const [code, plan] of Object.entries(parsed.data.plans)) {
        const current = ownEntry(this.definition.plans, code);
        if (current && stableJson(current) === stableJson(plan)) continue;
        catalog.earlierPlans.set(versionedPlanCode(code, version.hash), plan);
      }
    }
    return catalog;
  }

  /**
   * The plan a subscription made under catalog version `catalogHash` is on: today's plan when its
   * definition has not changed since, else that version's (`plan@hash`, which `plan` and
   * `planFeature` resolve). A plan since removed from the catalog keeps its old limits this way.
   */
  effectivePlanCode(planCode: string, catalogHash: string | null | undefined): string {
    if (!catalogHash || catalogHash === this.hash) return planCode;
    const versioned = versionedPlanCode(planCode, catalogHash);
    return this.earlierPlans.has(versioned) ? versioned : planCode;
  }

  /** Whether a subscription on `planCode` from version `catalogHash` keeps an earlier plan definition. */
  isGrandfathered(planCode: string, catalogHash: string | null | undefined): boolean {
    return this.effectivePlanCode(planCode, catalogHash) !== planCode;
  }

  get version(): string {
    return this.definition.version ?? this.hash;
  }

  get currency(): string {
    return this.definition.currency;
  }

  get defaultPlanCode(): string {
    return this.definition.default_plan;
  }

  plan(planCode: string): Plan | undefined {
    const definition = this.planDefinition(planCode);
    return definition ? { ...definition, code: basePlanCode(planCode) } : undefined;
  }

  private planDefinition(planCode: string): PlanDefinition | undefined {
    return ownEntry(this.definition.plans, planCode) ?? this.earlierPlans.get(planCode);
  }

  plans(): Plan[] {
    return Object.entries(this.definition.plans).map(([planCode, definition]) => ({
      ...definition,
      code: planCode,
    }));
  }

  feature(featureCode: string) {
    return ownEntry(this.definition.features, featureCode);
  }

  planFeature(planCode: string, featureCode: string): PlanFeature | undefined {
    const plan = this.planDefinition(planCode);
    return plan ? ownEntry(plan.features, featureCode) : undefined;
  }

  /** The feature an ingested event name counts toward, if any. */
  featureForEvent(eventName: string): string | undefined {
    return this.featureByEvent.get(eventName);
  }

  creditEvent(eventName: string) {
    return ownEntry(this.definition.credit_events, eventName);
  }

  creditPack(packCode: string) {
    return ownEntry(this.definition.credit_packs, packCode);
  }
}

type PlanDefinition = CatalogDefinition['plans'][string];

/** An earlier version's plan: `plan@catalogHash` (plan codes never contain "@"). */
const versionedPlanCode = (planCode: string, catalogHash: string) => `${planCode}@${catalogHash}`;
const basePlanCode = (planCode: string) => planCode.split('@', 1)[0] as string;

/** A record's own entry: names given by callers never reach inherited properties such as `toString`. */
function ownEntry<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** JSON with object keys sorted, so equal definitions hash equally whatever their key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${stableJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
